import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { createTestEnv, type TestEnv } from '../helpers/env.js';
import { runCli, json } from '../helpers/cli.js';
import { DEFAULT_TEST_PASSWORD as PW, createUserAndLogin, type LoggedInUser } from '../helpers/users.js';
import { createPostgres } from '../../src/core/db/postgres.js';

let t: TestEnv;
let root: LoggedInUser;
let alice: LoggedInUser;
let bob: LoggedInUser;

/** Every tenant table, and one row of it per user, inserted as the superuser (no RLS). */
const TENANT_TABLES = [
  'workflows',
  'workflow_nodes',
  'integrations',
  'credentials',
  'executions',
  'execution_nodes',
  'webhooks',
  'webhook_subscriptions',
  'trigger_events',
  'sessions',
] as const;
type Rows = Record<(typeof TENANT_TABLES)[number], string>;

async function seedTenantRows(userId: string, tag: string): Promise<Rows> {
  const q = async (sql: string, params: unknown[]) => (await t.pool.query(sql, params)).rows[0].id as string;
  const workflows = await q(`INSERT INTO workflows (user_id, name, definition) VALUES ($1, $2, '{"nodes": []}') RETURNING id`, [userId, `wf ${tag}`]);
  const workflow_nodes = await q(`INSERT INTO workflow_nodes (workflow_id, node_id, node_type, node_name) VALUES ($1, 'n1', 'noop', 'N') RETURNING id`, [workflows]);
  const integrations = await q(`INSERT INTO integrations (user_id, app_id, app_name, app_type) VALUES ($1, 'app', 'App', 'custom') RETURNING id`, [userId]);
  const credentials = await q(
    `INSERT INTO credentials (user_id, integration_id, name, encrypted_data, type) VALUES ($1, $2, $3, '\\x00', 'api_key') RETURNING id`,
    [userId, integrations, `cred ${tag}`],
  );
  const executions = await q(`INSERT INTO executions (workflow_id, user_id, status, trigger_type) VALUES ($1, $2, 'success', 'manual') RETURNING id`, [workflows, userId]);
  const execution_nodes = await q(
    `INSERT INTO execution_nodes (execution_id, node_id, node_name, node_type, status) VALUES ($1, 'n1', 'N', 'noop', 'success') RETURNING id`,
    [executions],
  );
  const webhooks = await q(`INSERT INTO webhooks (workflow_id, user_id, path) VALUES ($1, $2, $3) RETURNING id`, [workflows, userId, `hook-${tag}`]);
  const webhook_subscriptions = await q(`INSERT INTO webhook_subscriptions (webhook_id, credential_id, user_id) VALUES ($1, $2, $3) RETURNING id`, [
    webhooks,
    credentials,
    userId,
  ]);
  const trigger_events = await q(`INSERT INTO trigger_events (webhook_id, user_id, payload, execution_id) VALUES ($1, $2, '{}', $3) RETURNING id`, [
    webhooks,
    userId,
    executions,
  ]);
  const sessions = await q(`INSERT INTO sessions (user_id, token_hash, expires_at) VALUES ($1, $2, NOW() + INTERVAL '1 hour') RETURNING id`, [
    userId,
    randomUUID(),
  ]);
  return { workflows, workflow_nodes, integrations, credentials, executions, execution_nodes, webhooks, webhook_subscriptions, trigger_events, sessions };
}

/** A raw transaction as the tenant role with jobsprint.user_id set, rolled back afterwards. */
async function asTenant<T>(userId: string, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const c = await t.pool.connect();
  try {
    await c.query('BEGIN');
    await c.query('SET LOCAL ROLE jobsprint_tenant');
    await c.query(`SELECT set_config('jobsprint.user_id', $1, true), set_config('jobsprint.role', 'user', true)`, [userId]);
    return await fn(c);
  } finally {
    await c.query('ROLLBACK').catch(() => {});
    c.release();
  }
}

let aRows: Rows;
let bRows: Rows;

beforeAll(async () => {
  t = await createTestEnv({ amqp: false });
  root = await createUserAndLogin(t, { email: 'root@example.com', username: 'root' });
  alice = await createUserAndLogin(t, { email: 'alice@example.com', username: 'alice' });
  bob = await createUserAndLogin(t, { email: 'bob@example.com', username: 'bob' });
  aRows = await seedTenantRows(alice.userId, 'a');
  bRows = await seedTenantRows(bob.userId, 'b');
});
afterAll(async () => {
  await t?.cleanup();
});

