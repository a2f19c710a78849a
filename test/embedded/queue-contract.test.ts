import { afterAll, describe, expect, it } from 'vitest';
import { randomBytes, randomUUID } from 'node:crypto';
import type { ExecutionQueue, QueueDelivery } from '../../src/core/executions/queue.js';
import { RabbitExecutionQueue } from '../../src/core/executions/rabbitmq.js';
import { MemoryExecutionQueue } from '../../src/core/executions/memory-queue.js';
import { topology } from '../../src/core/executions/topology.js';
import { AMQP_URL } from '../helpers/urls.js';

/**
 * The ExecutionQueue contract (src/core/executions/queue.ts), case for case against RabbitMQ
 * and the in-process queue of the embedded mode. Each case gets a fresh queue.
 */
const runId = randomBytes(4).toString('hex');
const prefixes: string[] = [];
let seq = 0;

const kinds: Array<[string, () => Promise<ExecutionQueue>]> = [
  [
    'rabbitmq',
    async () => {
      const prefix = `jobsprint-test-qc-${runId}-${++seq}`;
      prefixes.push(prefix);
      return RabbitExecutionQueue.connect({ url: AMQP_URL, prefix, connectionName: `jobsprint queue-contract ${prefix}` });
    },
  ],
  ['memory', async () => new MemoryExecutionQueue()],
];

afterAll(async () => {
  const amqp = await import('amqplib');
  const conn = await amqp.connect(AMQP_URL);
  const ch = await conn.createChannel();
  ch.on('error', () => {});
  for (const p of prefixes) {
    const t = topology(p);
    for (const q of [t.queue, t.deadQueue, t.delayQueue(300), t.delayQueue(400)]) await ch.deleteQueue(q).catch(() => {});
    for (const x of [t.exchange, t.deadExchange]) await ch.deleteExchange(x).catch(() => {});
  }
  await conn.close().catch(() => {});
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function collector() {
  const got: QueueDelivery[] = [];
  return {
    got,
    handler: (d: QueueDelivery) => void got.push(d),
    async waitFor(n: number, ms = 5000) {
      const end = Date.now() + ms;
      while (got.length < n && Date.now() < end) await sleep(10);
      return got;
    },
  };
}

describe.each(kinds)('%s execution queue', (_kind, open) => {
  const opened: ExecutionQueue[] = [];
  const fresh = async () => {
    const q = await open();
    opened.push(q);
    return q;
  };
  afterAll(async () => {
    for (const q of opened) await q.close().catch(() => {});
  });

  it('delivers each published execution id once it is consumed, not redelivered', async () => {
    const q = await fresh();
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    await q.publish(ids);
    await q.publish([]);
    expect((await q.stats()).ready).toBe(3);
    expect(q.isConnected()).toBe(true);
    const c = collector();
    await q.consume(c.handler, 10);
    await c.waitFor(3);
    expect(c.got.map((d) => d.executionId)).toEqual(ids);
    expect(c.got.every((d) => !d.redelivered)).toBe(true);
    for (const d of c.got) d.ack();
    await sleep(100);
    expect(c.got).toHaveLength(3);
    expect((await q.stats()).ready).toBe(0);
  });

  it('has at most `prefetch` deliveries unsettled at a time', async () => {
    const q = await fresh();
    await q.publish([randomUUID(), randomUUID(), randomUUID(), randomUUID()]);
    const c = collector();
    await q.consume(c.handler, 2);
    await c.waitFor(2);
    await sleep(150);
    expect(c.got).toHaveLength(2);
    c.got[0]!.ack();
    await c.waitFor(3);
    await sleep(150);
    expect(c.got).toHaveLength(3);
    for (const d of c.got.slice(1)) d.ack();
    await c.waitFor(4);
    c.got[3]!.ack();
  });

  it('redelivers a requeued message, marked redelivered; settling twice does nothing', async () => {
    const q = await fresh();
    const id = randomUUID();
    await q.publish([id]);
    const c = collector();
    await q.consume(c.handler, 5);
    await c.waitFor(1);
    c.got[0]!.requeue();
    c.got[0]!.ack(); // already settled: no effect
    await c.waitFor(2);
    expect(c.got[1]!.executionId).toBe(id);
    expect(c.got[1]!.redelivered).toBe(true);
    c.got[1]!.ack();
    c.got[1]!.requeue(); // already settled: no effect
    await sleep(200);
    expect(c.got).toHaveLength(2);
  });

  it('dead-letters a poison message: counted, never delivered again', async () => {
    const q = await fresh();
    await q.publish(['not-an-execution-id']);
    const c = collector();
    await q.consume(c.handler, 5);
    await c.waitFor(1);
    expect(c.got[0]!.executionId).toBeNull();
    c.got[0]!.deadLetter();
    const end = Date.now() + 3000;
    while ((await q.stats()).deadLettered < 1 && Date.now() < end) await sleep(50);
    expect((await q.stats()).deadLettered).toBe(1);
    await sleep(100);
    expect(c.got).toHaveLength(1);
  });

  it('holds a delayed message back until its delay has passed', async () => {
    const q = await fresh();
    const c = collector();
    await q.consume(c.handler, 5);
    const id = randomUUID();
    const t0 = Date.now();
    await q.publishDelayed([id], 400);
    await sleep(200);
    expect(c.got).toHaveLength(0);
    await c.waitFor(1);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(380);
    expect(c.got[0]!.executionId).toBe(id);
    c.got[0]!.ack();
  });

  it('stops delivering after stopConsuming, while unsettled deliveries can still be settled', async () => {
    const q = await fresh();
    const c = collector();
    await q.consume(c.handler, 5);
    await q.publish([randomUUID()]);
    await c.waitFor(1);
    await q.stopConsuming();
    await q.publish([randomUUID()]);
    await sleep(200);
    expect(c.got).toHaveLength(1);
    expect(() => c.got[0]!.ack()).not.toThrow();
    expect((await q.stats()).ready).toBe(1);
  });

  it('refuses to publish once closed', async () => {
    const q = await fresh();
    await q.close();
    expect(q.isConnected()).toBe(false);
    await expect(q.publish([randomUUID()])).rejects.toThrow();
  });
});

describe('in-process queue draining', () => {
  it('drains only once every ready, unsettled and delayed message is done', async () => {
    const q = new MemoryExecutionQueue();
    const c = collector();
    await q.consume(c.handler, 1);
    await q.publish([randomUUID()]);
    await q.publishDelayed([randomUUID()], 150);
    let drained = false;
    const drain = q.drain().then(() => (drained = true));
    await c.waitFor(1);
    c.got[0]!.ack();
    await sleep(50);
    expect(drained).toBe(false);
    await c.waitFor(2);
    expect(drained).toBe(false);
    c.got[1]!.ack();
    await drain;
    expect(drained).toBe(true);
    await q.close();
  });

  it('does not wait when nobody consumes', async () => {
    const q = new MemoryExecutionQueue();
    await q.publish([randomUUID()]);
    // Without a consumer the published message can never settle: drain must return, not hang.
    const started = Date.now();
    await q.drain();
    expect(Date.now() - started).toBeLessThan(1000);
    await q.close();
  });
});
