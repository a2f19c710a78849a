import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestEnv, type TestEnv } from '../../helpers/env.js';
import { runCli, json } from '../../helpers/cli.js';
import { createUserAndLogin, type LoggedInUser } from '../../helpers/users.js';
import {
  FAST_ENV,
  counterWorkflow,
  countersAndTable,
  deleteQueues,
  insertWorkflow,
  queueDepth,
  setIfWorkflow,
  startDaemon,
  statusCounts,
  waitFor,
  type DaemonProc,
} from './helpers.js';

let t: TestEnv;
let alice: LoggedInUser;
let env: NodeJS.ProcessEnv;
let daemon: DaemonProc;
let wf: string;

beforeAll(async () => {
  t = await createTestEnv();
  alice = await createUserAndLogin(t, { email: 'alice@example.com', username: 'alice' });
  env = { ...alice.env, ...FAST_ENV };
  wf = await insertWorkflow(t.pool, alice.userId, 'Set and If', setIfWorkflow());
  daemon = await startDaemon({ ...t.env, ...FAST_ENV, JOBSPRINT_EXECUTION_NODE_DATA_MAX_BYTES: '4000' }, ['--concurrency', '8']);
});

afterAll(async () => {
  daemon?.kill('SIGTERM');
  await daemon?.exited;
  await deleteQueues(t.amqpUrl, t.amqpPrefix).catch(() => {});
  await t?.cleanup();
});

