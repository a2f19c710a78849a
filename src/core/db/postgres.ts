import type pg from 'pg';
import { ServiceUnavailableError } from '../errors.js';
import { maskUrl } from '../mask.js';
import { TENANT_ROLE, type Db, type Queryable, type QueryOptions, type QueryResult, type TenantScope } from './types.js';
import { mapPgError } from './errors.js';

export interface PostgresOptions {
  url: string;
  connectTimeoutMs?: number;
  max?: number;
  applicationName?: string;
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);
/** SQLSTATE classes that mean the server is not (yet, or any more) usable. */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006', '53300']);

export function isConnectionError(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | null;
  if (!e) return false;
  if (e.code && (CONNECTION_CODES.has(e.code) || UNAVAILABLE_SQLSTATES.has(e.code))) return true;
  const msg = e.message ?? '';
  return /timeout expired|Connection terminated|connect ECONNREFUSED|Client has encountered a connection error/i.test(msg);
}

export function unavailable(url: string, err: unknown): ServiceUnavailableError {
  const e = err as { code?: string; message?: string };
  const reason = e?.code && CONNECTION_CODES.has(e.code) ? e.code : (e?.message ?? String(err)).split('\n')[0];
  return new ServiceUnavailableError('PostgreSQL', `PostgreSQL unavailable at ${maskUrl(url)}: ${reason}`, {
    hint: 'check that the server is running and JOBSPRINT_DATABASE_URL is right',
    cause: err,
  });
}

export async function createPostgres(opts: PostgresOptions): Promise<Db> {
  const { default: pgmod } = await import('pg');
  const pool = new pgmod.Pool({
    connectionString: opts.url,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 5000,
    max: opts.max ?? 10,
    application_name: opts.applicationName ?? 'jobsprint',
    // Idle clients are closed so a short CLI run does not keep the event loop alive.
    idleTimeoutMillis: 10_000,
    allowExitOnIdle: true,
    // Operator connections pass the explicit RLS bypass policy (tenant transactions switch to
    // the tenant role, which the policy excludes).
    options: '-c jobsprint.bypass_rls=on',
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  return new PostgresDb(pool, opts.url);
}

class PostgresDb implements Db {
  readonly kind = 'postgres' as const;
  readonly displayName: string;
  constructor(
    private readonly pool: pg.Pool,
    private readonly url: string,
  ) {
    this.displayName = maskUrl(url);
  }

  async query<T>(sql: string, params?: unknown[], opts?: QueryOptions): Promise<QueryResult<T>> {
    try {
      const r = await this.pool.query(statement(sql, params, opts));
      return { rows: r.rows as T[], rowCount: r.rowCount ?? 0 };
    } catch (err) {
      throw this.mapError(err);
    }
  }

  private mapError(err: unknown): unknown {
    if (isConnectionError(err)) return unavailable(this.url, err);
    return mapPgError(err);
  }

  private async connect(): Promise<pg.PoolClient> {
    try {
      return await this.pool.connect();
    } catch (err) {
      throw unavailable(this.url, err);
    }
  }

  /**
   * `begin` replaces the plain BEGIN: statements sent with it in ONE round trip (simple query
   * protocol, so no parameters), e.g. the tenant role and settings.
   */
  async transaction<T>(fn: (tx: Queryable) => Promise<T>, begin = 'BEGIN'): Promise<T> {
    const client = await this.connect();
    const tx: Queryable = {
      query: async <R>(sql: string, params?: unknown[], opts?: QueryOptions) => {
        try {
          const r = await client.query(statement(sql, params, opts));
          return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 };
        } catch (err) {
          throw this.mapError(err);
        }
      },
    };
    let broken = false;
    // A backend terminated mid-transaction emits 'error' on the checked-out client; without a
    // listener that event would crash a long-running process.
    const onError = () => {
      broken = true;
    };
    client.on('error', onError);
    try {
      await client.query(begin);
      const result = await fn(tx);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch {
        broken = true;
      }
      throw this.mapError(err);
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }

  tenantTransaction<T>(scope: TenantScope, fn: (tx: Queryable) => Promise<T>): Promise<T> {
    // One round trip instead of three (measured: the enqueue path's latency under load is
    // mostly round trips). The values are quoted as literals: the simple protocol takes none.
    return this.transaction(
      fn,
      `BEGIN; SET LOCAL ROLE ${TENANT_ROLE}; ` +
        `SELECT set_config('jobsprint.user_id', ${literal(scope.userId)}, true), set_config('jobsprint.role', ${literal(scope.role)}, true)`,
    );
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** A standard-conforming SQL string literal (standard_conforming_strings is on since 9.1). */
function literal(value: string): string {
  if (value.includes('\0')) throw new Error('a NUL character cannot be sent to PostgreSQL');
  return `'${value.replace(/'/g, "''")}'`;
}

function statement(text: string, values: unknown[] | undefined, opts: QueryOptions | undefined): pg.QueryConfig {
  return opts?.name ? { name: opts.name, text, values } : { text, values };
}
