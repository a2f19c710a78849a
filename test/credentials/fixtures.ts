import { randomBytes, randomUUID } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { runCli, type CliResult } from '../helpers/cli.js';
import { createTestEnv, type TestEnv } from '../helpers/env.js';
import { createUserAndLogin, type LoggedInUser } from '../helpers/users.js';
import type { ActingAs } from '../../src/core/actor.js';
import { createPostgres } from '../../src/core/db/postgres.js';
import type { Db } from '../../src/core/db/types.js';
import { KeySet, parseKeys } from '../../src/core/credentials/keys.js';
import type { CredentialDeps } from '../../src/core/credentials/store.js';

export const newKey = (id: string) => `${id}:${randomBytes(32).toString('base64')}`;

/** A user row written straight into the database (the users commands are tested elsewhere). */
export async function insertUser(pool: pg.Pool, role: 'user' | 'admin' = 'user'): Promise<string> {
  const tag = randomBytes(4).toString('hex');
  const r = await pool.query<{ id: string }>(
    `INSERT INTO users (email, username, password_hash, role) VALUES ($1, $2, 'x', $3) RETURNING id`,
    [`u${tag}@example.com`, `u${tag}`, role],
  );
  return r.rows[0]!.id;
}

export function asUser(userId: string, role: 'user' | 'admin' = 'user'): ActingAs {
  return {
    actor: { kind: 'user', userId, email: null, username: null, role, sessionId: null },
    scope: { userId, role },
  };
}

export async function openDb(url: string): Promise<Db> {
  return createPostgres({ url, max: 8 });
}

export function depsFor(db: Db, keysText: string): CredentialDeps {
  const keys = new KeySet(parseKeys(keysText, 'env'));
  return { db, keys: async () => keys, audit: { requestId: randomUUID(), userAgent: 'jobsprint-test' } };
}

export interface CredentialsCliSuite {
  t: TestEnv;
  /** admin@example.com, an admin. */
  admin: LoggedInUser;
  /** alice@example.com, a user: the owner of the credentials `add` creates. */
  alice: LoggedInUser;
  /** This file's two encryption keys, `k1:…` and `k2:…`. */
  k1: string;
  k2: string;
  /** `u`'s CLI environment with JOBSPRINT_ENCRYPTION_KEYS set to `keys` (k1 unless given). */
  withKeys(u: LoggedInUser, keys?: string): NodeJS.ProcessEnv;
  /** `credentials add --data-stdin --json` with `data` on stdin, as alice with k1 unless `env` is given. */
  add(name: string, type: string, data: unknown, env?: NodeJS.ProcessEnv): Promise<CliResult>;
}

/**
 * The setup of a credentials CLI test file: its own database (no broker), an admin and alice
 * logged in, all torn down after the file. The keys and functions are there at once; t, admin
 * and alice are set in beforeAll.
 */
export function credentialsCliSuite(): CredentialsCliSuite {
  const suite = { k1: newKey('k1'), k2: newKey('k2') } as CredentialsCliSuite;
  suite.withKeys = (u, keys = suite.k1) => ({ ...u.env, JOBSPRINT_ENCRYPTION_KEYS: keys });
  suite.add = (name, type, data, env = suite.withKeys(suite.alice)) =>
    runCli(['credentials', 'add', '--name', name, '--type', type, '--data-stdin', '--json'], { env, input: JSON.stringify(data) });
  beforeAll(async () => {
    suite.t = await createTestEnv({ amqp: false });
    suite.admin = await createUserAndLogin(suite.t, { email: 'admin@example.com', username: 'admin', role: 'admin' });
    suite.alice = await createUserAndLogin(suite.t, { email: 'alice@example.com', username: 'alice' });
  });
  afterAll(async () => {
    await suite.t?.cleanup();
  });
  return suite;
}