describe('row-level security (a query without WHERE as user A)', () => {
  it("sees A's rows and none of B's in every tenant table", async () => {
    await asTenant(alice.userId, async (c) => {
      for (const table of TENANT_TABLES) {
        const ids = (await c.query(`SELECT id FROM ${table}`)).rows.map((r) => r.id);
        expect(ids, table).toContain(aRows[table]);
        expect(ids, table).not.toContain(bRows[table]);
      }
    });
    // The superuser sees both, so the filter above is RLS and not missing data.
    for (const table of TENANT_TABLES) {
      const { rows } = await t.pool.query(`SELECT id FROM ${table} WHERE id = ANY($1)`, [[aRows[table], bRows[table]]]);
      expect(rows, table).toHaveLength(2);
    }
  });

  it("cannot update or delete B's rows, nor insert rows owned by B", async () => {
    await asTenant(alice.userId, async (c) => {
      for (const table of TENANT_TABLES) {
        expect((await c.query(`DELETE FROM ${table} WHERE id = $1`, [bRows[table]])).rowCount, table).toBe(0);
      }
      expect((await c.query(`UPDATE workflows SET name = 'pwned' WHERE user_id = $1`, [bob.userId])).rowCount).toBe(0);
      await c.query('SAVEPOINT s');
      await expect(c.query(`INSERT INTO workflows (user_id, name, definition) VALUES ($1, 'x', '{"nodes": []}')`, [bob.userId])).rejects.toThrow(
        /row-level security/,
      );
      await c.query('ROLLBACK TO SAVEPOINT s');
      await expect(c.query(`UPDATE workflows SET user_id = $1 WHERE id = $2`, [bob.userId, aRows.workflows])).rejects.toThrow(/row-level security/);
    });
  });

  it('sees only its own user row, never a password hash, and only its own audit rows', async () => {
    await asTenant(alice.userId, async (c) => {
      expect((await c.query(`SELECT id FROM users`)).rows.map((r) => r.id)).toEqual([alice.userId]);
      const audit = (await c.query(`SELECT user_id, resource_id FROM audit_logs`)).rows;
      expect(audit.length).toBeGreaterThan(0);
      expect(audit.every((r) => r.user_id === alice.userId || r.resource_id === alice.userId)).toBe(true);
      await expect(c.query(`SELECT password_hash FROM users`)).rejects.toThrow(/permission denied/);
    });
  });

  it('goes through the product path too: Db.tenantTransaction, even with an admin scope', async () => {
    const db = await createPostgres({ url: t.databaseUrl });
    try {
      for (const role of ['user', 'admin'] as const) {
        const owners = await db.tenantTransaction({ userId: alice.userId, role }, async (tx) => {
          const r = await tx.query<{ user_id: string }>(`SELECT user_id FROM workflows UNION ALL SELECT user_id FROM credentials UNION ALL SELECT user_id FROM executions`);
          return r.rows.map((x) => x.user_id);
        });
        expect(owners.length).toBe(3);
        expect(new Set(owners)).toEqual(new Set([alice.userId]));
      }
    } finally {
      await db.close();
    }
  });

  it('leaves no readable table with a user_id column unprotected', async () => {
    const { rows } = await t.pool.query(`
      SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
         AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'user_id' AND NOT a.attisdropped)
         AND has_table_privilege('jobsprint_tenant', c.oid, 'SELECT')`);
    expect(rows.length).toBeGreaterThanOrEqual(TENANT_TABLES.length - 2);
    for (const r of rows) expect([r.relname, r.relrowsecurity, r.relforcerowsecurity]).toEqual([r.relname, true, true]);
  });
});

describe('through the CLI, user A cannot reach user B', () => {
  it('cannot list, show, change, disable, delete or act as B', async () => {
    const cases: Array<[string[], number, string?]> = [
      [['users', 'list'], 4],
      [['users', 'create', '--email', 'eve@example.com', '--username', 'eve', '--password-stdin'], 4, PW],
      [['users', 'show', 'bob'], 3],
      [['users', 'show', bob.userId], 3],
      [['users', 'update', 'bob', '--full-name', 'Mallory'], 3],
      [['users', 'set-password', 'bob', '--password-stdin'], 3, 'a new password for bob'],
      [['users', 'disable', 'bob'], 4],
      [['users', 'delete', 'bob', '--yes'], 4],
      [['users', 'update', 'alice', '--role', 'admin'], 4],
      [['whoami', '--user', 'bob'], 4],
      [['audit', 'list', '--user', 'bob'], 3],
    ];
    const results = await Promise.all(cases.map(([args, , input]) => runCli(args, { env: alice.env, input })));
    cases.forEach(([args, code], i) => {
      const r = results[i]!;
      expect(r.code, args.join(' ') + ': ' + r.stderr).toBe(code);
      expect(r.stderr).toMatch(/^error: /);
      expect(r.stdout).toBe('');
    });
    const { rows } = await t.pool.query(`SELECT full_name, role, is_active FROM users WHERE id = $1`, [bob.userId]);
    expect(rows[0]).toEqual({ full_name: null, role: 'user', is_active: true });
    expect((await runCli(['whoami'], { env: bob.env })).code).toBe(0);
    expect((await runCli(['login', '--email', 'bob@example.com', '--password-stdin', '--print-token'], { env: t.env, input: PW })).code).toBe(0);
  });

  it('may see and edit themself', async () => {
    let r = await runCli(['users', 'show', 'alice', '--json'], { env: alice.env });
    expect(r.code, r.stderr).toBe(0);
    expect(json(r).id).toBe(alice.userId);
    r = await runCli(['users', 'update', 'alice', '--full-name', 'Alice A', '--json'], { env: alice.env });
    expect(json(r).full_name).toBe('Alice A');
  });

  it('lets an admin act as another user with --user, resolved by email or id', async () => {
    let r = await runCli(['whoami', '--user', 'bob@example.com', '--json'], { env: root.env });
    expect(r.code, r.stderr).toBe(0);
    expect(json(r)).toMatchObject({ id: root.userId, role: 'admin', acting_as: { id: bob.userId, role: 'user' } });
    r = await runCli(['whoami', '--user', 'ghost@example.com'], { env: root.env });
    expect(r.code).toBe(3);
  });
});
