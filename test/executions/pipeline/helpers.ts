import { spawn, execFile, type ChildProcess } from 'node:child_process';
import type pg from 'pg';
import { BIN, json, runCli } from '../../helpers/cli.js';
import { afterAll, beforeAll, expect } from 'vitest';
import { createTestEnv, type TestEnv } from '../../helpers/env.js';
import { createUserAndLogin, type LoggedInUser } from '../../helpers/users.js';

/** Short timings so crash recovery takes seconds in tests. */
export const FAST_ENV: NodeJS.ProcessEnv = {
  JOBSPRINT_EXECUTION_HEARTBEAT_MS: '500',
  JOBSPRINT_EXECUTION_STALE_MS: '4000',
  JOBSPRINT_EXECUTION_SWEEP_INTERVAL_MS: '500',
  JOBSPRINT_EXECUTION_UNPUBLISHED_AFTER_MS: '1000',
  JOBSPRINT_EXECUTION_RETRY_BASE_MS: '300',
};

const trigger = { id: 'n-trigger', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, parameters: {}, position: [0, 0] };
const setNode = {
  id: 'n-set',
  name: 'Set',
  type: 'n8n-nodes-base.set',
  typeVersion: 3.4,
  parameters: {
    assignments: { assignments: [{ id: '1', name: 'doubled', value: '={{ ($json.x ?? 1) * 2 }}', type: 'number' }] },
    includeOtherFields: true,
    options: {},
  },
  position: [200, 0],
};
const ifNode = {
  id: 'n-if',
  name: 'If',
  type: 'n8n-nodes-base.if',
  typeVersion: 2.2,
  parameters: {
    conditions: {
      options: { caseSensitive: true, typeValidation: 'strict', version: 2 },
      conditions: [{ leftValue: '={{ $json.doubled }}', rightValue: 3, operator: { type: 'number', operation: 'gt' } }],
      combinator: 'and',
    },
    options: {},
  },
  position: [400, 0],
};

/** manual trigger → Set → If: the benchmark's workflow. */
export function setIfWorkflow(): Record<string, unknown> {
  return {
    nodes: [trigger, setNode, ifNode],
    connections: {
      Start: { main: [[{ node: 'Set', type: 'main', index: 0 }]] },
      Set: { main: [[{ node: 'If', type: 'main', index: 0 }]] },
    },
    settings: { executionOrder: 'v1' },
  };
}

/**
 * manual trigger → Wait (seconds) → Set: long enough to be in flight when something breaks.
 * No expressions, so no sandbox per execution: the tests measure the pipeline, not the engine.
 */
export function waitWorkflow(seconds: number): Record<string, unknown> {
  const literalSet = { ...setNode, parameters: { ...setNode.parameters, assignments: { assignments: [{ id: '1', name: 'done', value: 'yes', type: 'string' }] } } };
  return {
    nodes: [
      trigger,
      { id: 'n-wait', name: 'Wait', type: 'n8n-nodes-base.wait', typeVersion: 1.1, parameters: { resume: 'timeInterval', amount: seconds, unit: 'seconds' }, position: [200, 0] },
      { ...literalSet, position: [400, 0] },
    ],
    connections: {
      Start: { main: [[{ node: 'Wait', type: 'main', index: 0 }]] },
      Wait: { main: [[{ node: 'Set', type: 'main', index: 0 }]] },
    },
    settings: { executionOrder: 'v1' },
  };
}

/** manual trigger → Code that throws: fails every time. */
export function failingWorkflow(): Record<string, unknown> {
  return {
    nodes: [
      trigger,
      { id: 'n-code', name: 'Boom', type: 'n8n-nodes-base.code', typeVersion: 2, parameters: { jsCode: "throw new Error('boom')" }, position: [200, 0] },
    ],
    connections: { Start: { main: [[{ node: 'Boom', type: 'main', index: 0 }]] } },
    settings: { executionOrder: 'v1' },
  };
}

/** manual trigger → Code that counts its runs in the workflow's static data ($getWorkflowStaticData). */
export function counterWorkflow(): Record<string, unknown> {
  const jsCode = "const s = $getWorkflowStaticData('global'); s.runs = (s.runs || 0) + 1; return [{ json: { runs: s.runs } }];";
  return {
    nodes: [trigger, { id: 'n-count', name: 'Count', type: 'n8n-nodes-base.code', typeVersion: 2, parameters: { jsCode }, position: [200, 0] }],
    connections: { Start: { main: [[{ node: 'Count', type: 'main', index: 0 }]] } },
    settings: { executionOrder: 'v1' },
  };
}

