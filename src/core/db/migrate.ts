import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { ServiceUnavailableError, UsageError, JobsprintError } from '../errors.js';
import { isConnectionError, unavailable } from './postgres.js';

/** Where the SQL migrations live (shipped with the package). */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../../migrations', import.meta.url));
export const MIGRATIONS_TABLE = 'jobsprint_migrations';

export interface MigrationFile {
  /** File name without `.sql`, as node-pg-migrate records it. */
  name: string;
  /** The numeric prefix (YYYYMMDDHHmmssSSS). */
  version: string;
}

export interface MigrationStatus extends MigrationFile {
  applied: boolean;
  run_on: string | null;
}

export class MigrationError extends JobsprintError {
  override readonly code = 'migration_failed';
}

export function listMigrationFiles(dir = MIGRATIONS_DIR): MigrationFile[] {
  return readdirSync(dir)
    .filter((f) => /^\d{17}_.+\.sql$/.test(f))
    .sort()
    .map((f) => ({ name: f.replace(/\.sql$/, ''), version: f.slice(0, 17) }));
}

function versionToTimestamp(version: string): number {
  const p = version;
  return new Date(`${p.slice(0, 4)}-${p.slice(4, 6)}-${p.slice(6, 8)}T${p.slice(8, 10)}:${p.slice(10, 12)}:${p.slice(12, 14)}.${p.slice(14, 17)}Z`).valueOf();
}

export interface RunOptions {
  url: string;
  direction: 'up' | 'down';
  /** Number of migrations; Infinity for all. */
  count?: number;
  /** up: apply through this version; down: revert everything after it. */
  to?: string;
  connectTimeoutMs?: number;
  dir?: string;
}

/**
 * Apply or revert migrations with node-pg-migrate. Its advisory lock (in `wait` mode) makes
 * concurrent `db migrate` runs safe: the second waits, then finds nothing to do.
 */
export async function runMigrations(opts: RunOptions): Promise<MigrationFile[]> {
  const files = listMigrationFiles(opts.dir);
  let count = opts.count;
  let timestamp = false;
  if (opts.to !== undefined) {
    const target = files.find((f) => f.version === opts.to || f.name === opts.to);
    if (!target) throw new UsageError(`unknown migration version "${opts.to}"`, { hint: 'see `jobsprint db status`' });
    timestamp = true;
    const ts = versionToTimestamp(target.version);
    // down with timestamp reverts every applied migration whose timestamp is >= count.
    count = opts.direction === 'up' ? ts : ts + 1;
  }
  const { runner } = await import('node-pg-migrate');
  const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
  try {
    const ran = await runner({
      databaseUrl: { connectionString: opts.url, connectionTimeoutMillis: opts.connectTimeoutMs ?? 5000, application_name: 'jobsprint-migrate' },
      dir: opts.dir ?? MIGRATIONS_DIR,
      migrationsTable: MIGRATIONS_TABLE,
      direction: opts.direction,
      count: count ?? (opts.direction === 'up' ? Infinity : 1),
      timestamp,
      singleTransaction: false,
      checkOrder: true,
      advisoryLockMode: 'wait',
      logger: quiet,
      ignorePattern: '(\\..*)|(.*\\.md)',
    });
    if (opts.direction === 'down' && opts.count === Infinity && opts.to === undefined) await dropMigrationsTableIfEmpty(opts);
    return ran.map((m) => ({ name: m.name, version: m.name.slice(0, 17) }));
  } catch (err) {
    throw mapMigrationError(opts.url, err);
  }
}

/** After `rollback --all` nothing of Jobsprint should remain, not even the bookkeeping table. */
async function dropMigrationsTableIfEmpty(opts: RunOptions): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: opts.url, connectionTimeoutMillis: opts.connectTimeoutMs ?? 5000 });
  client.on('error', () => {});
  await client.connect();
  try {
    await client.query(`DO $$ BEGIN
      IF to_regclass('public.${MIGRATIONS_TABLE}') IS NOT NULL AND NOT EXISTS (SELECT 1 FROM public.${MIGRATIONS_TABLE}) THEN
        DROP TABLE public.${MIGRATIONS_TABLE};
      END IF; END $$`);
  } finally {
    await client.end().catch(() => {});
  }
}

function mapMigrationError(url: string, err: unknown): unknown {
  if (err instanceof JobsprintError) return err;
  if (isConnectionError(err)) return unavailable(url, err);
  const msg = (err as Error)?.message ?? String(err);
  if (/ECONNREFUSED|ENOTFOUND|timeout/i.test(msg)) return unavailable(url, err);
  return new MigrationError(`migration failed: ${msg.split('\n')[0]}`, { hint: 'nothing of the failing migration was applied', cause: err });
}

/** Applied and pending migrations. */
export async function migrationStatus(url: string, connectTimeoutMs = 5000, dir?: string): Promise<MigrationStatus[]> {
  const files = listMigrationFiles(dir);
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: connectTimeoutMs });
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (err) {
    throw unavailable(url, err);
  }
  try {
    const exists = await client.query(`SELECT to_regclass($1) AS t`, [`public.${MIGRATIONS_TABLE}`]);
    const applied = new Map<string, string>();
    if (exists.rows[0].t) {
      const r = await client.query(`SELECT name, run_on FROM ${MIGRATIONS_TABLE} ORDER BY run_on, id`);
      for (const row of r.rows) applied.set(row.name, new Date(row.run_on).toISOString());
    }
    return files.map((f) => ({ ...f, applied: applied.has(f.name), run_on: applied.get(f.name) ?? null }));
  } catch (err) {
    if (isConnectionError(err)) throw unavailable(url, err);
    throw err;
  } finally {
    await client.end().catch(() => {});
  }
}

export function requireDatabaseUrl(url: string | undefined): string {
  if (!url) {
    throw new ServiceUnavailableError('PostgreSQL', 'no database configured', { hint: 'set JOBSPRINT_DATABASE_URL' });
  }
  return url;
}
