/** The small store interface the core is written against (pg Pool today; PGlite for the embedded mode). */
export interface QueryResult<T> {
  rows: T[];
  rowCount: number;
}

export interface QueryOptions {
  /**
   * Prepare the statement once per connection under this name and reuse it: no parse and
   * analysis per call, and PostgreSQL may switch to a cached generic plan. For the hot,
   * fixed-text statements of the execution pipeline only. Ignored by the embedded database.
   */
  name?: string;
}

export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[], opts?: QueryOptions): Promise<QueryResult<T>>;
}

/** Who a tenant transaction acts for; row-level security compares rows with it. */
export interface TenantScope {
  userId: string;
  role: 'user' | 'admin';
}

export interface Db extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /** Masked URL or data directory, for messages. */
  readonly displayName: string;
  /** Run fn in one transaction (BEGIN … COMMIT, ROLLBACK on throw). */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * Run fn in one transaction as the non-superuser tenant role, with `jobsprint.user_id` and
   * `jobsprint.role` set locally, so row-level security filters every statement.
   */
  tenantTransaction<T>(scope: TenantScope, fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Role the migrations create; tenant transactions `SET LOCAL ROLE` to it. */
export const TENANT_ROLE = 'jobsprint_tenant';
