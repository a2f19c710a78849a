import { isUuid } from '../ids.js';
/**
 * Reading executions for `executions list|show` and the log follower. Every read runs in the
 * caller's tenant transaction, so row-level security decides what is visible: another user's
 * execution is simply "not found".
 */
import type { Queryable } from '../db/types.js';
import { NotFoundError, UsageError } from '../errors.js';
import { findWorkflowId } from '../workflows/store.js';

export const EXECUTION_STATUSES = ['pending', 'running', 'success', 'failed', 'cancelled'] as const;
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];
export const FINAL_STATUSES: readonly string[] = ['success', 'failed', 'cancelled'];
export const TRIGGER_TYPES = ['manual', 'scheduled', 'webhook', 'api'] as const;


export interface ExecutionSummary {
  id: string;
  workflow_id: string;
  workflow_name: string | null;
  user_id: string;
  status: ExecutionStatus;
  trigger_type: string;
  started_at: Date;
  completed_at: Date | null;
  duration_ms: number | null;
  error_message: string | null;
  retry_count: number;
  max_retries: number;
  /** The execution's attempt (claims by a worker); from execution_metadata. */
  attempt: number | null;
}

export interface ExecutionDetail extends ExecutionSummary {
  input_data: unknown;
  output_data: unknown;
  execution_metadata: Record<string, unknown>;
  nodes: ExecutionNodeRow[];
}

export interface ExecutionNodeRow {
  node_id: string;
  node_name: string;
  node_type: string;
  status: string;
  started_at: Date | null;
  completed_at: Date | null;
  duration_ms: number | null;
  items_in: number | null;
  items_out: number[] | null;
  error_message: string | null;
  retry_count: number;
}

export interface ListFilters {
  /** A workflow reference, resolved as every workflows command resolves it (findWorkflowId). */
  workflow?: string;
  status?: string;
  trigger?: string;
  since?: Date;
  until?: Date;
  limit?: number;
  cursor?: string;
}

export interface ListPage {
  items: Array<ExecutionSummary & { cursor: string }>;
  /** Pass as --cursor for the next page; null on the last page. */
  next_cursor: string | null;
}

const SUMMARY_COLUMNS = `e.id, e.workflow_id, w.name AS workflow_name, e.user_id, e.status, e.trigger_type, e.started_at,
  e.completed_at, e.duration_ms, e.error_message, COALESCE(e.retry_count, 0) AS retry_count,
  COALESCE(e.max_retries, 0) AS max_retries, e.execution_metadata,
  (extract(epoch from e.started_at) * 1000000)::bigint::text AS started_us`;

type SummaryRow = Omit<ExecutionSummary, 'attempt'> & { execution_metadata: Record<string, unknown> | null; started_us: string };

function toSummary(row: SummaryRow): ExecutionSummary {
  const { execution_metadata, started_us: _us, ...rest } = row;
  return { ...rest, attempt: attemptOf(execution_metadata) };
}

function attemptOf(meta: Record<string, unknown> | null | undefined): number | null {
  const a = meta?.attempt;
  return typeof a === 'number' ? a : typeof a === 'string' && /^\d+$/.test(a) ? Number(a) : null;
}

/** Keyset cursor over (started_at, id), newest first; opaque to users. */
function encodeCursor(row: SummaryRow): string {
  return Buffer.from(`${row.started_us}|${row.id}`).toString('base64url');
}

