import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../../helpers/env.js';
import { runCli } from '../../helpers/cli.js';
import { createUserAndLogin, type LoggedInUser } from '../../helpers/users.js';
import { appendAndPublish, appendGroups, eventLogKey, readEventLog, subscribeExecutionEvents, type ExecutionEventInput } from '../../../src/core/executions/events.js';
import type { Core } from '../../../src/core/context.js';
import { followExecution } from '../../../src/core/executions/logs.js';
import { insertExecution, insertNodeRows, jsonLines, sleep, spawnCli, workerCore } from './fixtures.js';
import { insertWorkflow } from '../pipeline/helpers.js';

let t: TestEnv;
let alice: LoggedInUser;
let bob: LoggedInUser;
let worker: Core;
let workflowId: string;

beforeAll(async () => {
  t = await createTestEnv({ amqp: false });
  alice = await createUserAndLogin(t, { email: 'alice@example.com', username: 'alice' });
  bob = await createUserAndLogin(t, { email: 'bob@example.com', username: 'bob' });
  worker = workerCore(t);
  await worker.redis();
  workflowId = await insertWorkflow(t.pool, alice.userId, 'ten nodes');
});
afterAll(async () => {
  await worker?.close();
  await t?.cleanup();
});

/** Drives one execution's events through the same helper the worker uses. */
function driver(executionId: string, userId: string, wfId = workflowId) {
  const base = { execution_id: executionId, workflow_id: wfId, user_id: userId };
  const send = async (e: Record<string, unknown>) => {
    const r = await appendAndPublish(worker, { ...base, ...e } as ExecutionEventInput);
    expect(r).not.toBe(false);
  };
  return {
    started: () => send({ type: 'execution.started', status: 'running', attempt: 1 }),
    node: async (name: string, status: 'success' | 'failed' = 'success', error: string | null = null) => {
      await send({ type: 'node.started', node_name: name, node_type: 'n8n-nodes-base.set', run_index: 0, retry: 0 });
      await send({
        type: 'node.finished',
        node_name: name,
        node_type: 'n8n-nodes-base.set',
        status,
        items_in: 1,
        items_out: [1, 0],
        duration_ms: 3,
        error,
        run_index: 0,
        retry: 0,
      });
    },
    finished: (status: 'success' | 'failed' | 'cancelled', error: string | null = null) =>
      send({ type: 'execution.finished', status, error, duration_ms: 42 }),
  };
}

async function finishRow(id: string, status: string, error: string | null = null) {
  await t.pool.query(`UPDATE executions SET status = $2, completed_at = now(), duration_ms = 42, error_message = $3 WHERE id = $1`, [id, status, error]);
}