/** manual trigger → Code with an endless loop, and a workflow timeout. */
export function infiniteLoopWorkflow(timeoutS: number): Record<string, unknown> {
  return {
    nodes: [
      trigger,
      { id: 'n-loop', name: 'Loop', type: 'n8n-nodes-base.code', typeVersion: 2, parameters: { jsCode: 'while (true) {}' }, position: [200, 0] },
    ],
    connections: { Start: { main: [[{ node: 'Loop', type: 'main', index: 0 }]] } },
    settings: { executionOrder: 'v1', executionTimeout: timeoutS },
  };
}

export async function insertWorkflow(pool: pg.Pool, userId: string, name: string, definition: Record<string, unknown> = { nodes: [], connections: {} }): Promise<string> {
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO workflows (user_id, name, definition, settings) VALUES ($1, $2, $3, $4) RETURNING id`,
    [userId, name, JSON.stringify(definition), JSON.stringify(definition.settings ?? {})],
  );
  return rows[0]!.id;
}

export interface DaemonProc {
  child: ChildProcess;
  logs: Array<Record<string, any>>;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
  /** Resolves once a log line matches. */
  waitForLog(match: (line: Record<string, any>) => boolean, timeoutMs?: number): Promise<Record<string, any>>;
  kill(signal?: NodeJS.Signals): void;
}

/** Spawn `jobsprint daemon` (the built binary) and wait until it says it started. */
export async function startDaemon(env: NodeJS.ProcessEnv, args: string[] = []): Promise<DaemonProc> {
  const child = spawn(process.execPath, [BIN, 'daemon', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const logs: Array<Record<string, any>> = [];
  const waiters: Array<{ match: (l: Record<string, any>) => boolean; resolve: (l: Record<string, any>) => void }> = [];
  let partial = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    partial += d;
    const lines = partial.split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      try {
        const l = JSON.parse(line);
        logs.push(l);
        for (const w of [...waiters]) if (w.match(l)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(l);
        }
      } catch {
        // not a log line
      }
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const proc: DaemonProc = {
    child,
    logs,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForLog(match, timeoutMs = 20_000) {
      const found = logs.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching daemon log within ${timeoutMs} ms\nstdout:\n${out}\nstderr:\n${err}`)), timeoutMs);
        waiters.push({ match, resolve: (l) => (clearTimeout(timer), resolve(l)) });
        void exited.then((code) => reject(new Error(`daemon exited (${code}) before the log\nstdout:\n${out}\nstderr:\n${err}`)));
      });
    },
    kill(signal = 'SIGTERM') {
      child.kill(signal);
    },
  };
  await proc.waitForLog((l) => l.msg === 'daemon started');
  return proc;
}

