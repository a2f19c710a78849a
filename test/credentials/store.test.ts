import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes, randomUUID } from 'node:crypto';
import { createTestEnv, type TestEnv } from '../helpers/env.js';
import type { Db, Queryable } from '../../src/core/db/types.js';
import {
  createCredential,
  deleteCredential,
  getCredential,
  listCredentials,
  revealCredential,
  updateCredential,
  type CredentialDeps,
} from '../../src/core/credentials/store.js';
import { StoreCredentialsProvider } from '../../src/core/credentials/provider.js';
import { asUser, depsFor, insertUser, newKey, openDb } from './fixtures.js';

let t: TestEnv;
let db: Db;
let deps: CredentialDeps;
let alice: string;
let bob: string;
const k1 = newKey('k1');

beforeAll(async () => {
  t = await createTestEnv({ redis: false, amqp: false });
  db = await openDb(t.databaseUrl);
  deps = depsFor(db, k1);
  alice = await insertUser(t.pool);
  bob = await insertUser(t.pool);
});
afterAll(async () => {
  await db?.close();
  await t?.cleanup();
});

const secret = () => 'S3CRET_' + randomBytes(12).toString('hex');

/** deps whose database counts transactions, the statements sent inside them, and any sent outside one. */
function counting(base: CredentialDeps) {
  const n = { transactions: 0, statements: 0, outside: 0 };
  const wrap = (tx: Queryable): Queryable => ({
    query: (sql, params, opts) => {
      n.statements++;
      return tx.query(sql, params, opts);
    },
  });
  const counted: Db = {
    kind: base.db.kind,
    displayName: base.db.displayName,
    query: (sql, params, opts) => {
      n.outside++;
      return base.db.query(sql, params, opts);
    },
    transaction: (fn) => {
      n.transactions++;
      return base.db.transaction((tx) => fn(wrap(tx)));
    },
    tenantTransaction: (scope, fn) => {
      n.transactions++;
      return base.db.tenantTransaction(scope, (tx) => fn(wrap(tx)));
    },
    close: () => base.db.close(),
  };
  return { deps: { ...base, db: counted }, n };
}

async function auditRows(resourceId: string) {
  const r = await t.pool.query(`SELECT event_type, action, changes, metadata FROM audit_logs WHERE resource_id = $1 ORDER BY created_at`, [resourceId]);
  return r.rows;
}

