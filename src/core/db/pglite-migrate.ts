import type pg from 'pg';
import type { Config } from '../config.js';
import { UsageError, JobsprintError } from '../errors.js';
import { MIGRATIONS_DIR, MIGRATIONS_TABLE, MigrationError, listMigrationFiles, type MigrationFile, type MigrationStatus } from './migrate.js';

/**
 * Migrations for the embedded database. PGlite speaks the PostgreSQL protocol to a pg.Client
 * (see embedded.ts), so node-pg-migrate itself runs here, over that client: the same files, the
 * same `-- Up Migration` / `-- Down Migration` parsing, the same `jobsprint_migrations` rows
 * (id, name, run_on). `db status` reads one table layout whichever backend it looks at.
 * The caller holds the data-directory lock, so no other process can migrate concurrently.
 */
export interface EmbeddedMigrateOptions {
  direction: 'up' | 'down';
  /** Number of migrations; Infinity for all. Default: all up, one down. */
  count?: number;
  /** up: apply through this version; down: revert everything after it. */
  to?: string;
  dir?: string;
}

function versionToTimestamp(v: string): number {
  return Date.parse(`${v.slice(0, 4)}-${v.slice(4, 6)}-${v.slice(6, 8)}T${v.slice(8, 10)}:${v.slice(10, 12)}:${v.slice(12, 14)}.${v.slice(14, 17)}Z`);
}

export async function runEmbeddedMigrations(client: pg.ClientBase, opts: EmbeddedMigrateOptions): Promise<MigrationFile[]> {
  const files = listMigrationFiles(opts.dir);
  let count = opts.count;
  let timestamp = false;
  if (opts.to !== undefined) {
    const target = files.find((f) => f.version === opts.to || f.name === opts.to);
    if (!target) throw new UsageError(`unknown migration version "${opts.to}"`, { hint: 'see `jobsprint db status`' });
    timestamp = true;
    const ts = versionToTimestamp(target.version);
    count = opts.direction === 'up' ? ts : ts + 1;
  }
  const { runner } = await import('node-pg-migrate');
  const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
  try {
    const ran = await runner({
      dbClient: client,
      dir: opts.dir ?? MIGRATIONS_DIR,
      migrationsTable: MIGRATIONS_TABLE,
      direction: opts.direction,
      count: count ?? (opts.direction === 'up' ? Infinity : 1),
      timestamp,
      singleTransaction: false,
      checkOrder: true,
      // One process owns the data directory (the lock file); an advisory lock adds nothing.
      noLock: true,
      logger: quiet,
      ignorePattern: '(\\..*)|(.*\\.md)',
    });
    if (opts.direction === 'down' && opts.count === Infinity && opts.to === undefined) {
      await client.query(`DO $$ BEGIN
        IF to_regclass('public.${MIGRATIONS_TABLE}') IS NOT NULL AND NOT EXISTS (SELECT 1 FROM public.${MIGRATIONS_TABLE}) THEN
          DROP TABLE public.${MIGRATIONS_TABLE};
        END IF; END $$`);
    }
    return ran.map((m) => ({ name: m.name, version: m.name.slice(0, 17) }));
  } catch (err) {
    if (err instanceof JobsprintError) throw err;
    const msg = (err as Error)?.message ?? String(err);
    throw new MigrationError(`migration failed: ${msg.split('\n')[0]}`, { hint: 'nothing of the failing migration was applied', cause: err });
  }
}

export async function embeddedMigrationStatus(client: pg.ClientBase, dir?: string): Promise<MigrationStatus[]> {
  const files = listMigrationFiles(dir);
  const applied = new Map<string, string>();
  const exists = await client.query(`SELECT to_regclass($1) AS t`, [`public.${MIGRATIONS_TABLE}`]);
  if (exists.rows[0].t) {
    const r = await client.query(`SELECT name, run_on FROM ${MIGRATIONS_TABLE} ORDER BY run_on, id`);
    for (const row of r.rows) applied.set(row.name, new Date(row.run_on).toISOString());
  }
  return files.map((f) => ({ ...f, applied: applied.has(f.name), run_on: applied.get(f.name) ?? null }));
}

/**
 * Bring the embedded database up to date on open. Checking the table first keeps the common
 * case (nothing to do) to one query instead of a full node-pg-migrate run.
 */
export async function autoMigrate(client: pg.ClientBase, dir?: string): Promise<MigrationFile[]> {
  const status = await embeddedMigrationStatus(client, dir);
  if (status.every((s) => s.applied)) return [];
  return runEmbeddedMigrations(client, { direction: 'up', dir });
}

/** `db migrate` / `db rollback` on the embedded database (opened without auto-migrating). */
export async function migrateEmbedded(config: Config, opts: EmbeddedMigrateOptions): Promise<MigrationFile[]> {
  const { openEmbedded } = await import('./embedded.js');
  const db = await openEmbedded(config, { migrate: false });
  try {
    return await db.withClient((client) => runEmbeddedMigrations(client, opts));
  } finally {
    await db.close();
  }
}

/** `db status` on the embedded database. */
export async function embeddedStatus(config: Config): Promise<MigrationStatus[]> {
  const { openEmbedded } = await import('./embedded.js');
  const db = await openEmbedded(config, { migrate: false });
  try {
    return await db.withClient((client) => embeddedMigrationStatus(client));
  } finally {
    await db.close();
  }
}
