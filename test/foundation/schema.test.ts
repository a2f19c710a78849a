import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { createTestEnv, type TestEnv } from '../helpers/env.js';
import { runCli, json } from '../helpers/cli.js';
import { adminUrl, dbUrl } from '../helpers/urls.js';
import { SHARED_DIR } from '../helpers/shared.js';

/** The seed, parsed: what every table, index, constraint and comment must be. */
const seed = readFileSync(`${SHARED_DIR}/seed/database-design.md`, 'utf8');
const seedSql = [...seed.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1]!).join('\n');
const seedTables = new Map<string, string[]>();
for (const m of seedSql.matchAll(/CREATE TABLE (\w+) \(([\s\S]*?)\n\);/g)) {
  const cols = m[2]!
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^[a-z_]+ [A-Z]/.test(l) && !l.startsWith('CONSTRAINT') && !l.startsWith('UNIQUE'))
    .map((l) => l.split(' ')[0]!);
  seedTables.set(m[1]!, cols);
}
const seedIndexes = [...seedSql.matchAll(/CREATE INDEX (\w+) ON (\w+)/g)].map((m) => ({ name: m[1]!, table: m[2]! }));
const seedChecks = [...seedSql.matchAll(/CONSTRAINT (\w+) CHECK/g)].map((m) => m[1]!);
const seedComments = [...seedSql.matchAll(/COMMENT ON (TABLE|COLUMN) ([\w.]+) IS '([^']*)'/g)].map((m) => ({ kind: m[1]!, target: m[2]!, text: m[3]! }));
const extraTables = ['webhooks', 'webhook_subscriptions', 'trigger_events'];

async function catalog(url: string) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const q = async (sql: string) => (await c.query(sql)).rows;
    return {
      tables: await q(`SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                       WHERE n.nspname = 'public' AND c.relkind IN ('r','p') ORDER BY 1`),
      columns: await q(`SELECT table_name, column_name, data_type, column_default, is_nullable FROM information_schema.columns
                        WHERE table_schema = 'public' ORDER BY table_name, ordinal_position`),
      indexes: await q(`SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1, 2`),
      constraints: await q(`SELECT conrelid::regclass::text AS tbl, conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
                            WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2`),
      comments: await q(`SELECT c.relname, d.objsubid, d.description FROM pg_description d JOIN pg_class c ON c.oid = d.objoid
                         JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' ORDER BY 1, 2`),
      functions: await q(`SELECT proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace ORDER BY 1`),
      policies: await q(`SELECT tablename, policyname, qual FROM pg_policies WHERE schemaname = 'public' ORDER BY 1, 2`),
      triggers: await q(`SELECT tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
                         JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND NOT tgisinternal ORDER BY 1`),
    };
  } finally {
    await c.end();
  }
}

let t: TestEnv;
let fresh: { name: string; url: string; env: NodeJS.ProcessEnv };

beforeAll(async () => {
  t = await createTestEnv();
  // An empty database (not from the template) for the migrate / rollback cycle.
  const name = `${t.databaseName}_empty`;
  const a = new pg.Client({ connectionString: adminUrl() });
  await a.connect();
  await a.query(`CREATE DATABASE ${name}`);
  await a.end();
  fresh = { name, url: dbUrl(name), env: { ...t.env, JOBSPRINT_DATABASE_URL: dbUrl(name) } };
});

afterAll(async () => {
  const a = new pg.Client({ connectionString: adminUrl() });
  await a.connect();
  await a.query(`DROP DATABASE IF EXISTS ${fresh.name} WITH (FORCE)`);
  await a.end();
  await t?.cleanup();
});

