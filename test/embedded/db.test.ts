import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { Config } from '../../src/core/config.js';
import { openEmbedded, embeddedLockPath, type PgliteDb } from '../../src/core/db/embedded.js';
import { embeddedMigrationStatus } from '../../src/core/db/pglite-migrate.js';
import { listMigrationFiles } from '../../src/core/db/migrate.js';
import { ConflictError } from '../../src/core/errors.js';
import { EmbeddedDbLockedError } from '../../src/core/db/embedded-lock.js';
import { createEmbeddedEnv, type EmbeddedEnv } from './helpers.js';

let e: EmbeddedEnv;
let config: Config;
let db: PgliteDb;
let firstOpenMs = 0;

async function makeUser(name: string): Promise<string> {
  const r = await db.query<{ id: string }>(`INSERT INTO users (email, username, password_hash) VALUES ($1, $2, 'x') RETURNING id`, [`${name}@example.com`, name]);
  return r.rows[0]!.id;
}

beforeAll(async () => {
  e = createEmbeddedEnv();
  config = new Config(e.env);
  const t = Date.now();
  db = await openEmbedded(config);
  firstOpenMs = Date.now() - t;
});
afterAll(async () => {
  await db?.close();
  e?.cleanup();
});

describe('embedded database (PGlite)', () => {
  it('creates the data directory under XDG_DATA_HOME and applies every migration on open', async () => {
    expect(db.kind).toBe('pglite');
    expect(db.dataDir).toBe(`${e.home}/.local/share/jobsprint/pgdata`);
    expect(existsSync(`${db.dataDir}/PG_VERSION`)).toBe(true);
    const status = await db.withClient((c) => embeddedMigrationStatus(c));
    expect(status.map((s) => s.name)).toEqual(listMigrationFiles().map((f) => f.name));
    expect(status.every((s) => s.applied)).toBe(true);
    // Same bookkeeping layout as node-pg-migrate on a server.
    const cols = await db.query<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns WHERE table_name = 'jobsprint_migrations' ORDER BY ordinal_position`,
    );
    expect(cols.rows.map((r) => r.column_name)).toEqual(['id', 'name', 'run_on']);
    console.log(`[measure] embedded first open + migrate: ${firstOpenMs} ms`);
  });

  it('returns values typed as the server backend does (int8 as string, timestamptz as Date, jsonb parsed)', async () => {
    const id = await makeUser('types');
    await db.query(`INSERT INTO workflows (user_id, name, definition, tags) VALUES ($1, 'w', $2, $3)`, [id, JSON.stringify({ nodes: [] }), ['a', 'b']]);
    const r = await db.query<any>(`SELECT count(*) AS n, max(created_at) AS at, max(definition::text)::jsonb AS def FROM workflows WHERE user_id = $1`, [id]);
    expect(r.rows[0].n).toBe('1');
    expect(r.rows[0].at).toBeInstanceOf(Date);
    expect(r.rows[0].def).toEqual({ nodes: [] });
    const b = await db.query<any>(`SELECT decode('00ff', 'hex') AS b`);
    expect(Buffer.isBuffer(b.rows[0].b)).toBe(true);
  });

  it('maps a unique violation to ConflictError and rolls the whole transaction back', async () => {
    await makeUser('dup');
    await expect(
      db.transaction(async (tx) => {
        await tx.query(`INSERT INTO users (email, username, password_hash) VALUES ('fresh@example.com', 'fresh', 'x')`);
        await tx.query(`INSERT INTO users (email, username, password_hash) VALUES ('dup@example.com', 'dup2', 'x')`);
      }),
    ).rejects.toBeInstanceOf(ConflictError);
    const r = await db.query(`SELECT 1 FROM users WHERE email = 'fresh@example.com'`);
    expect(r.rowCount).toBe(0);
  });

  it('serialises concurrent callers: a statement never lands inside another caller\'s transaction', async () => {
    const failing = db.transaction(async (tx) => {
      await tx.query(`INSERT INTO users (email, username, password_hash) VALUES ('inside@example.com', 'inside', 'x')`);
      await new Promise((r) => setTimeout(r, 100));
      throw new Error('boom');
    });
    // Issued while the transaction is open; on one shared connection it would be rolled back with it.
    const outside = db.query(`INSERT INTO users (email, username, password_hash) VALUES ('outside@example.com', 'outside', 'x')`);
    await expect(failing).rejects.toThrow('boom');
    await outside;
    const r = await db.query<{ email: string }>(`SELECT email FROM users WHERE email IN ('inside@example.com', 'outside@example.com')`);
    expect(r.rows.map((x) => x.email)).toEqual(['outside@example.com']);
  });

  it('lets code inside a transaction call db.query and db.transaction without deadlocking', async () => {
    const n = await db.transaction(async (tx) => {
      await tx.query(`INSERT INTO users (email, username, password_hash) VALUES ('nest@example.com', 'nest', 'x')`);
      await expect(
        db.transaction(async (inner) => {
          await inner.query(`INSERT INTO users (email, username, password_hash) VALUES ('nest2@example.com', 'nest2', 'x')`);
          throw new Error('inner fails');
        }),
      ).rejects.toThrow('inner fails');
      const r = await db.query<{ n: string }>(`SELECT count(*) AS n FROM users WHERE email LIKE 'nest%'`);
      return r.rows[0]!.n;
    });
    expect(n).toBe('1');
  });

  it('enforces row-level security in tenant transactions (SET LOCAL ROLE jobsprint_tenant)', async () => {
    const alice = await makeUser('alice');
    const bob = await makeUser('bob');
    await db.query(`INSERT INTO workflows (user_id, name, definition) VALUES ($1, 'alice wf', '{"nodes":[]}')`, [alice]);
    const seen = await db.tenantTransaction({ userId: bob, role: 'user' }, async (tx) => {
      const who = await tx.query<{ u: string }>(`SELECT current_user AS u`);
      const rows = await tx.query(`SELECT * FROM workflows WHERE name = 'alice wf'`);
      return { user: who.rows[0]!.u, count: rows.rowCount };
    });
    expect(seen).toEqual({ user: 'jobsprint_tenant', count: 0 });
    await expect(
      db.tenantTransaction({ userId: bob, role: 'user' }, (tx) =>
        tx.query(`INSERT INTO workflows (user_id, name, definition) VALUES ($1, 'forged', '{"nodes":[]}')`, [alice]),
      ),
    ).rejects.toThrow(/row-level security/);
    const own = await db.tenantTransaction({ userId: alice, role: 'user' }, (tx) => tx.query(`SELECT * FROM workflows WHERE name = 'alice wf'`));
    expect(own.rowCount).toBe(1);
    // The operator connection is back to itself afterwards.
    const after = await db.query<{ u: string }>(`SELECT current_user AS u`);
    expect(after.rows[0]!.u).toBe('postgres');
  });

  it('shares one instance between opens in the same process and keeps data across close and reopen', async () => {
    const second = await openEmbedded(config);
    const r = await second.query(`SELECT 1 FROM users WHERE email = 'alice@example.com'`);
    expect(r.rowCount).toBe(1);
    await second.close();
    // Still usable: the first handle keeps the instance open.
    expect((await db.query(`SELECT 1 AS x`)).rows).toEqual([{ x: 1 }]);
    await db.close();
    expect(existsSync(embeddedLockPath(e.env))).toBe(false);
    const t = Date.now();
    db = await openEmbedded(config);
    console.log(`[measure] embedded reopen (migrations already applied): ${Date.now() - t} ms`);
    expect((await db.query(`SELECT 1 FROM users WHERE email = 'alice@example.com'`)).rowCount).toBe(1);
  });
});

describe('single owner of the data directory', () => {
  it('records the holder in pgdata.lock', () => {
    const holder = JSON.parse(readFileSync(embeddedLockPath(e.env), 'utf8'));
    expect(holder.pid).toBe(process.pid);
    expect(typeof holder.command).toBe('string');
    expect(holder.started_at).toMatch(/^\d{4}-/);
  });

  it('refuses a second process, naming the holder, with exit 6', async () => {
    const script = `
      const { Config } = await import(${JSON.stringify(new URL('../../dist/core/config.js', import.meta.url).href)});
      const { openEmbedded } = await import(${JSON.stringify(new URL('../../dist/core/db/embedded.js', import.meta.url).href)});
      try { await openEmbedded(new Config(process.env)); console.log('opened'); }
      catch (err) { console.log(JSON.stringify({ code: err.code, exit: err.exitCode, message: err.message, hint: err.hint })); }
    `;
    const out = await new Promise<string>((resolve) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { env: e.env });
      let s = '';
      child.stdout.on('data', (d) => (s += d));
      child.on('close', () => resolve(s));
    });
    const r = JSON.parse(out);
    expect(r.code).toBe('embedded_db_locked');
    expect(r.exit).toBe(6);
    expect(r.message).toContain(`pid ${process.pid}`);
    expect(r.hint).toContain('JOBSPRINT_DATABASE_URL');
  });

  it('replaces a lock left by a process that no longer exists', async () => {
    await db.close();
    writeFileSync(embeddedLockPath(e.env), JSON.stringify({ pid: 2 ** 22 + 12345, hostname: (await import('node:os')).hostname(), command: 'jobsprint daemon', started_at: '2020-01-01T00:00:00Z' }));
    db = await openEmbedded(config);
    expect(JSON.parse(readFileSync(embeddedLockPath(e.env), 'utf8')).pid).toBe(process.pid);
  });

  it('throws EmbeddedDbLockedError when the holder is alive', async () => {
    await db.close();
    const { hostname } = await import('node:os');
    // pid 1 is always alive; another host's lock cannot be checked and counts as held.
    writeFileSync(embeddedLockPath(e.env), JSON.stringify({ pid: 1, hostname: hostname(), command: 'jobsprint daemon', started_at: '2020-01-01T00:00:00Z' }));
    const err = await openEmbedded(config).catch((x) => x);
    expect(err).toBeInstanceOf(EmbeddedDbLockedError);
    expect(err.message).toContain('pid 1');
    expect(err.message).toContain('jobsprint daemon');
    writeFileSync(embeddedLockPath(e.env), '');
    db = await openEmbedded(config);
  });
});
