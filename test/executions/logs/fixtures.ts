import { spawn, type ChildProcess } from 'node:child_process';
import type pg from 'pg';
import { BIN } from '../../helpers/cli.js';
import type { TestEnv } from '../../helpers/env.js';
import { Config } from '../../../src/core/config.js';
import { Core } from '../../../src/core/context.js';

/** A Core in the test process, on the test's database and Redis prefix: publishes as a worker would. */
export function workerCore(t: TestEnv, extra: NodeJS.ProcessEnv = {}): Core {
  return new Core({ config: new Config({ ...t.env, ...extra }), longRunning: true });
}

export interface ExecRow {
  workflowId: string;
  userId: string;
  status?: string;
  trigger?: string;
  startedAt?: Date;
  completedAt?: Date | null;
  durationMs?: number | null;
  error?: string | null;
  metadata?: Record<string, unknown>;
}

export async function insertExecution(pool: pg.Pool, e: ExecRow): Promise<string> {
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO executions (workflow_id, user_id, status, trigger_type, started_at, completed_at, duration_ms, error_message, execution_metadata)
     VALUES ($1, $2, $3, $4, COALESCE($5, now()), $6, $7, $8, $9) RETURNING id`,
    [e.workflowId, e.userId, e.status ?? 'running', e.trigger ?? 'manual', e.startedAt ?? null, e.completedAt ?? null, e.durationMs ?? null, e.error ?? null, JSON.stringify(e.metadata ?? { attempt: 1 })],
  );
  return rows[0]!.id;
}

export interface NodeRow {
  name: string;
  status?: string;
  itemsIn?: number;
  itemsOut?: number[];
  durationMs?: number;
  error?: string | null;
  at?: Date;
}

/** Node rows as a worker writes them at the end of a run (one batch). */
export async function insertNodeRows(pool: pg.Pool, executionId: string, nodes: NodeRow[]): Promise<void> {
  let t = Date.now() - nodes.length * 10;
  for (const n of nodes) {
    const at = n.at ?? new Date((t += 10));
    await pool.query(
      `INSERT INTO execution_nodes (execution_id, node_id, node_name, node_type, status, started_at, completed_at, duration_ms, input_data, output_data, error_message)
       VALUES ($1, $2, $3, 'n8n-nodes-base.set', $4, $5, $5, $6, $7, $8, $9)`,
      [
        executionId,
        `id-${n.name}`,
        n.name,
        n.status ?? 'success',
        at,
        n.durationMs ?? 1,
        JSON.stringify(Array.from({ length: n.itemsIn ?? 1 }, () => ({ json: {} }))),
        JSON.stringify({ main: (n.itemsOut ?? [1]).map((c) => Array.from({ length: c }, () => ({ json: {} }))) }),
        n.error ?? null,
      ],
    );
  }
}

export interface Streaming {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves once stderr or stdout matches. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<void>;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/** Spawn the built CLI and watch its output while it runs (followers). */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 30_000): Streaming {
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const waiters: Array<() => void> = [];
  const check = () => waiters.forEach((w) => w());
  child.stdout!.setEncoding('utf8').on('data', (d) => {
    out += d;
    check();
  });
  child.stderr!.setEncoding('utf8').on('data', (d) => {
    err += d;
    check();
  });
  child.stdin!.end();
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: out, stderr: err });
    }),
  );
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    done,
    waitFor: (re, ms = 15_000) =>
      new Promise<void>((resolve, reject) => {
        const tm = setTimeout(() => reject(new Error(`timed out waiting for ${re}; stdout:\n${out}\nstderr:\n${err}`)), ms);
        const w = () => {
          if (re.test(out) || re.test(err)) {
            clearTimeout(tm);
            resolve();
          }
        };
        waiters.push(w);
        w();
      }),
  };
}

export function jsonLines(stdout: string): any[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
