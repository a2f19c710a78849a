import { randomBytes, randomUUID } from 'node:crypto';
import type pg from 'pg';
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