function decodeCursor(cursor: string): { us: string; id: string } {
  const [us, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (!us || !/^-?\d+$/.test(us) || !id || !isUuid(id)) {
    throw new UsageError(`invalid --cursor "${cursor}"`, { hint: 'pass the cursor printed by the previous page' });
  }
  return { us, id };
}

export async function listExecutions(tx: Queryable, f: ListFilters): Promise<ListPage> {
  const limit = f.limit ?? 20;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError('--limit must be between 1 and 1000');
  const where: string[] = [];
  const params: unknown[] = [];
  const p = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  if (f.workflow !== undefined) where.push(`e.workflow_id = ${p(await findWorkflowId(tx, f.workflow))}`);
  if (f.status !== undefined) {
    if (!(EXECUTION_STATUSES as readonly string[]).includes(f.status)) {
      throw new UsageError(`invalid --status "${f.status}"`, { hint: `use one of ${EXECUTION_STATUSES.join(', ')}` });
    }
    where.push(`e.status = ${p(f.status)}`);
  }
  if (f.trigger !== undefined) {
    if (!(TRIGGER_TYPES as readonly string[]).includes(f.trigger)) {
      throw new UsageError(`invalid --trigger "${f.trigger}"`, { hint: `use one of ${TRIGGER_TYPES.join(', ')}` });
    }
    where.push(`e.trigger_type = ${p(f.trigger)}`);
  }
  if (f.since) where.push(`e.started_at >= ${p(f.since)}`);
  if (f.until) where.push(`e.started_at < ${p(f.until)}`);
  if (f.cursor) {
    const c = decodeCursor(f.cursor);
    where.push(`(e.started_at, e.id) < ('epoch'::timestamptz + ${p(c.us)}::bigint * interval '1 microsecond', ${p(c.id)}::uuid)`);
  }
  const sql = `SELECT ${SUMMARY_COLUMNS} FROM executions e LEFT JOIN workflows w ON w.id = e.workflow_id
    ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
    ORDER BY e.started_at DESC, e.id DESC LIMIT ${p(limit + 1)}`;
  const { rows } = await tx.query<SummaryRow>(sql, params);
  const page = rows.slice(0, limit);
  const items = page.map((r) => ({ ...toSummary(r), cursor: encodeCursor(r) }));
  return { items, next_cursor: rows.length > limit ? items[items.length - 1]!.cursor : null };
}

export function executionNotFound(id: string): NotFoundError {
  return new NotFoundError(`execution "${id}" not found`, { hint: 'see `jobsprint executions list`' });
}

export async function getExecutionSummary(tx: Queryable, id: string): Promise<ExecutionSummary> {
  if (!isUuid(id)) throw executionNotFound(id);
  const { rows } = await tx.query<SummaryRow>(
    `SELECT ${SUMMARY_COLUMNS} FROM executions e LEFT JOIN workflows w ON w.id = e.workflow_id WHERE e.id = $1`,
    [id],
  );
  if (!rows[0]) throw executionNotFound(id);
  return toSummary(rows[0]);
}

export async function getExecution(tx: Queryable, id: string): Promise<ExecutionDetail> {
  if (!isUuid(id)) throw executionNotFound(id);
  const { rows } = await tx.query<SummaryRow & { input_data: unknown; output_data: unknown }>(
    `SELECT ${SUMMARY_COLUMNS}, e.input_data, e.output_data FROM executions e
     LEFT JOIN workflows w ON w.id = e.workflow_id WHERE e.id = $1`,
    [id],
  );
  const row = rows[0];
  if (!row) throw executionNotFound(id);
  const nodes = await getExecutionNodes(tx, id);
  const meta = row.execution_metadata ?? {};
  return { ...toSummary(row), input_data: row.input_data, output_data: row.output_data, execution_metadata: meta, nodes };
}

export async function getExecutionNodes(tx: Queryable, executionId: string): Promise<ExecutionNodeRow[]> {
  const { rows } = await tx.query<Omit<ExecutionNodeRow, 'items_in' | 'items_out'> & { input_data: unknown; output_data: unknown }>(
    `SELECT node_id, node_name, node_type, status, started_at, completed_at, duration_ms, error_message,
            COALESCE(retry_count, 0) AS retry_count, input_data, output_data
       FROM execution_nodes WHERE execution_id = $1
      ORDER BY started_at NULLS LAST, completed_at NULLS LAST, id`,
    [executionId],
  );
  return rows.map(({ input_data, output_data, ...r }) => {
    const inCounts = itemCounts(input_data);
    return {
      ...r,
      items_in: inCounts ? inCounts.reduce((a, b) => a + b, 0) : null,
      items_out: itemCounts(output_data),
    };
  });
}

/**
 * Item counts per output from stored node data, whatever shape the worker kept: n8n run data
 * (`{main: [[items], …]}`), a list of outputs, one item list, or a truncated marker that
 * records the counts (`{truncated: true, items: [n, …]}`).
 */
export function itemCounts(data: unknown): number[] | null {
  if (data === null || data === undefined) return null;
  if (Array.isArray(data)) {
    if (data.length && data.every((d) => Array.isArray(d) || d === null)) return data.map((d) => (Array.isArray(d) ? d.length : 0));
    return [data.length];
  }
  if (typeof data === 'object') {
    const o = data as Record<string, unknown>;
    if (Array.isArray(o.main)) return itemCounts(o.main);
    for (const k of ['items', 'item_counts', 'items_out']) {
      const v = o[k];
      if (typeof v === 'number') return [v];
      if (Array.isArray(v) && v.every((n) => typeof n === 'number')) return v as number[];
    }
  }
  return null;
}

/** `--since`/`--until`: an ISO date/time, or a duration ago (`90s`, `15m`, `2h`, `7d`). */
export function parseTimeFlag(flag: string, value: string, now = Date.now()): Date {
  const rel = /^(\d+)(s|m|h|d|w)$/.exec(value.trim());
  if (rel) {
    const unit = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 7 * 86400e3 }[rel[2] as 's'];
    return new Date(now - Number(rel[1]) * unit);
  }
  const t = Date.parse(value);
  if (Number.isNaN(t)) {
    throw new UsageError(`invalid ${flag} "${value}"`, { hint: 'use an ISO time like 2026-11-27T10:00:00Z or a duration ago like 2h or 7d' });
  }
  return new Date(t);
}
