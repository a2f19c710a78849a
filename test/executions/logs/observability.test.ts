import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { createTestEnv, type TestEnv } from '../../helpers/env.js';
import { json, runCli } from '../../helpers/cli.js';
import { createMetrics } from '../../../src/core/executions/metrics.js';
import { createLogger, serviceChecks, startHealthServer, type HealthServer } from '../../../src/core/executions/health.js';
import { declareTopology, topology } from '../../../src/core/executions/topology.js';
import { workerCore } from './fixtures.js';
import type { Core } from '../../../src/core/context.js';

let t: TestEnv;
const cores: Core[] = [];
const servers: HealthServer[] = [];

beforeAll(async () => {
  t = await createTestEnv();
});
afterAll(async () => {
  for (const s of servers) await s.close();
  for (const c of cores) await c.close();
  await t?.cleanup();
});

function core(extra: NodeJS.ProcessEnv = {}): Core {
  const c = workerCore(t, extra);
  cores.push(c);
  return c;
}

async function serve(c: Core, metrics?: Awaited<ReturnType<typeof createMetrics>>) {
  const s = await startHealthServer({ port: 0, host: '127.0.0.1', checks: serviceChecks(c), metrics, timeoutMs: 5000 });
  servers.push(s);
  return (path: string) => fetch(`http://127.0.0.1:${s.port}${path}`);
}

describe('health server', () => {
  it('answers /healthz and /readyz with every service up', async () => {
    const get = await serve(core());
    let r = await get('/healthz');
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ status: 'ok' });
    r = await get('/readyz');
    const body: any = await r.json();
    expect(r.status, JSON.stringify(body)).toBe(200);
    expect(body.status).toBe('ready');
    expect(body.checks).toMatchObject({
      postgresql: { ok: true, required: true },
      rabbitmq: { ok: true, required: true },
      redis: { ok: true, required: false },
    });
    expect((await get('/nope')).status).toBe(404);
  });

  it('reports a required service on a closed port as down with 503', async () => {
    const get = await serve(core({ JOBSPRINT_DATABASE_URL: 'postgres://postgres@127.0.0.1:1/x' }));
    const t0 = Date.now();
    const r = await get('/readyz');
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(r.status).toBe(503);
    const body: any = await r.json();
    expect(body.status).toBe('unavailable');
    expect(body.checks.postgresql).toMatchObject({ ok: false, required: true, error: expect.any(String) });
    expect(body.checks.rabbitmq.ok).toBe(true);
    // Liveness does not depend on the services.
    expect((await get('/healthz')).status).toBe(200);
  });

  it('stays ready when only Redis (optional) is down, and says so', async () => {
    const get = await serve(core({ JOBSPRINT_REDIS_URL: 'redis://127.0.0.1:1' }));
    const r = await get('/readyz');
    expect(r.status).toBe(200);
    const body: any = await r.json();
    expect(body.checks.redis).toMatchObject({ ok: false, required: false });
    expect(body.checks.postgresql.ok).toBe(true);
  });

  it('reports RabbitMQ down with 503', async () => {
    const get = await serve(core({ JOBSPRINT_AMQP_URL: 'amqp://guest:guest@127.0.0.1:1' }));
    const r = await get('/readyz');
    expect(r.status).toBe(503);
    expect(((await r.json()) as any).checks.rabbitmq).toMatchObject({ ok: false, required: true });
  });
});

describe('metrics', () => {
  it('serves counters, the duration histogram, in-flight and queue depth in Prometheus format', async () => {
    const metrics = await createMetrics({ queueDepth: async () => ({ ready: 7, deadLettered: 2 }), inFlight: () => 1 });
    metrics.executionStarted();
    metrics.executionStarted();
    metrics.executionStarted();
    metrics.executionFinished('success', 40);
    metrics.executionFinished('failed', 2500);
    const get = await serve(core(), metrics);
    const r = await get('/metrics');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await r.text();
    expect(text).toMatch(/^jobsprint_executions_started_total 3$/m);
    expect(text).toMatch(/^jobsprint_executions_finished_total\{status="success"\} 1$/m);
    expect(text).toMatch(/^jobsprint_executions_finished_total\{status="failed"\} 1$/m);
    expect(text).toMatch(/^jobsprint_executions_finished_total\{status="cancelled"\} 0$/m);
    expect(text).toMatch(/^jobsprint_execution_duration_seconds_bucket\{le="0.05",status="success"\} 1$/m);
    expect(text).toMatch(/^jobsprint_execution_duration_seconds_count\{status="failed"\} 1$/m);
    expect(text).toMatch(/^jobsprint_executions_in_flight 1$/m);
    expect(text).toMatch(/^jobsprint_queue_depth\{queue="ready"\} 7$/m);
    expect(text).toMatch(/^jobsprint_queue_depth\{queue="dead_lettered"\} 2$/m);
    expect(text).toMatch(/^process_cpu_seconds_total /m);
  });
});