describe('jobsprint run through the broker', () => {
  it('runs an execution to completion and records it (--wait)', async () => {
    const r = await runCli(['run', 'Set and If', '--input', '{"x": 5}', '--wait', '--json'], { env });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const end = json(r);
    expect(end).toMatchObject({ status: 'success', workflow_id: wf, trigger_type: 'manual', error_message: null });
    expect(end.output_data.last_node).toBe('If');
    expect(end.output_data.main[0][0].json).toMatchObject({ x: 5, doubled: 10 });

    const nodes = await t.pool.query(
      `SELECT node_id, node_name, status, duration_ms, input_data, output_data FROM execution_nodes WHERE execution_id = $1 ORDER BY started_at, node_name`,
      [end.id],
    );
    expect(nodes.rows.map((n) => [n.node_name, n.status])).toEqual([
      ['Start', 'success'],
      ['Set', 'success'],
      ['If', 'success'],
    ]);
    expect(nodes.rows[1].node_id).toBe('n-set');
    expect(nodes.rows[1].input_data.main[0][0].json).toEqual({ x: 5 });
    expect(nodes.rows[1].output_data.main[0][0].json).toEqual({ x: 5, doubled: 10 });
    const row = await t.pool.query(`SELECT execution_metadata, completed_at, duration_ms FROM executions WHERE id = $1`, [end.id]);
    expect(row.rows[0].execution_metadata).toMatchObject({ attempt: 1, worker_id: expect.any(String) });
    expect(row.rows[0].duration_ms).toBeGreaterThanOrEqual(0);
    const audit = await t.pool.query(`SELECT user_id, action FROM audit_logs WHERE resource_id = $1 AND event_type = 'execution.created'`, [end.id]);
    expect(audit.rows).toEqual([{ user_id: alice.userId, action: 'execute' }]);

    // The live event log outlives the execution by minutes (execution_event_log_ttl_s), not a day.
    const { Redis } = await import('ioredis');
    const redis = new Redis(t.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    try {
      const key = `${t.redisPrefix}execution:${end.id}:events`;
      expect(await redis.llen(key)).toBe(8); // execution + 3 × (node started, finished) + end
      const ttl = await redis.ttl(key);
      expect(ttl).toBeGreaterThan(500);
      expect(ttl).toBeLessThanOrEqual(600);
    } finally {
      redis.disconnect();
    }
  });

  it('caps node data at the configured size with a truncated marker', async () => {
    const input = Array.from({ length: 40 }, (_, i) => ({ x: i, pad: 'p'.repeat(200) }));
    const r = await runCli(['run', wf, '--input', JSON.stringify(input), '--wait', '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    const { id } = json(r);
    const set = (await t.pool.query(`SELECT input_data, output_data FROM execution_nodes WHERE execution_id = $1 AND node_name = 'Set'`, [id])).rows[0];
    expect(set.output_data).toMatchObject({ truncated: true, items: [40] });
    expect(set.output_data.original_bytes).toBeGreaterThan(4000);
    expect(JSON.stringify(set.output_data).length).toBeLessThanOrEqual(4000);
    expect(set.output_data.preview.main[0].length).toBeGreaterThan(0);
    expect(set.output_data.preview.main[0][0].json).toMatchObject({ x: 0, doubled: 0 });
    expect(set.input_data).toMatchObject({ truncated: true, items: [40] });
  });

  it('streams the log of the execution it queued (--follow) and exits with its status', async () => {
    const r = await runCli(['run', wf, '--input', '{"x": 1}', '--follow', '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const finished = events.filter((e) => e.type === 'node.finished').map((e) => [e.node_name, e.status]);
    expect(finished).toEqual([
      ['Start', 'success'],
      ['Set', 'success'],
      ['If', 'success'],
    ]);
    expect(events.at(-1)).toMatchObject({ type: 'execution.finished', status: 'success' });
  });

  it('runs a workflow file in this process with --local (no queue, no login)', async () => {
    const file = join(t.home, 'wf.json');
    writeFileSync(file, JSON.stringify(setIfWorkflow()));
    const r = await runCli(['run', file, '--local', '--input', '{"x": 3}', '--json'], { env: t.env });
    expect(r.code, r.stderr).toBe(0);
    expect(json(r).status).toBe('success');
    const queued = await runCli(['run', file], { env });
    expect(queued.code).toBe(2);
    expect(queued.stderr).toMatch(/is a file; the queue runs stored workflows \(import it/);
  });

  it('queues without waiting and prints the id', async () => {
    const r = await runCli(['run', wf], { env });
    expect(r.code).toBe(0);
    const id = r.stdout.trim();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.stderr).toContain('executions logs');
    await waitFor(async () => (await t.pool.query(`SELECT 1 FROM executions WHERE id = $1 AND status = 'success'`, [id])).rowCount, 15_000, 'success');
  });

  it('enqueues a batch (--count, --input-jsonl) and runs them all', async () => {
    let r = await runCli(['run', wf, '--count', '60', '--json'], { env });
    expect(r.code).toBe(0);
    const batch = json(r);
    expect(batch).toMatchObject({ workflow_id: wf, count: 60, published: 60 });
    const file = join(t.home, 'inputs.jsonl');
    writeFileSync(file, '{"x":1}\n{"x":2}\n\n{"x":3}\n');
    r = await runCli(['run', wf, '--input-jsonl', file, '--json'], { env });
    expect(r.code).toBe(0);
    const lines = json(r);
    expect(lines.count).toBe(3);
    const ids = [...batch.ids, ...lines.ids];
    await waitFor(
      async () => (await t.pool.query(`SELECT COUNT(*)::int AS n FROM executions WHERE id = ANY($1) AND status = 'success'`, [ids])).rows[0].n === ids.length,
      30_000,
      'all batch executions to succeed',
    );
    const inputs = await t.pool.query(`SELECT input_data FROM executions WHERE id = ANY($1) ORDER BY input_data->>'x'`, [lines.ids]);
    expect(inputs.rows.map((x) => x.input_data)).toEqual([{ x: 1 }, { x: 2 }, { x: 3 }]);
  });

  it('rejects bad input with exit 2 and creates nothing', async () => {
    const before = (await statusCounts(t.pool)).success ?? 0;
    let r = await runCli(['run', wf, '--input', '{nope'], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: --input is not valid JSON/);
    r = await runCli(['run', wf, '--trigger', 'webhook'], { env });
    expect(r.code).toBe(2);
    r = await runCli(['run', 'No such workflow'], { env });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/not found/);
    const total = await t.pool.query(`SELECT COUNT(*)::int AS n FROM executions WHERE status <> 'success'`);
    expect(total.rows[0].n).toBe(0);
    expect((await statusCounts(t.pool)).success).toBe(before);
  });

  it('fails with exit 6 and accepts nothing when RabbitMQ is unreachable', async () => {
    const before = await t.pool.query(`SELECT COUNT(*)::int AS n FROM executions`);
    const r = await runCli(['run', wf], { env: { ...env, JOBSPRINT_AMQP_URL: 'amqp://guest:guest@127.0.0.1:1', JOBSPRINT_CONNECT_TIMEOUT_MS: '1000' } });
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/^error: RabbitMQ unavailable/);
    const after = await t.pool.query(`SELECT COUNT(*)::int AS n FROM executions`);
    expect(after.rows[0].n).toBe(before.rows[0].n);
  });

  it('runs a message delivered several times only once', async () => {
    const r = await runCli(['run', wf, '--input', '{"x": 7}', '--json'], { env });
    const { id } = json(r);
    // The same message again, five times, straight to the exchange.
    const amqp = await import('amqplib');
    const conn = await amqp.connect(t.amqpUrl);
    const ch = await conn.createConfirmChannel();
    for (let i = 0; i < 5; i++) ch.publish(`${t.amqpPrefix}.executions`, 'run', Buffer.from(JSON.stringify({ v: 1, execution_id: id })), { persistent: true });
    await ch.waitForConfirms();
    await conn.close();
    await waitFor(async () => (await t.pool.query(`SELECT 1 FROM executions WHERE id = $1 AND status = 'success'`, [id])).rowCount, 15_000, 'success');
    await new Promise((res) => setTimeout(res, 500)); // let the duplicates arrive
    const row = await t.pool.query(`SELECT execution_metadata->>'attempt' AS attempt FROM executions WHERE id = $1`, [id]);
    expect(row.rows[0].attempt).toBe('1');
    const nodes = await t.pool.query(`SELECT COUNT(*)::int AS n FROM execution_nodes WHERE execution_id = $1`, [id]);
    expect(nodes.rows[0].n).toBe(3);
    expect(await queueDepth(t.amqpUrl, `${t.amqpPrefix}.executions`)).toBe(0);
  });

  it('dead-letters poison messages: unparseable and unknown executions', async () => {
    const amqp = await import('amqplib');
    const conn = await amqp.connect(t.amqpUrl);
    const ch = await conn.createConfirmChannel();
    ch.publish(`${t.amqpPrefix}.executions`, 'run', Buffer.from('not json at all'), { persistent: true });
    ch.publish(`${t.amqpPrefix}.executions`, 'run', Buffer.from(JSON.stringify({ v: 1, execution_id: '00000000-0000-4000-8000-000000000000' })), { persistent: true });
    await ch.waitForConfirms();
    await conn.close();
    await waitFor(async () => (await queueDepth(t.amqpUrl, `${t.amqpPrefix}.executions.dead`)) === 2, 15_000, 'two dead-lettered messages');
    expect(daemon.logs.some((l) => /dead-lettering/.test(l.msg) && l.level === 'warn')).toBe(true);
  });

  it('publishes an execution whose publish never happened (the sweeper)', async () => {
    // As if `run` was killed between its commit and its publish: the row and its outbox row
    // committed together, nothing reached the broker.
    const { rows } = await t.pool.query(
      `WITH e AS (
         INSERT INTO executions (workflow_id, user_id, status, trigger_type, input_data, execution_metadata, started_at)
         VALUES ($1, $2, 'pending', 'api', '{"x": 2}', '{}', now() - interval '3 seconds') RETURNING id, user_id
       ), o AS (
         INSERT INTO execution_outbox (user_id, execution_ids, publish_after) SELECT user_id, ARRAY[id], now() - interval '3 seconds' FROM e
       )
       SELECT id FROM e`,
      [wf, alice.userId],
    );
    const id = rows[0].id;
    await waitFor(async () => (await t.pool.query(`SELECT 1 FROM executions WHERE id = $1 AND status = 'success'`, [id])).rowCount, 15_000, 'swept execution to succeed');
    expect(daemon.logs.some((l) => l.msg === 'sweeper republished executions' && l.unpublished >= 1)).toBe(true);
    // The sweeper took it out of the outbox.
    expect((await t.pool.query(`SELECT count(*)::int AS n FROM execution_outbox WHERE $1 = ANY(execution_ids)`, [id])).rows[0].n).toBe(0);
  });

  it('keeps an execution whose publish failed after the commit in the outbox until the sweeper publishes it', async () => {
    const { Config } = await import('../../../src/core/config.js');
    const { Core } = await import('../../../src/core/context.js');
    const { openExecutionQueue } = await import('../../../src/core/executions/open-queue.js');
    const { enqueueExecutions } = await import('../../../src/core/executions/enqueue.js');
    const core = new Core({ config: new Config({ ...t.env, ...FAST_ENV }) });
    try {
      const db = await core.db();
      // A real broker connection that is gone by the time the rows are committed.
      const queue = await openExecutionQueue(core, { role: 'test-closed' });
      await queue.close();
      const scope = { userId: alice.userId, role: 'user' as const };
      const actor = { kind: 'user' as const, userId: alice.userId, email: 'alice@example.com', username: 'alice', role: 'user' as const, sessionId: null };
      const res = await enqueueExecutions(db, queue, { requestId: core.requestId, userAgent: 'test' }, { actor, scope }, {
        workflowRef: wf,
        inputs: [{ x: 1 }, { x: 5 }],
        trigger: 'api',
        maxRetries: 0,
      });
      expect(res.published).toBe(0);
      expect(res.publishError).toMatch(/closed/);
      const outbox = await t.pool.query(`SELECT execution_ids FROM execution_outbox WHERE execution_ids && $1::uuid[]`, [res.ids]);
      expect(outbox.rows.map((r) => [...r.execution_ids].sort())).toEqual([[...res.ids].sort()]);
      await waitFor(
        async () => (await t.pool.query(`SELECT 1 FROM executions WHERE id = ANY($1::uuid[]) AND status = 'success'`, [res.ids])).rowCount === 2,
        15_000,
        'both executions to succeed through the sweeper',
      );
      expect((await t.pool.query(`SELECT 1 FROM execution_outbox WHERE execution_ids && $1::uuid[]`, [res.ids])).rowCount).toBe(0);
    } finally {
      await core.close();
    }
  });

  it("keeps the workflow's static data between production (api) runs; manual runs read it without saving", async () => {
    const counter = await insertWorkflow(t.pool, alice.userId, 'Counter', counterWorkflow());
    const runs = async (trigger: string) => {
      const r = await runCli(['run', counter, '--trigger', trigger, '--wait', '--json'], { env });
      expect(r.code, r.stderr).toBe(0);
      return json(r).output_data.main[0][0].json.runs;
    };
    expect(await runs('api')).toBe(1);
    expect(await runs('api')).toBe(2);
    expect(await runs('manual')).toBe(3); // sees the kept state …
    expect(await runs('api')).toBe(3); // … but did not save its own change
    const kept = await t.pool.query(`SELECT data FROM workflow_static_data WHERE workflow_id = $1`, [counter]);
    expect(kept.rows).toEqual([{ data: { global: { runs: 3 } } }]);
    // Concurrent runs of one workflow in one record batch: one write, the last one wins.
    const batch = await runCli(['run', counter, '--trigger', 'api', '--count', '6', '--json'], { env });
    expect(batch.code, batch.stderr).toBe(0);
    await waitFor(async () => (await statusCounts(t.pool, counter)).success === 10, 15_000, 'the batch of six to succeed');
    const after = (await t.pool.query(`SELECT (data->'global'->>'runs')::int AS runs FROM workflow_static_data WHERE workflow_id = $1`, [counter])).rows[0].runs;
    expect(after).toBeGreaterThanOrEqual(4);
    expect(after).toBeLessThanOrEqual(9);
  });

  it('keeps the workflow counters equal to the executions table', async () => {
    await waitFor(async () => {
      const s = await statusCounts(t.pool, wf);
      return !s.pending && !s.running;
    });
    const { counters, table } = await countersAndTable(t.pool, wf);
    expect(counters).toEqual(table);
    // The sweeper copies them into the workflows row without touching updated_at.
    await waitFor(async () => {
      const c = await countersAndTable(t.pool, wf);
      return JSON.stringify(c.workflowRow) === JSON.stringify(c.table);
    }, 10_000, 'workflows row counters');
    const w = await t.pool.query(`SELECT updated_at = created_at AS untouched FROM workflows WHERE id = $1`, [wf]);
    expect(w.rows[0].untouched).toBe(true);
  });
});