describe('credential store', () => {
  it('stores only the envelope: no plaintext in any column, oauth token columns NULL', async () => {
    const pw = secret();
    const at = secret();
    const c = await createCredential(deps, asUser(alice), {
      name: 'gh',
      type: 'oauth2',
      data: { clientId: 'cid', clientSecret: pw, accessTokenUrl: 'https://x/token', oauthTokenData: { access_token: at, expires_at: '2031-05-01T00:00:00Z' } },
    });
    const row = (await t.pool.query(`SELECT * FROM credentials WHERE id = $1`, [c.id])).rows[0];
    expect(row.key_id).toBe('k1');
    expect(row.oauth_access_token).toBeNull();
    expect(row.oauth_refresh_token).toBeNull();
    expect(row.oauth_expires_at.toISOString()).toBe('2031-05-01T00:00:00.000Z');
    const everything = JSON.stringify(row) + (row.encrypted_data as Buffer).toString('latin1');
    expect(everything).not.toContain(pw);
    expect(everything).not.toContain(at);
    expect(c.data).toEqual({ clientId: 'cid', clientSecret: `••••${pw.slice(-4)}`, accessTokenUrl: 'https://x/token', oauthTokenData: '••••' });
  });

  it('lists and shows without secrets, scoped to the owner', async () => {
    const pw = secret();
    await createCredential(deps, asUser(alice), { name: 'db', type: 'basic_auth', data: { user: 'app', password: pw } });
    const list = await listCredentials(deps, asUser(alice).scope);
    expect(list.map((c) => c.name)).toContain('db');
    expect(JSON.stringify(list)).not.toContain(pw);
    expect(JSON.stringify(list)).not.toContain('••••');
    const shown = await getCredential(deps, asUser(alice), 'db');
    expect(shown.data).toEqual({ user: 'app', password: `••••${pw.slice(-4)}` });
    await expect(getCredential(deps, asUser(bob), 'db')).rejects.toMatchObject({ exitCode: 3, message: 'credential "db" not found' });
    await expect(getCredential(deps, asUser(bob), shown.id)).rejects.toMatchObject({ exitCode: 3 });
    expect(await listCredentials(deps, asUser(bob).scope)).toEqual([]);
  });

  it('refuses a duplicate name with exit 5 and writes nothing', async () => {
    await createCredential(deps, asUser(alice), { name: 'dup', type: 'bearer', data: { token: secret() } });
    const before = (await t.pool.query(`SELECT count(*)::int AS n FROM audit_logs`)).rows[0].n;
    await expect(createCredential(deps, asUser(alice), { name: 'dup', type: 'bearer', data: { token: secret() } })).rejects.toMatchObject({
      exitCode: 5,
      message: 'credential "dup" already exists',
    });
    expect((await t.pool.query(`SELECT count(*)::int AS n FROM audit_logs`)).rows[0].n).toBe(before);
    // Another user may use the same name.
    await createCredential(deps, asUser(bob), { name: 'dup', type: 'bearer', data: { token: secret() } });
  });

  it('links an integration of the owner by app id, and refuses an unknown one with exit 3', async () => {
    await t.pool.query(`INSERT INTO integrations (user_id, app_id, app_name, app_type) VALUES ($1, 'slack', 'Slack', 'n8n')`, [alice]);
    const c = await createCredential(deps, asUser(alice), { name: 'slack-bot', type: 'bearer', data: { token: secret() }, integration: 'slack' });
    expect(c.app_id).toBe('slack');
    expect(c.integration_id).toMatch(/^[0-9a-f-]{36}$/);
    await expect(
      createCredential(deps, asUser(bob), { name: 'slack-bot', type: 'bearer', data: { token: secret() }, integration: 'slack' }),
    ).rejects.toMatchObject({ exitCode: 3, message: 'integration "slack" not found' });
    expect((await t.pool.query(`SELECT 1 FROM credentials WHERE user_id = $1 AND name = 'slack-bot'`, [bob])).rowCount).toBe(0);
  });

  it('reveals to the owner only, with a credential.revealed audit row', async () => {
    const tok = secret();
    const c = await createCredential(deps, asUser(alice), { name: 'rv', type: 'bearer', data: { token: tok } });
    const r = await revealCredential(deps, asUser(alice), 'rv');
    expect(r.data).toEqual({ token: tok });
    const admin = await insertUser(t.pool, 'admin');
    const adminAsAlice = { actor: { ...asUser(admin, 'admin').actor }, scope: { userId: alice, role: 'admin' as const } };
    await expect(revealCredential(deps, adminAsAlice, 'rv')).rejects.toMatchObject({ exitCode: 4 });
    const audit = await auditRows(c.id);
    expect(audit.map((a) => a.event_type)).toEqual(['credential.created', 'credential.revealed']);
    expect(JSON.stringify(audit)).not.toContain(tok);
  });

  it('updates by merging fields, re-encrypting under a new data key, auditing field names only', async () => {
    const pw1 = secret();
    const pw2 = secret();
    const c = await createCredential(deps, asUser(alice), { name: 'up', type: 'basic_auth', data: { user: 'u1', password: pw1 } });
    const before = (await t.pool.query(`SELECT encrypted_data FROM credentials WHERE id = $1`, [c.id])).rows[0].encrypted_data;
    const u = await updateCredential(deps, asUser(alice), 'up', { data: { password: pw2 }, name: 'up2' });
    expect(u.name).toBe('up2');
    expect(u.data).toEqual({ user: 'u1', password: `••••${pw2.slice(-4)}` });
    expect((await revealCredential(deps, asUser(alice), c.id)).data).toEqual({ user: 'u1', password: pw2 });
    const after = (await t.pool.query(`SELECT encrypted_data FROM credentials WHERE id = $1`, [c.id])).rows[0].encrypted_data;
    expect(after.subarray(1, 61).equals(before.subarray(1, 61))).toBe(false);
    const audit = await auditRows(c.id);
    const upd = audit.find((a) => a.event_type === 'credential.updated');
    expect(upd.changes).toEqual({ name: { from: 'up', to: 'up2' }, fields: ['password'] });
    expect(JSON.stringify(audit)).not.toContain(pw1);
    expect(JSON.stringify(audit)).not.toContain(pw2);
    await expect(updateCredential(deps, asUser(alice), 'up2', { data: { password: null } })).rejects.toMatchObject({
      exitCode: 2,
      message: 'missing field "password" for basic_auth',
    });
    await expect(updateCredential(deps, asUser(alice), 'up2', {})).rejects.toMatchObject({ exitCode: 2 });
  });

  it('replaces the data without decrypting when the old key is gone', async () => {
    const c = await createCredential(deps, asUser(alice), { name: 'lost', type: 'bearer', data: { token: secret() } });
    const onlyK2 = depsFor(db, newKey('k2'));
    await expect(updateCredential(onlyK2, asUser(alice), 'lost', { data: { token: 'new-token-value-123' } })).rejects.toMatchObject({
      exitCode: 6,
      message: `cannot decrypt credential ${c.id}: key k1 not configured`,
    });
    await updateCredential(onlyK2, asUser(alice), 'lost', { data: { token: 'new-token-value-123' }, replace: true });
    expect((await revealCredential(onlyK2, asUser(alice), 'lost')).data).toEqual({ token: 'new-token-value-123' });
  });

  it('fails clearly when encrypted_data is swapped between two credentials', async () => {
    const a = await createCredential(deps, asUser(alice), { name: 'swap-a', type: 'api_key', data: { apiKey: secret() } });
    const b = await createCredential(deps, asUser(alice), { name: 'swap-b', type: 'api_key', data: { apiKey: secret() } });
    await t.pool.query(
      `UPDATE credentials x SET encrypted_data = y.encrypted_data FROM credentials y
        WHERE (x.id, y.id) IN (($1::uuid, $2::uuid), ($2::uuid, $1::uuid))`,
      [a.id, b.id],
    );
    const provider = new StoreCredentialsProvider(deps);
    for (const c of [a, b]) {
      await expect(provider.getCredential(asUser(alice).scope, c.id)).rejects.toMatchObject({
        exitCode: 1,
        message: `cannot decrypt credential ${c.id}: integrity check failed (the stored data was modified, belongs to another credential, or key_id was changed)`,
      });
    }
  });

  it('refuses to delete a credential an active workflow uses, unless forced', async () => {
    const c = await createCredential(deps, asUser(alice), { name: 'in-use', type: 'header_auth', data: { name: 'X-Key', value: secret() } });
    const byName = await createCredential(deps, asUser(alice), { name: 'by-name', type: 'bearer', data: { token: secret() } });
    const wf = (id: string | null, name: string) => ({
      nodes: [
        { name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, parameters: {} },
        { name: 'HTTP', type: 'n8n-nodes-base.httpRequest', typeVersion: 4, parameters: {}, credentials: { httpHeaderAuth: id ? { id, name } : { name } } },
      ],
      connections: {},
    });
    const w = await t.pool.query(`INSERT INTO workflows (user_id, name, definition, is_active) VALUES ($1, 'Uses it', $2, true) RETURNING id`, [alice, wf(c.id, 'in-use')]);
    await t.pool.query(`INSERT INTO workflows (user_id, name, definition, is_active) VALUES ($1, 'By name', $2, true)`, [alice, wf(null, 'by-name')]);
    await t.pool.query(`INSERT INTO workflows (user_id, name, definition, is_active) VALUES ($1, 'Inactive', $2, false)`, [alice, wf(c.id, 'in-use')]);
    await expect(deleteCredential(deps, asUser(alice), 'in-use')).rejects.toMatchObject({
      exitCode: 5,
      message: `credential "in-use" is used by 1 active workflow: "Uses it" (${w.rows[0].id})`,
    });
    await expect(deleteCredential(deps, asUser(alice), 'by-name')).rejects.toMatchObject({ exitCode: 5 });
    expect((await t.pool.query(`SELECT 1 FROM credentials WHERE id = $1`, [c.id])).rowCount).toBe(1);
    const d = await deleteCredential(deps, asUser(alice), 'in-use', { force: true });
    expect(d.workflows.map((x) => x.name)).toEqual(['Uses it']);
    expect((await t.pool.query(`SELECT 1 FROM credentials WHERE id = $1`, [c.id])).rowCount).toBe(0);
    const audit = await auditRows(c.id);
    expect(audit.at(-1)).toMatchObject({ event_type: 'credential.deleted', changes: { name: 'in-use', type: 'header_auth' } });
    expect(audit.at(-1).metadata).toMatchObject({ forced: true, workflow_ids: [w.rows[0].id] });
    await t.pool.query(`UPDATE workflows SET is_active = false WHERE user_id = $1`, [alice]);
    await deleteCredential(deps, asUser(alice), byName.id);
  });
});