export async function waitFor<T>(fn: () => Promise<T | undefined | null | false>, timeoutMs = 30_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

export async function statusCounts(pool: pg.Pool, workflowId?: string): Promise<Record<string, number>> {
  const { rows } = await pool.query<{ status: string; n: number }>(
    `SELECT status, COUNT(*)::int AS n FROM executions ${workflowId ? 'WHERE workflow_id = $1' : ''} GROUP BY status`,
    workflowId ? [workflowId] : [],
  );
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

/** The sharded counters (exact at every commit) and what the executions table says. */
export async function countersAndTable(pool: pg.Pool, workflowId: string) {
  const c = await pool.query(
    `SELECT total_executions::int AS total, successful_executions::int AS success, failed_executions::int AS failed
     FROM workflow_execution_counters WHERE workflow_id = $1`,
    [workflowId],
  );
  const t = await pool.query(
    `SELECT COUNT(*)::int AS total, (COUNT(*) FILTER (WHERE status = 'success'))::int AS success,
            (COUNT(*) FILTER (WHERE status = 'failed'))::int AS failed
     FROM executions WHERE workflow_id = $1`,
    [workflowId],
  );
  const w = await pool.query(
    `SELECT total_executions::int AS total, successful_executions::int AS success, failed_executions::int AS failed FROM workflows WHERE id = $1`,
    [workflowId],
  );
  return { counters: c.rows[0] ?? { total: 0, success: 0, failed: 0 }, table: t.rows[0], workflowRow: w.rows[0] };
}

/** Delete this test's queues (quorum queues outlive their consumers). */
export async function deleteQueues(amqpUrl: string, prefix: string): Promise<void> {
  const amqp = await import('amqplib');
  const conn = await amqp.connect(amqpUrl);
  try {
    const names = await listQueues(prefix).catch(() => [`${prefix}.executions`, `${prefix}.executions.dead`]);
    for (const name of names) {
      const ch = await conn.createChannel();
      ch.on('error', () => {});
      await ch.deleteQueue(name).catch(() => {});
      await ch.close().catch(() => {});
    }
    const ch = await conn.createChannel();
    await ch.deleteExchange(`${prefix}.executions`).catch(() => {});
    await ch.deleteExchange(`${prefix}.executions.dlx`).catch(() => {});
    await ch.close().catch(() => {});
  } finally {
    await conn.close().catch(() => {});
  }
}

export function listQueues(prefix: string): Promise<string[]> {
  return new Promise((resolve, reject) =>
    execFile('rabbitmqctl', ['list_queues', '-q', '--formatter', 'json', 'name'], { timeout: 20_000 }, (err, stdout) => {
      if (err) return reject(err);
      const rows = JSON.parse(stdout) as Array<{ name: string }>;
      resolve(rows.map((r) => r.name).filter((n) => n.startsWith(prefix + '.')));
    }),
  );
}

/** Close only this test's daemon connections (never the shared broker's others). */
export function closeOwnConnections(prefix: string): Promise<number> {
  return new Promise((resolve, reject) =>
    // Tab-separated output: close_connection needs the pid in this (not the JSON) syntax.
    execFile('rabbitmqctl', ['list_connections', '-q', 'pid', 'client_properties'], { timeout: 30_000 }, async (err, stdout) => {
      if (err) return reject(err);
      const mine = stdout.split('\n').filter((l) => l.includes(`"jobsprint daemon ${prefix} `)).map((l) => l.split('\t')[0]!);
      for (const pid of mine) {
        await new Promise<void>((res) => execFile('rabbitmqctl', ['close_connection', pid, 'test: forced close'], { timeout: 30_000 }, () => res()));
      }
      resolve(mine.length);
    }),
  );
}

/** Messages in a queue, read over AMQP. */
export async function queueDepth(amqpUrl: string, name: string): Promise<number> {
  const amqp = await import('amqplib');
  const conn = await amqp.connect(amqpUrl);
  try {
    const ch = await conn.createChannel();
    const q = await ch.checkQueue(name);
    return q.messageCount;
  } finally {
    await conn.close().catch(() => {});
  }
}

export interface PipelineSuite {
  t: TestEnv;
  alice: LoggedInUser;
  /** alice's CLI environment with the fast pipeline settings. */
  env: NodeJS.ProcessEnv;
  /** Daemons started so far; each is killed (and the file's queues deleted) after the file. */
  daemons: DaemonProc[];
  daemon(args?: string[], extra?: NodeJS.ProcessEnv): Promise<DaemonProc>;
  /** Stop (SIGTERM) the daemons started so far, one after the other, each waited for. */
  stopDaemons(): Promise<void>;
  /** `jobsprint run <args> --json` as alice; asserts exit 0 and returns the JSON it printed. */
  run(args: string[]): Promise<any>;
  /** An execution's status, read from the table (undefined when there is no such row). */
  statusOf(id: string): Promise<string | undefined>;
}

/**
 * The setup of a pipeline test file: its own database and broker prefix, a logged-in user,
 * and daemons started on demand, all torn down after the file. The functions are there at once;
 * t, alice and env are set in beforeAll.
 */
export function pipelineSuite(): PipelineSuite {
  const suite = { daemons: [] as DaemonProc[] } as PipelineSuite;
  suite.daemon = async (args = ['--concurrency', '8'], extra = {}) => {
    const d = await startDaemon({ ...suite.t.env, ...FAST_ENV, ...extra }, args);
    suite.daemons.push(d);
    return d;
  };
  suite.stopDaemons = async () => {
    for (const d of suite.daemons.splice(0)) {
      d.kill('SIGTERM');
      await d.exited;
    }
  };
  suite.run = async (args) => {
    const r = await runCli(['run', ...args, '--json'], { env: suite.env });
    expect(r.code, r.stderr).toBe(0);
    return json(r);
  };
  suite.statusOf = async (id) => (await suite.t.pool.query(`SELECT status FROM executions WHERE id = $1`, [id])).rows[0]?.status;
  beforeAll(async () => {
    suite.t = await createTestEnv();
    suite.alice = await createUserAndLogin(suite.t, { email: 'alice@example.com', username: 'alice' });
    suite.env = { ...suite.alice.env, ...FAST_ENV };
  });
  afterAll(async () => {
    for (const d of suite.daemons) d.kill('SIGKILL');
    await Promise.all(suite.daemons.map((d) => d.exited));
    if (suite.t) await deleteQueues(suite.t.amqpUrl, suite.t.amqpPrefix).catch(() => {});
    await suite.t?.cleanup();
  });
  return suite;
}
