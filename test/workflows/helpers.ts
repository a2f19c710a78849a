import { CORPUS_DIR } from '../helpers/shared.js';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ActingAs } from '../../src/core/actor.js';
import { Config } from '../../src/core/config.js';
import { Core } from '../../src/core/context.js';
import { afterAll, beforeAll, expect } from 'vitest';
import { runCli, type CliResult } from '../helpers/cli.js';
import { createTestEnv, type TestEnv } from '../helpers/env.js';
import { createUserAndLogin, type LoggedInUser } from '../helpers/users.js';

export const CORPUS = process.env.JOBSPRINT_N8N_CORPUS ?? `${CORPUS_DIR}/`;

/** Every workflow file of the shared corpus (public workflows and n8n's node fixtures). */
export function corpusFiles(): string[] {
  const files: string[] = [];
  for (const dir of ['public', 'n8n-fixtures']) {
    for (const f of readdirSync(join(CORPUS, dir)).sort()) if (f.endsWith('.json')) files.push(join(CORPUS, dir, f));
  }
  return files;
}

/** A Core on the test file's database and Redis prefix, as a command would build it. */
export function testCore(t: TestEnv): Core {
  return new Core({ config: new Config(t.env) });
}

/** A tenant, inserted directly (the core functions are under test, not login). */
export async function createTenant(t: TestEnv, username: string, role: 'user' | 'admin' = 'user'): Promise<ActingAs> {
  const r = await t.pool.query<{ id: string }>(
    `INSERT INTO users (email, username, password_hash, role) VALUES ($1, $2, 'x', $3) RETURNING id`,
    [`${username}@example.com`, username, role],
  );
  const userId = r.rows[0]!.id;
  return {
    actor: { kind: 'user', userId, email: `${username}@example.com`, username, role, sessionId: null },
    scope: { userId, role },
  };
}

/** Write a document (or raw text) to `dir/name` for a CLI test to read; returns the path. */
export function writeDoc(dir: string, name: string, doc: unknown): string {
  const f = join(dir, name);
  writeFileSync(f, typeof doc === 'string' ? doc : JSON.stringify(doc));
  return f;
}

interface WorkflowsCliBase {
  t: TestEnv;
  /** A directory in the file's HOME for the documents the binary reads and writes. */
  dir: string;
  /** Run the binary as `user`, with `input` (if any) on stdin. */
  cli(user: LoggedInUser, args: string[], input?: string): Promise<CliResult>;
  /** Write a document (or raw text) to `dir/name`; returns the path. */
  write(name: string, doc: unknown): string;
}

/** The base fields plus one logged-in user per username given to workflowsCliSuite. */
export type WorkflowsCliSuite<U extends string> = WorkflowsCliBase & { [K in U]: LoggedInUser };

/**
 * The setup of a workflows CLI test file: its own database (no broker), the users named, in
 * order, created and logged in as `<username>@example.com` (the first is the bootstrap admin),
 * and a documents directory; torn down after the file. cli and write are there at once; t, dir
 * and the users are set in beforeAll.
 *
 *   const suite = workflowsCliSuite('ada', 'bob');
 *   await suite.cli(suite.ada, ['workflows', 'list', '--json']);
 */
export function workflowsCliSuite<U extends string>(...usernames: U[]): WorkflowsCliSuite<U> {
  const suite = {} as WorkflowsCliSuite<U>;
  for (const u of usernames) if (['t', 'dir', 'cli', 'write'].includes(u)) throw new Error(`"${u}" cannot be a username here`);
  suite.cli = (user, args, input) => runCli(args, { env: user.env, input });
  suite.write = (name, doc) => writeDoc(suite.dir, name, doc);
  beforeAll(async () => {
    suite.t = await createTestEnv({ amqp: false });
    const users = suite as Record<string, LoggedInUser>;
    for (const u of usernames) users[u] = await createUserAndLogin(suite.t, { email: `${u}@example.com`, username: u });
    suite.dir = join(suite.t.home, 'files');
    mkdirSync(suite.dir);
  });
  afterAll(async () => {
    await suite.t?.cleanup();
  });
  return suite;
}

/** A small valid n8n workflow: manual trigger → Set. */
export function cliFlow(name: string, value = 'one') {
  return {
    name,
    nodes: [
      { id: 'n1', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
      { id: 'n2', name: 'Set', type: 'n8n-nodes-base.set', typeVersion: 3.4, position: [200, 0], parameters: { value } },
    ],
    connections: { Start: { main: [[{ node: 'Set', type: 'main', index: 0 }]] } },
  };
}

/** A failed command: the exit code, one line on stderr, nothing on stdout. */
export { expectOneLineError } from '../helpers/cli.js';
