import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestEnv, type TestEnv } from '../helpers/env.js';
import type { Db } from '../../src/core/db/types.js';
import { revealCredential, updateCredential, type CredentialDeps } from '../../src/core/credentials/store.js';
import { rotateKeys } from '../../src/core/credentials/rotate.js';
import { sealCredential, PAYLOAD_OFFSET } from '../../src/core/credentials/envelope.js';
import { KeySet, parseKeys } from '../../src/core/credentials/keys.js';
import { asUser, depsFor, insertUser, newKey, openDb } from './fixtures.js';

let t: TestEnv;
let db: Db;
let owner: string;
const k1 = newKey('k1');
const k2 = newKey('k2');
const k3 = newKey('k3');

beforeAll(async () => {
  t = await createTestEnv({ redis: false, amqp: false });
  db = await openDb(t.databaseUrl);
  owner = await insertUser(t.pool);
});
afterAll(async () => {
  await db?.close();
  await t?.cleanup();
});

/** Insert n bearer credentials encrypted under `keysText`'s active key; returns id → token. */
async function seed(n: number, keysText: string, prefix: string): Promise<Map<string, string>> {
  const keys = new KeySet(parseKeys(keysText, 'env'));
  const tokens = new Map<string, string>();
  const ids: string[] = [];
  const names: string[] = [];
  const envs: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const id = randomUUID();
    const token = `tok_${randomBytes(10).toString('hex')}`;
    tokens.set(id, token);
    ids.push(id);
    names.push(`${prefix}-${i}`);
    envs.push(sealCredential(keys, { credentialId: id, userId: owner }, { token }).envelope);
  }
  await t.pool.query(
    `INSERT INTO credentials (id, user_id, name, type, encrypted_data, key_id)
     SELECT id, $1, name, 'bearer', data, $5 FROM unnest($2::uuid[], $3::text[], $4::bytea[]) AS v(id, name, data)`,
    [owner, ids, names, envs, keys.active.id],
  );
  return tokens;
}

async function keyCounts(): Promise<Record<string, number>> {
  const r = await t.pool.query(`SELECT key_id, count(*)::int AS n FROM credentials GROUP BY key_id`);
  return Object.fromEntries(r.rows.map((x) => [x.key_id, x.n]));
}

async function expectAllDecrypt(deps: CredentialDeps, expected: Map<string, string>) {
  for (const [id, token] of expected) {
    expect((await revealCredential(deps, asUser(owner), id)).data).toEqual({ token });
  }
}