describe('executions logs --follow', () => {
  it('started mid-execution shows every node exactly once, in order, and exits 0 on success', async () => {
    const id = await insertExecution(t.pool, { workflowId, userId: alice.userId });
    const d = driver(id, alice.userId);
    const names: string[] = [];
    const node = async () => {
      names.push(`Node ${names.length + 1}`);
      await d.node(names.at(-1)!);
    };
    await d.started();
    for (let i = 0; i < 5; i++) await node();

    const follower = spawnCli(['executions', 'logs', id, '--follow', '--json'], alice.env);
    // Keep the worker publishing while the follower starts, subscribes and replays, so the
    // switch from replay to live happens in the middle of the stream; then some more.
    while (follower.stdout() === '' && names.length < 2000) {
      await node();
      await sleep(5);
    }
    const beforeLive = names.length;
    for (let i = 0; i < 10; i++) {
      await node();
      await sleep(5);
    }
    // Node rows written in one batch at the end, as the worker does.
    await insertNodeRows(t.pool, id, names.map((name) => ({ name, itemsOut: [1, 0] })));
    await finishRow(id, 'success');
    await d.finished('success');

    const r = await follower.done;
    expect(r.code, r.stderr).toBe(0);
    const events = jsonLines(r.stdout);
    const finishedNodes = events.filter((e) => e.type === 'node.finished').map((e) => e.node_name);
    expect(finishedNodes).toEqual(names);
    expect(events.filter((e) => e.type === 'node.started')).toHaveLength(names.length);
    // seq 1..N with no gap and no duplicate.
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.at(-1)).toMatchObject({ type: 'execution.finished', status: 'success', execution_id: id, user_id: alice.userId });
    expect(beforeLive).toBeLessThan(2000);
    expect(r.stderr).toBe('');
  });

  it('prints events published between subscribing and reading the replay exactly once', async () => {
    const id = await insertExecution(t.pool, { workflowId, userId: alice.userId });
    const d = driver(id, alice.userId);
    await d.started();
    await d.node('Before 1');
    await d.node('Before 2');
    const seen: any[] = [];
    let windowDone!: () => void;
    const windowPublished = new Promise<void>((r) => (windowDone = r));
    const done = followExecution(worker, { userId: alice.userId, role: 'user' }, id, {
      follow: true,
      onEvent: (e) => seen.push(e),
      // These land both in the log the follower is about to read and on its subscription.
      onSubscribed: async () => {
        await d.node('Window 1');
        await d.node('Window 2');
        await sleep(50);
        windowDone();
      },
    });
    await windowPublished;
    await d.node('After');
    await finishRow(id, 'success');
    await d.finished('success');
    const res = await done;
    expect(res).toEqual({ status: 'success', final: true });
    expect(seen.filter((e) => e.type === 'node.finished').map((e) => e.node_name), JSON.stringify(seen)).toEqual(['Before 1', 'Before 2', 'Window 1', 'Window 2', 'After']);
    const last = seen.at(-1);
    expect(last.type).toBe('execution.finished');
    expect(seen.slice(0, -1).map((e) => e.seq)).toEqual(seen.slice(0, -1).map((_, i) => i + 1));
    // The row is final before the last event is published (as a worker records, then emits):
    // a follower that looks at the database in between ends from it (seq 0, not a duplicate).
    expect([seen.length, 0]).toContain(last.seq);
  });

  it('exits 1 when the execution fails, printing the failing node and its error', async () => {
    const id = await insertExecution(t.pool, { workflowId, userId: alice.userId });
    const d = driver(id, alice.userId);
    await d.started();
    await d.node('Fetch');
    const follower = spawnCli(['executions', 'logs', id, '--follow'], alice.env);
    await sleep(500);
    await d.node('Parse', 'failed', 'Unexpected token < in JSON');
    await finishRow(id, 'failed', 'Parse: Unexpected token < in JSON');
    await d.finished('failed', 'Parse: Unexpected token < in JSON');
    const r = await follower.done;
    expect(r.code, r.stderr).toBe(1);
    const lines = r.stdout.trim().split('\n');
    // Human lines: time, node, status, items, duration, error (tab-separated off a terminal).
    const parse = lines.find((l) => l.includes('\tParse\tfailed'));
    expect(parse).toBeDefined();
    expect(parse!.split('\t')).toEqual([expect.stringMatching(/^\d{4}-\d\d-\d\dT/), 'Parse', 'failed', 'items 1→1,0', '3 ms', 'Unexpected token < in JSON']);
    expect(lines.filter((l) => l.includes('\tFetch\tsuccess'))).toHaveLength(1);
    expect(lines.at(-1)).toMatch(/\texecution\tfailed\t\t42 ms\tParse: Unexpected token/);
  });

  it('ends from the database when the final event never reaches Redis (cancelled while pending: exit 1)', async () => {
    const id = await insertExecution(t.pool, { workflowId, userId: alice.userId, status: 'pending' });
    const follower = spawnCli(['executions', 'logs', id, '--follow', '--json'], alice.env);
    await sleep(800);
    await finishRow(id, 'cancelled');
    const r = await follower.done;
    expect(r.code, r.stderr).toBe(1);
    const events = jsonLines(r.stdout);
    expect(events).toEqual([expect.objectContaining({ type: 'execution.finished', status: 'cancelled', seq: 0, execution_id: id })]);
  });

  it('replays a finished execution from the database when its event log is gone', async () => {
    const id = await insertExecution(t.pool, { workflowId, userId: alice.userId });
    await insertNodeRows(t.pool, id, [
      { name: 'Trigger', itemsIn: 0, itemsOut: [1] },
      { name: 'If', itemsIn: 3, itemsOut: [2, 1], durationMs: 7 },
    ]);
    await finishRow(id, 'success');
    const r = await runCli(['executions', 'logs', id, '--json'], { env: alice.env });
    expect(r.code, r.stderr).toBe(0);
    const events = jsonLines(r.stdout);
    expect(events.map((e) => [e.type, e.node_name ?? null, e.status])).toEqual([
      ['node.finished', 'Trigger', 'success'],
      ['node.finished', 'If', 'success'],
      ['execution.finished', null, 'success'],
    ]);
    expect(events[1]).toMatchObject({ items_in: 3, items_out: [2, 1], duration_ms: 7 });
    // With --follow a finished execution prints the same and ends at once.
    const f = await runCli(['executions', 'logs', id, '--follow', '--json'], { env: alice.env });
    expect(f.code).toBe(0);
    expect(jsonLines(f.stdout)).toEqual(events);
  });

  it('without --follow prints what happened so far and exits 0 for a running execution', async () => {
    const id = await insertExecution(t.pool, { workflowId, userId: alice.userId });
    const d = driver(id, alice.userId);
    await d.started();
    await d.node('A');
    const r = await runCli(['executions', 'logs', id, '--json'], { env: alice.env });
    expect(r.code, r.stderr).toBe(0);
    expect(jsonLines(r.stdout).map((e) => e.type)).toEqual(['execution.started', 'node.started', 'node.finished']);
    const redis = await worker.redis();
    expect(await redis.ttl(eventLogKey(id))).toBeGreaterThan(3600);
  });

  it("does not show another tenant's execution (exit 3) and rejects a malformed id the same way", async () => {
    const id = await insertExecution(t.pool, { workflowId, userId: alice.userId, status: 'success' });
    let r = await runCli(['executions', 'logs', id, '--follow'], { env: bob.env });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^error: execution ".*" not found/);
    expect(r.stdout).toBe('');
    r = await runCli(['executions', 'logs', 'not-an-id'], { env: alice.env });
    expect(r.code).toBe(3);
  });

  it('fails with exit 6 within seconds when Redis is down', async () => {
    const id = await insertExecution(t.pool, { workflowId, userId: alice.userId });
    const r = await runCli(['executions', 'logs', id, '--follow'], {
      env: { ...alice.env, JOBSPRINT_REDIS_URL: 'redis://127.0.0.1:1', JOBSPRINT_CONNECT_TIMEOUT_MS: '1000' },
    });
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/^error: Redis unavailable/);
    expect(r.ms).toBeLessThan(15_000);
  });
});