describe('one transaction per credential command', () => {
  it('add, show --reveal, update and delete each run in exactly one transaction', async () => {
    await t.pool.query(`INSERT INTO integrations (user_id, app_id, app_name, app_type) VALUES ($1, 'one-tx', 'One', 'n8n')`, [alice]);
    const { deps: d, n } = counting(deps);
    const once = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
      n.transactions = 0;
      n.outside = 0;
      const r = await fn();
      expect(n.transactions, what).toBe(1);
      expect(n.outside, `${what}: statements outside the transaction`).toBe(0);
      return r;
    };
    const tok = secret();
    const c = await once('add', () => createCredential(d, asUser(alice), { name: 'one-tx', type: 'bearer', data: { token: tok }, integration: 'one-tx' }));
    // The result is the stored record, read in that same transaction.
    expect(c).toEqual(await getCredential(deps, asUser(alice), c.id));
    expect(c).toMatchObject({ name: 'one-tx', app_id: 'one-tx', key_id: 'k1', user_id: alice, data: { token: `••••${tok.slice(-4)}` } });
    expect((await once('reveal', () => revealCredential(d, asUser(alice), 'one-tx'))).data).toEqual({ token: tok });
    const u = await once('update', () => updateCredential(d, asUser(alice), 'one-tx', { name: 'one-tx2', data: { token: secret() } }));
    expect(u).toEqual(await getCredential(deps, asUser(alice), c.id));
    expect(u.updated_at.getTime()).toBeGreaterThanOrEqual(c.updated_at.getTime());
    expect(await once('update, nothing changed', () => updateCredential(d, asUser(alice), 'one-tx2', { name: 'one-tx2' }))).toEqual(u);
    await once('delete', () => deleteCredential(d, asUser(alice), c.id));
    // add → insert + audit (+ the integration lookup); nothing else goes to the database.
    n.statements = 0;
    n.outside = 0;
    await createCredential(d, asUser(alice), { name: 'one-tx3', type: 'bearer', data: { token: secret() } });
    expect(n.statements).toBe(2);
    expect(n.outside).toBe(0);
  });

  it('a failed reveal (not the owner) writes nothing and still uses one transaction', async () => {
    const c = await createCredential(deps, asUser(alice), { name: 'rv-one', type: 'bearer', data: { token: secret() } });
    const admin = await insertUser(t.pool, 'admin');
    const { deps: d, n } = counting(deps);
    await expect(revealCredential(d, { actor: asUser(admin, 'admin').actor, scope: { userId: alice, role: 'user' } }, 'rv-one')).rejects.toMatchObject({
      exitCode: 4,
      message: 'only the owner can reveal credential "rv-one"',
    });
    expect(n.transactions).toBe(1);
    expect((await auditRows(c.id)).map((a) => a.event_type)).toEqual(['credential.created']);
  });
});