describe('rotate-key', () => {
  it('resumes an interrupted rotation, leaves payloads untouched, and works after the old key is removed', async () => {
    await t.pool.query(`DELETE FROM credentials`);
    const tokens = await seed(120, k1, 'r');
    const before = new Map(
      (await t.pool.query(`SELECT id, encrypted_data, updated_at FROM credentials`)).rows.map((r) => [r.id, r]),
    );
    const deps = depsFor(db, `${k2},${k1}`);
    const keys = await deps.keys();
    const stop = new AbortController();
    let calls = 0;
    const first = await rotateKeys(db, keys, deps.audit, {
      batchSize: 25,
      signal: stop.signal,
      onProgress: () => {
        if (++calls === 2) stop.abort();
      },
    });
    expect(first).toMatchObject({ interrupted: true, rotated: 50, total: 120, target_key_id: 'k2', failed: 0 });
    expect(await keyCounts()).toEqual({ k1: 70, k2: 50 });

    const second = await rotateKeys(db, keys, deps.audit, { batchSize: 25 });
    expect(second).toMatchObject({ interrupted: false, rotated: 70, total: 70, remaining: 0, from: { k1: 70 } });
    expect(await keyCounts()).toEqual({ k2: 120 });

    const third = await rotateKeys(db, keys, deps.audit, { batchSize: 25 });
    expect(third).toMatchObject({ rotated: 0, total: 0, remaining: 0 });

    const after = (await t.pool.query(`SELECT id, encrypted_data, updated_at FROM credentials`)).rows;
    for (const row of after) {
      const old = before.get(row.id)!;
      expect(row.encrypted_data.subarray(PAYLOAD_OFFSET).equals(old.encrypted_data.subarray(PAYLOAD_OFFSET))).toBe(true);
      expect(row.updated_at.getTime()).toBe(old.updated_at.getTime());
    }
    // k1 removed from the configuration: everything still decrypts.
    await expectAllDecrypt(depsFor(db, k2), tokens);
    const audit = await t.pool.query(`SELECT changes, metadata FROM audit_logs WHERE event_type = 'credential.key_rotated' ORDER BY created_at`);
    expect(audit.rows).toHaveLength(2);
    expect(audit.rows[1].changes).toEqual({ key_id: { from: ['k1'], to: 'k2' } });
  });

  it('loses no write made while the rotation runs', async () => {
    await t.pool.query(`DELETE FROM credentials`);
    const expected = await seed(300, k1, 'c');
    const ids = [...expected.keys()];
    const deps = depsFor(db, `${k3},${k1}`);
    const keys = await deps.keys();
    let rotating = true;
    let writesDuring = 0;
    const writer = async (seedN: number) => {
      let i = seedN;
      while (rotating) {
        const id = ids[(i = (i * 7 + 13) % ids.length)]!;
        const token = `new_${randomBytes(8).toString('hex')}`;
        await updateCredential(deps, asUser(owner), id, { data: { token } });
        expected.set(id, token);
        writesDuring++;
      }
    };
    // A writer that still runs with the old configuration (k1 active) holds a row lock across
    // the rotation's first pass, then writes a k1 envelope: the rotation must pick it up.
    const stale = depsFor(db, k1);
    const lockedId = ids[150]!;
    const lockedToken = `stale_${randomBytes(8).toString('hex')}`;
    const client = await t.pool.connect();
    await client.query('BEGIN');
    await client.query(`SELECT 1 FROM credentials WHERE id = $1 FOR UPDATE`, [lockedId]);
    const staleWrite = (async () => {
      await sleep(300);
      const env = sealCredential(await stale.keys(), { credentialId: lockedId, userId: owner }, { token: lockedToken });
      await client.query(`UPDATE credentials SET encrypted_data = $2, key_id = 'k1' WHERE id = $1`, [lockedId, env.envelope]);
      await client.query('COMMIT');
      client.release();
      expected.set(lockedId, lockedToken);
    })();
    const writers = [writer(1), writer(2), writer(3)];
    const result = await rotateKeys(db, keys, deps.audit, { batchSize: 10, pauseMs: 2 });
    rotating = false;
    await Promise.all([...writers, staleWrite]);
    expect(writesDuring).toBeGreaterThan(10);
    expect(result).toMatchObject({ remaining: 0, failed: 0, interrupted: false });
    expect(await keyCounts()).toEqual({ k3: 300 });
    await expectAllDecrypt(depsFor(db, k3), expected);
  });

  it('reports credentials it cannot re-wrap and rotates the rest', async () => {
    await t.pool.query(`DELETE FROM credentials`);
    const ok = await seed(5, k1, 'ok');
    const lost = await seed(2, newKey('k0'), 'lost');
    const deps = depsFor(db, `${k2},${k1}`);
    const result = await rotateKeys(db, await deps.keys(), deps.audit, { batchSize: 3 });
    expect(result.rotated).toBe(5);
    expect(result.failed).toBe(2);
    expect(result.remaining).toBe(2);
    expect(result.failures.map((f) => f.id).sort()).toEqual([...lost.keys()].sort());
    expect(result.failures[0]!.reason).toMatch(/^cannot decrypt credential [0-9a-f-]+: key k0 not configured$/);
    await expectAllDecrypt(depsFor(db, k2), ok);
  });

  it('refuses a target key that is not configured', async () => {
    const deps = depsFor(db, `${k2},${k1}`);
    await expect(rotateKeys(db, await deps.keys(), deps.audit, { to: 'k9' })).rejects.toMatchObject({
      exitCode: 2,
      message: 'key k9 is not configured',
    });
  });
});