describe('jobsprint logs --follow', () => {
  it("tails only the caller's executions, filters by status, and prints JSON Lines", async () => {
    const bobWf = await insertWorkflow(t.pool, bob.userId, 'bob flow');
    const mine = await insertExecution(t.pool, { workflowId, userId: alice.userId });
    const theirs = await insertExecution(t.pool, { workflowId: bobWf, userId: bob.userId });
    const all = spawnCli(['logs', '--follow', '--json'], alice.env);
    const failedOnly = spawnCli(['logs', '--follow', '--status', 'failed', '--json'], alice.env);
    await all.waitFor(/following executions/);
    await failedOnly.waitFor(/following executions/);

    const a = driver(mine, alice.userId);
    const b = driver(theirs, bob.userId, bobWf);
    await a.started();
    await b.started();
    await b.node('Secret step');
    await a.node('Step 1');
    await a.node('Step 2', 'failed', 'boom');
    await a.finished('failed', 'boom');
    await all.waitFor(/"execution.finished"/);
    await failedOnly.waitFor(/"execution.finished"/);
    all.child.kill('SIGINT');
    failedOnly.child.kill('SIGINT');
    const [ra, rf] = await Promise.all([all.done, failedOnly.done]);
    expect(ra.code).toBe(0);
    expect(rf.code).toBe(0);

    const seen = jsonLines(ra.stdout);
    expect(seen.every((e) => e.user_id === alice.userId && e.execution_id === mine)).toBe(true);
    expect(seen.map((e) => e.type)).toEqual(['execution.started', 'node.started', 'node.finished', 'node.started', 'node.finished', 'execution.finished']);
    expect(ra.stdout).not.toContain('Secret step');

    expect(jsonLines(rf.stdout).map((e) => [e.type, e.node_name ?? null])).toEqual([
      ['node.finished', 'Step 2'],
      ['execution.finished', null],
    ]);
  });

  it('requires --follow (exit 2) and validates --status', async () => {
    let r = await runCli(['logs'], { env: alice.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: .*--follow/);
    r = await runCli(['logs', '--follow', '--status', 'bogus'], { env: alice.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/invalid --status "bogus"/);
  });
});

describe('event helpers', () => {
  it('assign a dense seq per execution atomically across concurrent publishers, and replay the tail', async () => {
    const id = '00000000-0000-4000-8000-000000000001';
    const base = { execution_id: id, workflow_id: workflowId, user_id: alice.userId };
    const live: number[] = [];
    const unsubscribe = await subscribeExecutionEvents(worker, (e) => e.execution_id === id && live.push(e.seq));
    const other = workerCore(t);
    try {
      const batches = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          appendAndPublish(i % 2 ? other : worker, [
            { ...base, type: 'node.started', node_name: `N${i}`, node_type: 'x', run_index: 0, retry: 0 },
            { ...base, type: 'node.finished', node_name: `N${i}`, node_type: 'x', status: 'success', items_in: 1, items_out: [1], duration_ms: 1, error: 'e'.repeat(5000), run_index: 0, retry: 0 },
          ]),
        ),
      );
      const seqs = batches.flatMap((b) => (b === false ? [] : b.map((e) => e.seq)));
      expect([...seqs].sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
      const log = await readEventLog(worker, id);
      expect(log.map((e) => e.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
      // A batch stays together: node.started directly before its node.finished.
      for (let i = 0; i < 40; i += 2) expect(log[i + 1]).toMatchObject({ type: 'node.finished', node_name: (log[i] as any).node_name });
      expect((log[1] as any).error.length).toBeLessThanOrEqual(2001);
      expect((await readEventLog(worker, id, 37)).map((e) => e.seq)).toEqual([38, 39, 40]);
      await sleep(200);
      expect(live).toEqual(log.map((e) => e.seq));
    } finally {
      await unsubscribe();
      await other.close();
    }
  });

  it("keep seq dense whether the worker's guess of the log length is right, wrong or unknown", async () => {
    const id = '00000000-0000-4000-8000-000000000002';
    const base = { execution_id: id, workflow_id: workflowId, user_id: alice.userId };
    const ev = (n: number) => ({ ...base, type: 'node.started' as const, node_name: `N${n}`, node_type: 'x', run_index: 0, retry: 0 });
    const live: Array<[number, string]> = [];
    const unsubscribe = await subscribeExecutionEvents(worker, (e) => e.execution_id === id && live.push([e.seq, (e as any).node_name]));
    try {
      expect(await appendGroups(worker, [[ev(1), ev(2)]], [0])).toEqual([2]); // right: sent as is
      expect(await appendGroups(worker, [[ev(3)]], [0])).toEqual([3]); // wrong (a cancel, another attempt): rewritten
      expect(await appendGroups(worker, [[ev(4), ev(5)]], [-1])).toEqual([5]); // unknown
      expect(await appendGroups(worker, [[ev(6)]], [5])).toEqual([6]);
      const log = await readEventLog(worker, id);
      expect(log.map((e) => [e.seq, (e as any).node_name])).toEqual([1, 2, 3, 4, 5, 6].map((n) => [n, `N${n}`]));
      expect(log.every((e) => e.execution_id === id && e.type === 'node.started' && typeof e.at === 'string')).toBe(true);
      await sleep(200);
      expect(live).toEqual(log.map((e) => [e.seq, (e as any).node_name]));
    } finally {
      await unsubscribe();
    }
  });

  it('return false instead of throwing when Redis is down', async () => {
    const down = workerCore(t, { JOBSPRINT_REDIS_URL: 'redis://127.0.0.1:1', JOBSPRINT_CONNECT_TIMEOUT_MS: '500' });
    try {
      const r = await appendAndPublish(down, { execution_id: 'x', workflow_id: 'w', user_id: 'u', type: 'execution.started', status: 'running' });
      expect(r).toBe(false);
    } finally {
      await down.close();
    }
  });

  it('work in process without Redis (embedded mode)', async () => {
    const embedded = workerCore(t, { JOBSPRINT_REDIS_URL: '' });
    try {
      const seen: number[] = [];
      const unsubscribe = await subscribeExecutionEvents(embedded, (e) => seen.push(e.seq));
      const base = { execution_id: 'emb-1', workflow_id: 'w', user_id: 'u' };
      await appendAndPublish(embedded, { ...base, type: 'execution.started', status: 'running' });
      await appendAndPublish(embedded, { ...base, type: 'execution.finished', status: 'success', error: null, duration_ms: 1 });
      await sleep(20);
      expect(seen).toEqual([1, 2]);
      expect((await readEventLog(embedded, 'emb-1')).map((e) => e.type)).toEqual(['execution.started', 'execution.finished']);
      await unsubscribe();
    } finally {
      await embedded.close();
    }
  });
});
