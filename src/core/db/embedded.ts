import { AsyncLocalStorage } from 'node:async_hooks';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type pg from 'pg';
import type { PGlite } from '@electric-sql/pglite';
import { dataDir, type Config } from '../config.js';
import { ServiceUnavailableError } from '../errors.js';
import { acquireDataDirLock } from './embedded-lock.js';
import { mapPgError } from './errors.js';
import { TENANT_ROLE, type Db, type Queryable, type QueryResult, type TenantScope } from './types.js';

/**
 * The embedded backend: PGlite (PostgreSQL compiled to WebAssembly) in this process, used when
 * JOBSPRINT_DATABASE_URL is unset. Same migrations, same SQL, same row-level security as a
 * server. Queries go through a pg.Client speaking the wire protocol to PGlite, so parameter
 * encoding and result types (int8 as string, timestamptz as Date, bytea as Buffer) are exactly
 * those of the server backend.
 *
 * PGlite is a single connection. A mutex serialises callers: a transaction holds it from BEGIN
 * to COMMIT so nobody else's statements land inside it. Code running inside a transaction that
 * calls `db.query` or `db.transaction` again (on a server that would be a second connection)
 * joins the open transaction instead of waiting for itself forever; a nested transaction is a
 * savepoint.
 */
export function embeddedDataDir(env: NodeJS.ProcessEnv): string {
  return join(dataDir(env), 'pgdata');
}

export function embeddedLockPath(env: NodeJS.ProcessEnv): string {
  return join(dataDir(env), 'pgdata.lock');
}

export interface OpenEmbeddedOptions {
  /** Apply pending migrations on open (default). `db` commands open without. */
  migrate?: boolean;
  /** Recorded in the lock file so a second process can name the holder. */
  command?: string;
  /** Create a new data directory from the build-time template when there is one (default). */
  useTemplate?: boolean;
}

/** Describes what runs the command, for the lock file: the words before the first option. */
function describeCommand(): string {
  const words: string[] = [];
  for (const a of process.argv.slice(2)) {
    if (a.startsWith('-') || words.length >= 3) break;
    words.push(a);
  }
  return ['jobsprint', ...words].join(' ');
}

class Mutex {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn, fn);
    this.tail = result.catch(() => {});
    return result;
  }
}

/** One PGlite per data directory per process; every Core in the process shares it. */
class Instance {
  refs = 0;
  readonly mutex = new Mutex();
  /** Set while a caller holds the mutex; code in its async context runs straight through. */
  readonly inside = new AsyncLocalStorage<{ active: boolean; depth: number }>();
  constructor(
    readonly path: string,
    readonly lite: PGlite,
    readonly client: pg.Client,
    private readonly release: () => void,
  ) {}

  /** Run fn with exclusive use of the connection (or inside the caller's, when nested). */
  exclusive<T>(fn: (nested: boolean) => Promise<T>): Promise<T> {
    const cur = this.inside.getStore();
    if (cur?.active) return fn(true);
    return this.mutex.run(async () => {
      const token = { active: true, depth: 0 };
      try {
        return await this.inside.run(token, () => fn(false));
      } finally {
        token.active = false;
      }
    });
  }

  async shutdown(): Promise<void> {
    try {
      await this.mutex.run(async () => {
        await this.client.end().catch(() => {});
        await this.lite.close();
      });
    } finally {
      this.release();
    }
  }
}

const instances = new Map<string, Promise<Instance>>();

/** A packed, freshly initialised data directory made at build time (scripts/embedded-template.mjs). */
const TEMPLATE = fileURLToPath(new URL('../../pglite-template.tar.gz', import.meta.url));

/** Loading the template takes a fraction of initdb's time; without it PGlite runs initdb. */
function initialData(path: string): Blob | undefined {
  if (existsSync(join(path, 'PG_VERSION')) || !existsSync(TEMPLATE)) return undefined;
  return new Blob([readFileSync(TEMPLATE)]);
}

async function startInstance(path: string, lockPath: string, command: string, useTemplate: boolean): Promise<Instance> {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  const release = acquireDataDirLock(lockPath, command);
  try {
    const [{ PGlite }, { createPgConfig }, { default: pgmod }] = await Promise.all([
      import('@electric-sql/pglite'),
      import('@electric-sql/pglite/node-postgres'),
      import('pg'),
    ]);
    const lite = await PGlite.create({ dataDir: path, loadDataDir: useTemplate ? initialData(path) : undefined });
    const client = new pgmod.Client(createPgConfig(lite) as unknown as pg.ClientConfig);
    client.on('error', () => {});
    await client.connect();
    // The operator connection passes the explicit bypass policy, as on a server (the embedded
    // user is a superuser anyway; tenant transactions switch to the tenant role).
    await client.query(`SET jobsprint.bypass_rls = 'on'`);
    return new Instance(path, lite, client, release);
  } catch (err) {
    release();
    throw new ServiceUnavailableError('PostgreSQL', `cannot open the embedded database at ${path}: ${(err as Error).message?.split('\n')[0]}`, {
      hint: 'check the directory is writable, or set JOBSPRINT_DATABASE_URL to use a PostgreSQL server',
      cause: err,
    });
  }
}