describe('db migrate / rollback / status', () => {
  let first: Awaited<ReturnType<typeof catalog>>;

  it('migrates an empty database to every table, column, index, constraint and comment of the seed', async () => {
    const r = await runCli(['db', 'migrate', '--json'], { env: fresh.env });
    expect(r.code, r.stderr).toBe(0);
    expect(json(r).applied.length).toBeGreaterThanOrEqual(2);
    first = await catalog(fresh.url);

    const tables = new Set(first.tables.map((x: any) => x.relname));
    expect(seedTables.size).toBeGreaterThanOrEqual(9);
    for (const [table, cols] of seedTables) {
      expect(tables, `table ${table}`).toContain(table);
      const have = first.columns.filter((c: any) => c.table_name === table).map((c: any) => c.column_name);
      for (const col of cols) expect(have, `${table}.${col}`).toContain(col);
    }
    for (const table of extraTables) expect(tables).toContain(table);

    const indexNames = new Set(first.indexes.map((i: any) => i.indexname));
    expect(seedIndexes.length).toBeGreaterThan(30);
    for (const i of seedIndexes) expect(indexNames, `index ${i.name}`).toContain(i.name);
    const byName = new Map(first.indexes.map((i: any) => [i.indexname, i.indexdef]));
    expect(byName.get('idx_workflows_name_search')).toMatch(/USING gin \(to_tsvector\('english'::regconfig, \(name\)::text\)\)/);
    expect(byName.get('idx_users_settings')).toMatch(/USING gin \(settings\)/);
    expect(byName.get('idx_sessions_cleanup')).toMatch(/WHERE \(is_active = true\)/);

    const cons = new Set(first.constraints.map((x: any) => x.conname));
    for (const name of seedChecks) expect(cons, `constraint ${name}`).toContain(name);
    // UNIQUE constraints of the seed.
    for (const u of ['users_email_key', 'users_username_key', 'sessions_token_hash_key', 'integrations_user_id_app_id_key',
      'workflow_nodes_workflow_id_node_id_key', 'execution_nodes_execution_id_node_id_key']) expect(cons).toContain(u);

    for (const c of seedComments) {
      const [table, column] = c.kind === 'TABLE' ? [c.target, undefined] : c.target.split('.');
      const found = first.comments.find((x: any) => x.relname === table && x.description === c.text && (column ? x.objsubid > 0 : x.objsubid === 0));
      expect(found, `comment on ${c.target}`).toBeTruthy();
    }
  });

  it('partitions audit_logs by month with a default partition and a key that includes created_at', async () => {
    const parts = first.tables.filter((x: any) => x.relname.startsWith('audit_logs'));
    expect(parts.find((x: any) => x.relname === 'audit_logs')?.relkind).toBe('p');
    expect(parts.map((x: any) => x.relname)).toContain('audit_logs_default');
    const monthly = parts.filter((x: any) => /^audit_logs_y\d{4}m\d{2}$/.test(x.relname));
    expect(monthly.length).toBeGreaterThanOrEqual(3);
    const pk = first.constraints.find((x: any) => x.tbl === 'audit_logs' && /PRIMARY KEY/.test(x.def));
    expect(pk?.def).toBe('PRIMARY KEY (id, created_at)');
  });

  it('reports applied migrations in db status', async () => {
    const r = await runCli(['db', 'status', '--json'], { env: fresh.env });
    expect(r.code).toBe(0);
    const rows = json(r);
    expect(rows.length).toBeGreaterThanOrEqual(2);
    expect(rows.every((m: any) => m.applied === true && /^\d{17}$/.test(m.version))).toBe(true);
  });

  it('rolls back the last migration, then everything, leaving no Jobsprint object', async () => {
    let r = await runCli(['db', 'rollback', '--json'], { env: fresh.env });
    expect(r.code, r.stderr).toBe(0);
    expect(json(r).reverted).toHaveLength(1);
    r = await runCli(['db', 'status', '--json'], { env: fresh.env });
    expect(json(r).filter((m: any) => !m.applied)).toHaveLength(1);

    r = await runCli(['db', 'rollback', '--all'], { env: fresh.env });
    expect(r.code).toBe(2); // destructive: --yes needed without a terminal
    expect(r.stderr).toMatch(/--yes/);

    r = await runCli(['db', 'rollback', '--all', '--yes'], { env: fresh.env });
    expect(r.code, r.stderr).toBe(0);
    const after = await catalog(fresh.url);
    expect(after.tables).toEqual([]);
    expect(after.indexes).toEqual([]);
    expect(after.constraints).toEqual([]);
    expect(after.functions).toEqual([]);
    expect(after.policies).toEqual([]);
    expect(after.triggers).toEqual([]);
  });

  it('migrates again to a catalog identical to the first', async () => {
    const r = await runCli(['db', 'migrate'], { env: fresh.env });
    expect(r.code, r.stderr).toBe(0);
    const again = await catalog(fresh.url);
    expect(again).toEqual(first);
  });

  it('is safe when two db migrate processes start at once', async () => {
    await runCli(['db', 'rollback', '--all', '--yes'], { env: fresh.env });
    const [a, b] = await Promise.all([runCli(['db', 'migrate', '--json'], { env: fresh.env }), runCli(['db', 'migrate', '--json'], { env: fresh.env })]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    const total = json(a).applied.length + json(b).applied.length;
    const status = json(await runCli(['db', 'status', '--json'], { env: fresh.env }));
    expect(total).toBe(status.length); // each migration applied exactly once, by one of them
    const c = new pg.Client({ connectionString: fresh.url });
    await c.connect();
    const rows = (await c.query('SELECT name, count(*)::int AS n FROM jobsprint_migrations GROUP BY name')).rows;
    await c.end();
    expect(rows.every((x: any) => x.n === 1)).toBe(true);
    expect(await catalog(fresh.url)).toEqual(first);
  });

  it('rejects an unknown --to version with exit 2', async () => {
    const r = await runCli(['db', 'migrate', '--to', '19990101000000000'], { env: fresh.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: unknown migration version/);
  });
});

describe('the seed constraints bite', () => {
  const q = (sql: string, params: unknown[] = []) => t.pool.query(sql, params);
  let userId: string;
  let workflowId: string;

  beforeAll(async () => {
    userId = (await q(`INSERT INTO users (email, username, password_hash) VALUES ('bite@example.com', 'bite', 'x') RETURNING id`)).rows[0].id;
    workflowId = (await q(`INSERT INTO workflows (user_id, name, definition) VALUES ($1, 'w', '{"nodes":[]}') RETURNING id`, [userId])).rows[0].id;
  });

  it('rejects an invalid email', async () => {
    await expect(q(`INSERT INTO users (email, username, password_hash) VALUES ('not-an-email', 'x1', 'x')`)).rejects.toThrow(/email_format/);
    await expect(q(`INSERT INTO users (email, username, password_hash) VALUES ('a@b', 'x2', 'x')`)).rejects.toThrow(/email_format/);
  });

  it('rejects a workflow definition without nodes', async () => {
    await expect(q(`INSERT INTO workflows (user_id, name, definition) VALUES ($1, 'w2', '{"connections":{}}')`, [userId])).rejects.toThrow(/valid_definition/);
  });

  it('rejects an execution with an unknown status', async () => {
    await expect(
      q(`INSERT INTO executions (workflow_id, user_id, status, trigger_type) VALUES ($1, $2, 'exploded', 'manual')`, [workflowId, userId]),
    ).rejects.toThrow(/valid_status/);
    await q(`INSERT INTO executions (workflow_id, user_id, status, trigger_type) VALUES ($1, $2, 'pending', 'manual')`, [workflowId, userId]);
  });

  it('accepts audit rows three years back and one year ahead', async () => {
    for (const offset of ["- interval '3 years'", "+ interval '1 year'", "- interval '10 years'", '']) {
      await q(`INSERT INTO audit_logs (event_type, resource_type, action, created_at) VALUES ('test.row', 'test', 'create', NOW() ${offset})`);
    }
    const r = await q(`SELECT tableoid::regclass::text AS part FROM audit_logs WHERE event_type = 'test.row' ORDER BY created_at`);
    expect(r.rows).toHaveLength(4);
    expect(r.rows[0].part).toBe('audit_logs_default');
    expect(r.rows[2].part).toMatch(/^audit_logs_y\d{4}m\d{2}$/); // this month has its own partition
  });

  it('moves default-partition rows into a month partition created later', async () => {
    const far = new Date(Date.UTC(new Date().getUTCFullYear() + 5, 0, 15));
    await q(`INSERT INTO audit_logs (event_type, resource_type, action, created_at) VALUES ('test.future', 'test', 'create', $1)`, [far]);
    const name = `audit_logs_y${far.getUTCFullYear()}m01`;
    // Partition creation through the same function the daemon runs, for a month far ahead.
    const months = (far.getUTCFullYear() - new Date().getUTCFullYear()) * 12 - new Date().getUTCMonth();
    await q(`SELECT jobsprint_ensure_audit_partitions($1)`, [months]);
    const r = await q(`SELECT tableoid::regclass::text AS part FROM audit_logs WHERE event_type = 'test.future'`);
    expect(r.rows[0].part).toBe(name);
  });
});
