import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../../helpers/env.js';
import { json, runCli } from '../../helpers/cli.js';
import { createUserAndLogin, insertSessionRow, type LoggedInUser } from '../../helpers/users.js';
import { FAST_ENV, deleteQueues, insertWorkflow, startDaemon, waitFor, waitWorkflow, failingWorkflow, type DaemonProc } from '../pipeline/helpers.js';
import { jsonLines, spawnCli } from './fixtures.js';

// End to end: a real daemon runs the executions; the followers only read what it publishes.
let t: TestEnv;
let alice: LoggedInUser;
let env: NodeJS.ProcessEnv;
let daemon: DaemonProc;
let httpPort: number;
const oldSessions: Record<string, string> = {};

beforeAll(async () => {
  t = await createTestEnv();
  alice = await createUserAndLogin(t, { email: 'alice@example.com', username: 'alice' });
  env = { ...alice.env, ...FAST_ENV };
  await insertWorkflow(t.pool, alice.userId, 'Slow', waitWorkflow(3));
  await insertWorkflow(t.pool, alice.userId, 'Boom', failingWorkflow());
  // Sessions for the daemon's upkeep: two long dead, one ended yesterday.
  oldSessions.expired = await insertSessionRow(t.pool, alice.userId, { expires: '-8 days', active: true, ended: null });
  oldSessions.ended = await insertSessionRow(t.pool, alice.userId, { expires: '+1 day', active: false, ended: '-8 days' });
  oldSessions.recent = await insertSessionRow(t.pool, alice.userId, { expires: '+1 day', active: false, ended: '-1 day' });
  daemon = await startDaemon({ ...t.env, ...FAST_ENV }, ['--concurrency', '4', '--http-port', '0']);
  const started = await daemon.waitForLog((l) => l.msg === 'daemon started');
  httpPort = started.http_port;
});

afterAll(async () => {
  daemon?.kill('SIGTERM');
  await daemon?.exited;
  await deleteQueues(t.amqpUrl, t.amqpPrefix).catch(() => {});
  await t?.cleanup();
});

describe('daemon upkeep', () => {
  it('purges sessions that ended or expired over a week ago, keeping recent ones and the live login', async () => {
    const purged = await daemon.waitForLog((l) => l.msg === 'purged old sessions');
    expect(purged.sessions).toBeGreaterThanOrEqual(2);
    const left = (await t.pool.query(`SELECT id FROM sessions WHERE id = ANY($1::uuid[])`, [Object.values(oldSessions)])).rows.map((r) => r.id);
    expect(left).toEqual([oldSessions.recent]);
    expect((await runCli(['whoami'], { env })).code).toBe(0);
  });
});

describe('live logs from a real daemon', () => {
  it('logs --follow started mid-execution shows every node exactly once and ends with the execution', async () => {
    const tail = spawnCli(['logs', '--follow', '--json'], env);
    await tail.waitFor(/following executions/);

    const r = await runCli(['run', 'Slow', '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    const id: string = json(r).id;
    // Start following while the Wait node is in progress.
    await waitFor(async () => (await t.pool.query(`SELECT 1 FROM executions WHERE id = $1 AND status = 'running'`, [id])).rowCount, 20_000, 'running');
    const follower = spawnCli(['executions', 'logs', id, '--follow', '--json'], env);
    const res = await follower.done;
    expect(res.code, res.stderr).toBe(0);
    const events = jsonLines(res.stdout);
    expect(events.filter((e) => e.type === 'node.finished').map((e) => [e.node_name, e.status])).toEqual([
      ['Start', 'success'],
      ['Wait', 'success'],
      ['Set', 'success'],
    ]);
    expect(events.filter((e) => e.seq > 0).map((e) => e.seq)).toEqual(events.filter((e) => e.seq > 0).map((_, i) => i + 1));
    expect(events[0]).toMatchObject({ type: 'execution.started', attempt: 1 });
    expect(events.at(-1)).toMatchObject({ type: 'execution.finished', status: 'success' });

    // The tenant-wide tail saw the same execution's events.
    await tail.waitFor(new RegExp(`"execution.finished".*${id}|${id}.*"execution.finished"`));
    tail.child.kill('SIGINT');
    const tr = await tail.done;
    expect(tr.code).toBe(0);
    const tailed = jsonLines(tr.stdout).filter((e) => e.execution_id === id);
    expect(tailed.map((e) => e.seq)).toEqual(events.filter((e) => e.seq > 0).map((e) => e.seq));
  });

  it('run --follow of a failing workflow prints the failing node and exits 1', async () => {
    const r = await runCli(['run', 'Boom', '--follow', '--max-retries', '0'], { env });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/\tBoom\tfailed\t.*boom/);
    expect(r.stdout.trim().split('\n').at(-1)).toMatch(/\texecution\tfailed\t/);
  });

  it('the daemon serves /healthz, /readyz and /metrics with its counts', async () => {
    const base = `http://127.0.0.1:${httpPort}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    const body: any = await ready.json();
    expect(ready.status, JSON.stringify(body)).toBe(200);
    expect(body.checks.rabbitmq.ok).toBe(true);
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(Number(/^jobsprint_executions_started_total\{[^}]*\} (\d+)/m.exec(text)?.[1])).toBeGreaterThanOrEqual(2);
    expect(text).toMatch(/^jobsprint_executions_finished_total\{[^}]*status="success"[^}]*\} [1-9]/m);
    expect(text).toMatch(/^jobsprint_executions_finished_total\{[^}]*status="failed"[^}]*\} [1-9]/m);
    expect(text).toMatch(/^jobsprint_executions_in_flight\{[^}]*\} 0$/m);
    expect(text).toMatch(/^jobsprint_queue_depth\{[^}]*queue="ready"[^}]*\} 0$/m);

    const q = await runCli(['queue', 'status', '--json'], { env: t.env });
    expect(q.code, q.stderr).toBe(0);
    expect(json(q)).toMatchObject({ declared: true, ready: 0, consumers: 1 });
  });
});