/**
 * Open (or share, within this process) the embedded database, taking the data-directory lock.
 * Throws EmbeddedDbLockedError (exit 6) when another process holds it.
 */
export async function openEmbedded(config: Config, opts: OpenEmbeddedOptions = {}): Promise<PgliteDb> {
  const path = embeddedDataDir(config.env);
  let pending = instances.get(path);
  if (!pending) {
    pending = startInstance(path, embeddedLockPath(config.env), opts.command ?? describeCommand(), opts.useTemplate !== false);
    instances.set(path, pending);
    pending.catch(() => instances.delete(path));
  }
  const inst = await pending;
  inst.refs++;
  const db = new PgliteDb(inst);
  if (opts.migrate !== false) {
    try {
      const { autoMigrate } = await import('./pglite-migrate.js');
      await db.withClient((client) => autoMigrate(client));
    } catch (err) {
      await db.close();
      throw err;
    }
  }
  return db;
}

export class PgliteDb implements Db {
  readonly kind = 'pglite' as const;
  readonly displayName: string;
  private closed = false;

  constructor(private readonly inst: Instance) {
    this.displayName = `embedded (${inst.path})`;
  }

  get dataDir(): string {
    return this.inst.path;
  }

  private async run<T>(sql: string, params?: unknown[]): Promise<QueryResult<T>> {
    if (this.closed) throw new Error('the embedded database is closed');
    try {
      const r = await this.inst.client.query(sql, params as unknown[]);
      return { rows: r.rows as T[], rowCount: r.rowCount ?? 0 };
    } catch (err) {
      throw mapPgError(err);
    }
  }

  query<T>(sql: string, params?: unknown[]): Promise<QueryResult<T>> {
    return this.inst.exclusive(() => this.run<T>(sql, params));
  }

  /** Exclusive use of the raw pg client (migrations). */
  withClient<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
    return this.inst.exclusive(() => fn(this.inst.client));
  }

  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.inst.exclusive((nested) => this.inTransaction(nested, fn));
  }

  tenantTransaction<T>(scope: TenantScope, fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const enter = async (tx: Queryable) => {
      await tx.query(`SET LOCAL ROLE ${TENANT_ROLE}`);
      await tx.query(`SELECT set_config('jobsprint.user_id', $1, true), set_config('jobsprint.role', $2, true)`, [scope.userId, scope.role]);
    };
    return this.inst.exclusive(async (nested) => {
      if (!nested) return this.inTransaction(false, fn, enter);
      // Inside an open transaction SET LOCAL would outlive the savepoint: restore afterwards.
      const prev = await this.run<{ role: string; user_id: string | null; jrole: string | null }>(
        `SELECT current_setting('role') AS role, current_setting('jobsprint.user_id', true) AS user_id, current_setting('jobsprint.role', true) AS jrole`,
      );
      const { role, user_id, jrole } = prev.rows[0]!;
      try {
        return await this.inTransaction(true, fn, enter);
      } finally {
        await this.run(role === 'none' ? 'SET LOCAL ROLE NONE' : `SET LOCAL ROLE "${role.replace(/"/g, '""')}"`).catch(() => {});
        await this.run(`SELECT set_config('jobsprint.user_id', $1, true), set_config('jobsprint.role', $2, true)`, [user_id ?? '', jrole ?? '']).catch(
          () => {},
        );
      }
    });
  }

  /** BEGIN … COMMIT, or a savepoint when already inside a transaction. Caller holds the connection. */
  private async inTransaction<T>(nested: boolean, fn: (tx: Queryable) => Promise<T>, setup?: (tx: Queryable) => Promise<void>): Promise<T> {
    const tx: Queryable = { query: (sql, params) => this.run(sql, params) };
    const store = this.inst.inside.getStore()!;
    const savepoint = nested ? `jobsprint_sp_${++store.depth}` : undefined;
    await this.run(savepoint ? `SAVEPOINT ${savepoint}` : 'BEGIN');
    try {
      if (setup) await setup(tx);
      const result = await fn(tx);
      await this.run(savepoint ? `RELEASE SAVEPOINT ${savepoint}` : 'COMMIT');
      return result;
    } catch (err) {
      await this.run(savepoint ? `ROLLBACK TO SAVEPOINT ${savepoint}` : 'ROLLBACK').catch(() => {});
      throw mapPgError(err);
    } finally {
      if (savepoint) store.depth--;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (--this.inst.refs > 0) return;
    instances.delete(this.inst.path);
    await this.inst.shutdown();
  }
}
