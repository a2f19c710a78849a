#!/usr/bin/env node
// Credentials: envelope encrypt/decrypt operations per second (in process) and rotate-key rows
// per second over N credentials in a fresh PostgreSQL database. JSON on stdout.
//
//   npx tsc -p tsconfig.build.json && node bench/credentials.mjs            # N = 100,000
//   node bench/credentials.mjs --quick     (or BENCH_QUICK=1)               # N = 2,000
//   BENCH_N=20000 BENCH_BATCH=1000 node bench/credentials.mjs
//
// BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432) must be a role that can CREATE DATABASE.
import { spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { KeySet, parseKeys } from '../dist/core/credentials/keys.js';
import { openCredential, sealCredential } from '../dist/core/credentials/envelope.js';
import { rotateKeys } from '../dist/core/credentials/rotate.js';
import { createPostgres } from '../dist/core/db/postgres.js';

const quick = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';
const N = Number(process.env.BENCH_N ?? (quick ? 2_000 : 100_000));
const BATCH = Number(process.env.BENCH_BATCH ?? 1000);
const base = (process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432').replace(/\/+$/, '');
const bin = fileURLToPath(new URL('../bin/jobsprint', import.meta.url));

const key = (id) => `${id}:${randomBytes(32).toString('base64')}`;
const k1 = key('k1');
const k2 = key('k2');
const oldKeys = new KeySet(parseKeys(k1, 'env'));
const newKeys = new KeySet(parseKeys(`${k2},${k1}`, 'env'));
const seconds = (t0) => Number(process.hrtime.bigint() - t0) / 1e9;
const rate = (n, s) => Math.round(n / s);

// 1. Envelope operations, in process: one fresh data key, two AES-256-GCM operations each.
const userId = randomUUID();
const ids = Array.from({ length: N }, () => randomUUID());
const secret = { user: 'bench', password: randomBytes(24).toString('base64') };
let t0 = process.hrtime.bigint();
const envelopes = ids.map((id) => sealCredential(oldKeys, { credentialId: id, userId }, secret).envelope);
const encryptS = seconds(t0);
t0 = process.hrtime.bigint();
for (let i = 0; i < N; i++) openCredential(oldKeys, { credentialId: ids[i], userId }, 'k1', envelopes[i]);
const decryptS = seconds(t0);

// 2. A database of its own, migrated by the CLI.
const dbName = `jobsprint_bench_${randomBytes(4).toString('hex')}`;
const dbUrl = `${base}/${dbName}`;
const admin = new pg.Client({ connectionString: `${base}/postgres` });
await admin.connect();
await admin.query(`CREATE DATABASE ${dbName}`);
let result;
try {
  const mig = spawnSync(process.execPath, [bin, 'db', 'migrate', '--json'], {
    env: { ...process.env, JOBSPRINT_DATABASE_URL: dbUrl, NO_COLOR: '1' },
    encoding: 'utf8',
  });
  if (mig.status !== 0) throw new Error(`db migrate failed (exit ${mig.status}): ${mig.stderr}`);

  const pool = new pg.Pool({ connectionString: dbUrl, max: 2 });
  const owner = (
    await pool.query(`INSERT INTO users (email, username, password_hash) VALUES ('bench@example.com', 'bench', 'x') RETURNING id`)
  ).rows[0].id;
  // Re-seal for the real owner id (the AAD binds the owner), then bulk insert.
  const rows = ids.map((id) => sealCredential(oldKeys, { credentialId: id, userId: owner }, secret).envelope);
  t0 = process.hrtime.bigint();
  const CHUNK = 5000;
  for (let i = 0; i < N; i += CHUNK) {
    const slice = ids.slice(i, i + CHUNK);
    await pool.query(
      `INSERT INTO credentials (id, user_id, name, type, encrypted_data, key_id)
       SELECT id, $1, 'bench-' || id, 'basic_auth', data, 'k1' FROM unnest($2::uuid[], $3::bytea[]) AS v(id, data)`,
      [owner, slice, rows.slice(i, i + CHUNK)],
    );
  }
  const insertS = seconds(t0);
  await pool.query('ANALYZE credentials');
  await pool.end();

  // 3. Rotation k1 → k2, through the same core function `credentials rotate-key` uses.
  const db = await createPostgres({ url: dbUrl, max: 2 });
  t0 = process.hrtime.bigint();
  const r = await rotateKeys(db, newKeys, { requestId: randomUUID(), userAgent: 'jobsprint-bench' }, { batchSize: BATCH });
  const rotateS = seconds(t0);
  // Spot-check with the old key gone.
  const onlyK2 = new KeySet(parseKeys(k2, 'env'));
  const sample = await db.query(`SELECT id, user_id, key_id, encrypted_data FROM credentials ORDER BY random() LIMIT 100`);
  for (const row of sample.rows) openCredential(onlyK2, { credentialId: row.id, userId: row.user_id }, row.key_id, row.encrypted_data);
  await db.close();
  if (r.rotated !== N || r.remaining !== 0) throw new Error(`rotation incomplete: ${JSON.stringify(r)}`);

  result = {
    bench: 'credentials',
    n: N,
    quick,
    encrypt: { ops_per_s: rate(N, encryptS), seconds: +encryptS.toFixed(3) },
    decrypt: { ops_per_s: rate(N, decryptS), seconds: +decryptS.toFixed(3) },
    bulk_insert: { rows_per_s: rate(N, insertS), seconds: +insertS.toFixed(3) },
    rotate_key: { rows_per_s: rate(N, rotateS), seconds: +rotateS.toFixed(3), batch_size: BATCH, batches: r.batches },
    envelope_bytes: envelopes[0].length,
    node: process.version,
  };
} finally {
  if (!process.argv.includes('--keep')) await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await admin.end();
}
console.log(JSON.stringify(result, null, 2));