describe('logger', () => {
  it('writes JSON lines at the chosen level and redacts secrets', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        cb();
      },
    });
    const log = await createLogger({ level: 'warn', bindings: { worker_id: 'w-9' }, destination: sink });
    log.info('hidden');
    log.warn({ execution_id: 'e1', credentials: { token: 'abc' }, password: 'hunter2' }, 'publish failed');
    await new Promise((r) => setTimeout(r, 50));
    expect(lines).toHaveLength(1);
    const rec = JSON.parse(lines[0]!);
    expect(rec).toMatchObject({ level: 'warn', msg: 'publish failed', worker_id: 'w-9', execution_id: 'e1', password: '[redacted]' });
    expect(lines[0]).not.toContain('hunter2');
    expect(lines[0]).not.toContain('abc');
    await expect(createLogger({ level: 'loud' })).rejects.toThrow(/invalid log level "loud"/);
  });
});

describe('jobsprint queue status', () => {
  it('counts ready and dead-lettered messages of the execution queue', async () => {
    let r = await runCli(['queue', 'status', '--json'], { env: t.env });
    expect(r.code, r.stderr).toBe(0);
    expect(json(r)).toMatchObject({ declared: false, ready: 0, dead_lettered: 0, consumers: 0, awaiting_publish: 0 });
    // Two executions committed whose publish is not confirmed yet: the outbox's count.
    const { rows: users } = await t.pool.query(`INSERT INTO users (email, username, password_hash) VALUES ('q@example.com', 'q', 'x') RETURNING id`);
    await t.pool.query(`INSERT INTO execution_outbox (user_id, execution_ids) VALUES ($1, ARRAY[gen_random_uuid(), gen_random_uuid()])`, [users[0].id]);
    r = await runCli(['queue', 'status'], { env: t.env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/awaiting publish\s+2/);
    await t.pool.query(`DELETE FROM execution_outbox`);

    const amqp = await core().amqp();
    const ch = await amqp.createConfirmChannel();
    const topo = topology(t.amqpPrefix);
    await declareTopology(ch, topo);
    for (let i = 0; i < 3; i++) ch.publish(topo.exchange, topo.routingKey, Buffer.from('{}'), { persistent: true });
    ch.sendToQueue(topo.deadQueue, Buffer.from('poison'), { persistent: true });
    await ch.waitForConfirms();
    // One message delivered and held unacknowledged by a consumer.
    const consumer = await amqp.createChannel();
    await consumer.prefetch(1);
    await consumer.consume(topo.queue, () => {}, { noAck: false });
    await new Promise((res) => setTimeout(res, 300));

    r = await runCli(['queue', 'status', '--json'], { env: t.env });
    expect(r.code, r.stderr).toBe(0);
    let s = json(r);
    expect(s).toMatchObject({ queue: topo.queue, declared: true, ready: 2, dead_lettered: 1, consumers: 1 });
    // Read through rabbitmqctl, which the broker host has (the crash tests need it too); the
    // broker refreshes that figure every few seconds.
    for (const end = Date.now() + 15_000; s.unacked !== 1 && Date.now() < end; ) {
      await new Promise((res) => setTimeout(res, 500));
      s = json(await runCli(['queue', 'status', '--json'], { env: t.env }));
    }
    expect(s.unacked, s.unacked_note).toBe(1);
    await consumer.close();
    await ch.deleteQueue(topo.queue);
    await ch.deleteQueue(topo.deadQueue);
    await ch.deleteExchange(topo.exchange);
    await ch.deleteExchange(topo.deadExchange);
    await ch.close();
  });

  it('fails with exit 6 within seconds when RabbitMQ is down', async () => {
    const r = await runCli(['queue', 'status'], { env: { ...t.env, JOBSPRINT_AMQP_URL: 'amqp://guest:guest@127.0.0.1:1', JOBSPRINT_CONNECT_TIMEOUT_MS: '1000' } });
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/^error: RabbitMQ unavailable/);
  });
});