describe('audit rows of an admin acting on another user\'s credential', () => {
  it('record the admin as user_id and the owner as metadata.tenant_user_id, like workflows and integrations; never secrets', async () => {
    const admin = await insertUser(t.pool, 'admin');
    const sessionId = randomUUID();
    const adminForAlice = { actor: { ...asUser(admin, 'admin').actor, sessionId }, scope: { userId: alice, role: 'user' as const } };
    const pw1 = secret();
    const pw2 = secret();
    const c = await createCredential(deps, adminForAlice, { name: 'by-admin', type: 'basic_auth', data: { user: 'svc', password: pw1 } });
    expect(c.user_id).toBe(alice);
    await updateCredential(deps, adminForAlice, 'by-admin', { data: { password: pw2 } });
    await deleteCredential(deps, adminForAlice, 'by-admin');
    const rows = (
      await t.pool.query(`SELECT user_id, event_type, changes, metadata FROM audit_logs WHERE resource_id = $1 ORDER BY created_at`, [c.id])
    ).rows;
    const acting = { actor_role: 'admin', session_id: sessionId, tenant_user_id: alice };
    expect(rows).toEqual([
      { user_id: admin, event_type: 'credential.created', changes: { name: 'by-admin', type: 'basic_auth', integration_id: null, fields: ['user', 'password'] }, metadata: acting },
      { user_id: admin, event_type: 'credential.updated', changes: { fields: ['password'] }, metadata: acting },
      { user_id: admin, event_type: 'credential.deleted', changes: { name: 'by-admin', type: 'basic_auth' }, metadata: acting },
    ]);
    // No secret in any column of these audit rows (ip, user agent, … too), not even a masked tail.
    const whole = JSON.stringify((await t.pool.query(`SELECT * FROM audit_logs WHERE resource_id = $1`, [c.id])).rows);
    expect(whole).not.toContain(pw1);
    expect(whole).not.toContain(pw2);
    expect(whole).not.toContain(pw1.slice(-4));
    expect(whole).not.toContain(pw2.slice(-4));
  });

  it('record the owner acting on their own credential without tenant_user_id', async () => {
    const c = await createCredential(deps, asUser(alice), { name: 'own-audit', type: 'bearer', data: { token: secret() } });
    const rows = (await t.pool.query(`SELECT user_id, metadata FROM audit_logs WHERE resource_id = $1`, [c.id])).rows;
    expect(rows).toEqual([{ user_id: alice, metadata: { actor_role: 'user', session_id: null } }]);
  });
});

