import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
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

function versionToTimestamp(v: string): number {
  return Date.parse(`${v.slice(0, 4)}-${v.slice(4, 6)}-${v.slice(6, 8)}T${v.slice(8, 10)}:${v.slice(10, 12)}:${v.slice(12, 14)}.${v.slice(14, 17)}Z`);
}

/** What to apply or revert; the same for the server and the embedded database. */
export interface MigratePlan {
  direction: 'up' | 'down';
  /** Number of migrations; Infinity for all. Default: all up, one down. */
  count?: number;
  /** up: apply through this version; down: revert everything after it. */
  to?: string;
  dir?: string;
}

export interface RunOptions extends MigratePlan {
  url: string;
  connectTimeoutMs?: number;
}

type Connection = { databaseUrl: { connectionString: string; connectionTimeoutMillis: number; application_name: string } } | { dbClient: import('pg').ClientBase };

/** After `rollback --all` nothing of Jobsprint should remain, not even the bookkeeping table. */
const DROP_EMPTY_MIGRATIONS_TABLE = `DO $$ BEGIN
  IF to_regclass('public.${MIGRATIONS_TABLE}') IS NOT NULL AND NOT EXISTS (SELECT 1 FROM public.${MIGRATIONS_TABLE}) THEN
    DROP TABLE public.${MIGRATIONS_TABLE};
  END IF; END $$`;

/**
 * The one node-pg-migrate run both backends use. With `lock`, its advisory lock (wait mode)
 * makes concurrent `db migrate` runs safe: the second waits, then finds nothing to do.
 * Errors are returned raw for the caller to map.
 */
export async function applyMigrations(connection: Connection, plan: MigratePlan, opts: { lock: boolean }): Promise<MigrationFile[]> {
  const files = listMigrationFiles(plan.dir);
  let count = plan.count;
  let timestamp = false;
  if (plan.to !== undefined) {
    const target = files.find((f) => f.version === plan.to || f.name === plan.to);
    if (!target) throw new UsageError(`unknown migration version "${plan.to}"`, { hint: 'see `jobsprint db status`' });
    timestamp = true;
    const ts = versionToTimestamp(target.version);
    // down with timestamp reverts every applied migration whose timestamp is >= count.
    count = plan.direction === 'up' ? ts : ts + 1;
  }
  const { runner } = await import('node-pg-migrate');
  const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
  const ran = await runner({
    ...connection,
    dir: plan.dir ?? MIGRATIONS_DIR,
    migrationsTable: MIGRATIONS_TABLE,
    direction: plan.direction,
    count: count ?? (plan.direction === 'up' ? Infinity : 1),
    timestamp,
    singleTransaction: false,
    checkOrder: true,
    ...(opts.lock ? { advisoryLockMode: 'wait' as const } : { noLock: true }),
    logger: quiet,
    ignorePattern: '(\\..*)|(.*\\.md)',
  });
  return ran.map((m) => ({ name: m.name, version: m.name.slice(0, 17) }));
}

/** Whether a plan reverts everything, after which the bookkeeping table goes too. */
function revertsAll(plan: MigratePlan): boolean {
  return plan.direction === 'down' && plan.count === Infinity && plan.to === undefined;
}

/** Drop the bookkeeping table if `rollback --all` emptied it. */
export async function dropEmptyMigrationsTable(client: Pick<import('pg').ClientBase, 'query'>, plan: MigratePlan): Promise<void> {
  if (revertsAll(plan)) await client.query(DROP_EMPTY_MIGRATIONS_TABLE);
}

export function migrationFailed(err: unknown): JobsprintError {
  if (err instanceof JobsprintError) return err;
  const msg = (err as Error)?.message ?? String(err);
  return new MigrationError(`migration failed: ${msg.split('\n')[0]}`, { hint: 'nothing of the failing migration was applied', cause: err });
}

/** Applied and pending migrations, read through any connected client. */
export async function readMigrationStatus(client: Pick<import('pg').ClientBase, 'query'>, dir?: string): Promise<MigrationStatus[]> {
  const files = listMigrationFiles(dir);
  const applied = new Map<string, string>();
  const exists = await client.query(`SELECT to_regclass($1) AS t`, [`public.${MIGRATIONS_TABLE}`]);
  if (exists.rows[0].t) {
    const r = await client.query(`SELECT name, run_on FROM ${MIGRATIONS_TABLE} ORDER BY run_on, id`);
    for (const row of r.rows) applied.set(row.name, new Date(row.run_on).toISOString());
  }
  return files.map((f) => ({ ...f, applied: applied.has(f.name), run_on: applied.get(f.name) ?? null }));
}

/** Run fn with a short-lived client on the server; connection failures become exit 6. */
async function withServerClient<T>(url: string, connectTimeoutMs: number, fn: (c: import('pg').Client) => Promise<T>): Promise<T> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: connectTimeoutMs });
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (err) {
    throw unavailable(url, err);
  }
  try {
    return await fn(client);
  } catch (err) {
    if (isConnectionError(err)) throw unavailable(url, err);
    throw err;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Apply or revert migrations on a PostgreSQL server. */
export async function runMigrations(opts: RunOptions): Promise<MigrationFile[]> {
  const timeout = opts.connectTimeoutMs ?? 5000;
  try {
    const ran = await applyMigrations(
      { databaseUrl: { connectionString: opts.url, connectionTimeoutMillis: timeout, application_name: 'jobsprint-migrate' } },
      opts,
      { lock: true },
    );
    if (revertsAll(opts)) await withServerClient(opts.url, timeout, (c) => dropEmptyMigrationsTable(c, opts));
    return ran;
  } catch (err) {
    if (err instanceof JobsprintError) throw err;
    const msg = (err as Error)?.message ?? String(err);
    if (isConnectionError(err) || /ECONNREFUSED|ENOTFOUND|timeout/i.test(msg)) throw unavailable(opts.url, err);
    throw migrationFailed(err);
  }
}

/** Applied and pending migrations on a PostgreSQL server. */
export async function migrationStatus(url: string, connectTimeoutMs = 5000, dir?: string): Promise<MigrationStatus[]> {
  return withServerClient(url, connectTimeoutMs, (c) => readMigrationStatus(c, dir));
}
