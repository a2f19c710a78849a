#!/usr/bin/env node
/**
 * Why workflow counters live in a sharded table (migrations/20261127004000000_executions-pipeline.sql):
 * 16 clients each finish executions of ONE workflow, one per transaction, with
 *   (a) the migration's sharded statement-level trigger,
 *   (b) the seed's layout: counters on the workflows row, bumped per finishing execution,
 *   (c) no counters at all (the ceiling).
 * Prints one JSON document. Needs the build and PostgreSQL (JOBSPRINT_BENCH_PG).
 *
 *   node bench/counters-contention.mjs [--clients 16] [--per-client 300]
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';

const { values } = parseArgs({ options: { clients: { type: 'string', default: '16' }, 'per-client': { type: 'string', default: '300' } } });
const clients = Number(values.clients);
const perClient = Number(values['per-client']);
const base = process.env.JOBSPRINT_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432';
const dbName = `jobsprint_bench_counters_${randomBytes(4).toString('hex')}`;
const root = new URL('..', import.meta.url);
const server = new pg.Client({ connectionString: `${base}/postgres` });
await server.connect();
await server.query(`CREATE DATABASE ${dbName}`);
const url = `${base}/${dbName}`;
const results = [];
try {
  const { runMigrations } = await import(new URL('dist/core/db/migrate.js', root).href);
  await runMigrations({ url, direction: 'up' });
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  const user = (await admin.query(`INSERT INTO users (email, username, password_hash) VALUES ('b@example.com', 'b', 'x') RETURNING id`)).rows[0].id;
  const wf = (await admin.query(`INSERT INTO workflows (user_id, name, definition) VALUES ($1, 'w', '{"nodes": []}') RETURNING id`, [user])).rows[0].id;

  const run = async (variant) => {
    await admin.query('DELETE FROM executions');
    await admin.query(`INSERT INTO executions (workflow_id, user_id, status, trigger_type) SELECT $1, $2, 'running', 'manual' FROM generate_series(1, $3)`, [wf, user, clients * perClient]);
    const ids = (await admin.query('SELECT id FROM executions')).rows.map((r) => r.id);
    const cs = await Promise.all(Array.from({ length: clients }, async () => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      return c;
    }));
    const t = Date.now();
    await Promise.all(cs.map(async (c, k) => {
      for (let i = 0; i < perClient; i++) await c.query(`UPDATE executions SET status = 'success', completed_at = now() WHERE id = $1`, [ids[k * perClient + i]]);
    }));
    const ms = Date.now() - t;
    await Promise.all(cs.map((c) => c.end()));
    results.push({ variant, clients, transactions: clients * perClient, tx_per_s: Math.round((clients * perClient) / (ms / 1000)) });
  };

  await run('sharded_statement_trigger');
  await admin.query('ALTER TABLE executions DISABLE TRIGGER executions_stats_update');
  await admin.query(`CREATE FUNCTION bench_hot_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
    IF NEW.status = 'success' AND OLD.status <> 'success' THEN
      UPDATE workflows SET successful_executions = successful_executions + 1 WHERE id = NEW.workflow_id;
    END IF; RETURN NULL; END $$`);
  await admin.query('CREATE TRIGGER bench_hot_row AFTER UPDATE ON executions FOR EACH ROW EXECUTE FUNCTION bench_hot_row()');
  await run('hot_row_on_workflows');
  await admin.query('DROP TRIGGER bench_hot_row ON executions');
  await run('no_counters');
  await admin.end();
} finally {
  await server.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await server.end();
}
process.stdout.write(JSON.stringify({ results }, null, 2) + '\n');