describe('credentials provider (execution path)', () => {
  it('decrypts for a node by id or name, checks the type and stamps last_used_at only', async () => {
    const tok = secret();
    const c = await createCredential(deps, asUser(alice), { name: 'exec', type: 'header_auth', data: { name: 'Authorization', value: tok } });
    const before = (await t.pool.query(`SELECT updated_at, last_used_at FROM credentials WHERE id = $1`, [c.id])).rows[0];
    expect(before.last_used_at).toBeNull();
    const provider = new StoreCredentialsProvider(deps).forExecution(asUser(alice).scope);
    const node = (ref: { id?: string; name: string }) => ({ name: 'HTTP', type: 'n8n-nodes-base.httpRequest', typeVersion: 4, parameters: {}, credentials: { httpHeaderAuth: ref } });
    expect(await provider.getCredentials('httpHeaderAuth', node({ id: c.id, name: 'exec' }))).toEqual({ name: 'Authorization', value: tok });
    // An n8n id that is not ours falls back to the name.
    expect(await provider.getCredentials('httpHeaderAuth', node({ id: '42', name: 'exec' }))).toEqual({ name: 'Authorization', value: tok });
    const after = (await t.pool.query(`SELECT updated_at, last_used_at FROM credentials WHERE id = $1`, [c.id])).rows[0];
    expect(after.last_used_at).not.toBeNull();
    expect(after.updated_at.getTime()).toBe(before.updated_at.getTime());
    await expect(provider.getCredentials('httpBasicAuth', { ...node({ name: 'exec' }), credentials: { httpBasicAuth: { name: 'exec' } } })).rejects.toMatchObject({
      message: 'credential "exec" is of type header_auth, not httpBasicAuth',
    });
    await expect(provider.getCredentials('httpHeaderAuth', { ...node({ name: 'x' }), credentials: {} })).rejects.toMatchObject({ exitCode: 3 });
    // Another tenant's execution cannot reach it, even by id.
    const bobs = new StoreCredentialsProvider(deps).forExecution(asUser(bob).scope);
    await expect(bobs.getCredentials('httpHeaderAuth', node({ id: c.id, name: 'exec' }))).rejects.toMatchObject({ exitCode: 3 });
  });

  it('keeps an OAuth2 token refreshed during an execution, encrypted', async () => {
    const fresh = 'at_' + randomBytes(12).toString('hex');
    const c = await createCredential(deps, asUser(alice), {
      name: 'oauth',
      type: 'oauth2',
      data: { clientId: 'cid', clientSecret: secret(), accessTokenUrl: 'https://x/token', oauthTokenData: { access_token: 'old', refresh_token: 'rt' } },
    });
    const provider = new StoreCredentialsProvider(deps).forExecution(asUser(alice).scope);
    const node = { name: 'HTTP', type: 'n8n-nodes-base.httpRequest', typeVersion: 4, parameters: {}, credentials: { oAuth2Api: { id: c.id, name: 'oauth' } } };
    await provider.updateOAuthTokenData('oAuth2Api', node, { access_token: fresh, refresh_token: 'rt', expires_at: '2032-01-01T00:00:00Z' });
    expect((await provider.getCredentials('oAuth2Api', node)).oauthTokenData).toEqual({ access_token: fresh, refresh_token: 'rt', expires_at: '2032-01-01T00:00:00Z' });
    const row = (await t.pool.query(`SELECT * FROM credentials WHERE id = $1`, [c.id])).rows[0];
    expect(row.oauth_expires_at.toISOString()).toBe('2032-01-01T00:00:00.000Z');
    expect(row.oauth_access_token).toBeNull();
    expect(JSON.stringify(row) + row.encrypted_data.toString('latin1')).not.toContain(fresh);
  });
});
