import type { ActingAs } from '../actor.js';
import type { Core } from '../context.js';
import type { QueryResult } from '../db/types.js';
import { UsageError } from '../errors.js';
import { isUuid } from '../ids.js';
import { findWorkflow, listVersions, normalizeRow, SUMMARY_COLUMNS, type VersionRow, type WorkflowRow, type WorkflowSummary } from './store.js';

export interface ListFilters {
  active?: boolean;
  tag?: string;
  category?: string;
  /** Words of the name or description (PostgreSQL full-text search, English stemming). */
  search?: string;
  limit?: number;
  /** From a previous page's `next_cursor`. */
  cursor?: string;
}

export interface ListPage {
  /** Each row's `cursor` continues the list after that row. */
  workflows: Array<WorkflowSummary & { cursor: string }>;
  next_cursor: string | null;
}

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 1000;

/**
 * The list query. `--search` uses exactly the expressions of the seed's full-text indexes
 * (`to_tsvector('english', name)` and `… description`), so PostgreSQL can answer it from
 * idx_workflows_name_search / idx_workflows_description_search (a BitmapOr of the two).
 *
 * Row-level security gets in the way of that: `@@` (ts_match_vq) is not leakproof, so under the
 * tenant role's policy the planner may not use it as an index condition and scans all of the
 * tenant's rows instead. A search therefore runs in two steps: the ids of the page, found by
 * the operator connection with an explicit `user_id` condition (the indexes apply), then the rows
 * themselves read in the tenant transaction, where RLS still filters what is returned.
 * `idsOnly` builds the first step; exported so a test can EXPLAIN the very query that runs.
 */
export function buildListQuery(userId: string, f: ListFilters, opts: { idsOnly?: boolean } = {}): { sql: string; params: unknown[] } {
  const params: unknown[] = [userId];
  const where = ['w.user_id = $1'];
  const p = (v: unknown) => `$${params.push(v)}`;
  if (f.active !== undefined) where.push(`w.is_active = ${p(f.active)}`);
  if (f.tag) where.push(`w.tags @> ARRAY[${p(f.tag)}]::text[]`);
  if (f.category) where.push(`w.category = ${p(f.category)}`);
  if (f.search?.trim()) {
    const q = p(f.search.trim());
    where.push(`(to_tsvector('english', w.name) @@ websearch_to_tsquery('english', ${q})
      OR to_tsvector('english', w.description) @@ websearch_to_tsquery('english', ${q}))`);
  }
  if (f.cursor) {
    const c = decodeCursor(f.cursor);
    where.push(`(w.created_at, w.id) < (${p(c.at)}::timestamptz, ${p(c.id)}::uuid)`);
  }
  const limit = f.limit ?? DEFAULT_LIMIT;
  const sql = `SELECT ${opts.idsOnly ? 'w.id' : `${SUMMARY_COLUMNS}, w.created_at::text AS cursor_at`}
    FROM workflows w WHERE ${where.join(' AND ')}
    ORDER BY w.created_at DESC, w.id DESC LIMIT ${p(limit + 1)}`;
  return { sql, params };
}

type ListRow = WorkflowSummary & { cursor_at: string };

export async function listWorkflows(core: Core, as: ActingAs, f: ListFilters = {}): Promise<ListPage> {
  const limit = f.limit ?? DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw new UsageError(`--limit must be between 1 and ${MAX_LIMIT}`);
  const db = await core.db();
  let rows: ListRow[];
  if (f.search?.trim()) {
    const ids = await db.query<{ id: string }>(...spread(buildListQuery(as.scope.userId, { ...f, limit }, { idsOnly: true })));
    rows = ids.rows.length
      ? (
          await db.tenantTransaction(as.scope, (tx) =>
            tx.query<ListRow>(
              `SELECT ${SUMMARY_COLUMNS}, w.created_at::text AS cursor_at FROM workflows w
               WHERE w.user_id = $1 AND w.id = ANY($2::uuid[]) ORDER BY w.created_at DESC, w.id DESC`,
              [as.scope.userId, ids.rows.map((r) => r.id)],
            ),
          )
        ).rows
      : [];
  } else {
    const { sql, params } = buildListQuery(as.scope.userId, { ...f, limit });
    rows = (await db.tenantTransaction(as.scope, (tx) => tx.query<ListRow>(sql, params))).rows;
  }
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  const next = rows.length > limit && last ? encodeCursor(last.cursor_at, last.id) : null;
  return {
    workflows: page.map(({ cursor_at, ...r }) => ({ ...normalizeRow(r as WorkflowSummary), cursor: encodeCursor(cursor_at, r.id) })),
    next_cursor: next,
  };
}

function spread(q: { sql: string; params: unknown[] }): [string, unknown[]] {
  return [q.sql, q.params];
}

function encodeCursor(at: string, id: string): string {
  return Buffer.from(JSON.stringify([at, id])).toString('base64url');
}

function decodeCursor(cursor: string): { at: string; id: string } {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    if (typeof at === 'string' && /^\d{4}-\d\d-\d\d[ T][\d:.]+(Z|[+-]\d\d(:?\d\d)?)?$/.test(at) && typeof id === 'string' && isUuid(id)) return { at, id };
  } catch {
    // fall through
  }
  throw new UsageError('--cursor is not a cursor this command printed', { hint: 'pass the next_cursor of the previous page' });
}

export interface NodeLine {
  position: number;
  node_id: string;
  node_name: string;
  node_type: string;
  type_version: number;
  disabled: boolean;
  /** Nodes this one feeds, over any connection type. */
  next_nodes: string[];
}

export interface WorkflowDetails extends Omit<WorkflowRow, 'definition'> {
  node_count: number;
  pending_executions: number;
  running_executions: number;
  nodes: NodeLine[];
}

export function nodeTable(definition: Record<string, unknown>): NodeLine[] {
  const nodes = Array.isArray(definition.nodes) ? (definition.nodes as Array<Record<string, unknown>>) : [];
  const connections = (definition.connections ?? {}) as Record<string, Record<string, Array<Array<{ node?: string }> | null>>>;
  return nodes.map((n, i) => {
    const name = String(n.name);
    const next: string[] = [];
    for (const outputs of Object.values(connections[name] ?? {})) {
      for (const targets of Array.isArray(outputs) ? outputs : []) {
        for (const t of targets ?? []) if (t?.node && !next.includes(t.node)) next.push(t.node);
      }
    }
    return {
      position: i,
      node_id: typeof n.id === 'string' && n.id ? n.id : name,
      node_name: name,
      node_type: String(n.type),
      type_version: Number(n.typeVersion),
      disabled: n.disabled === true,
      next_nodes: next,
    };
  });
}

export async function showWorkflow(core: Core, as: ActingAs, ref: string): Promise<WorkflowDetails> {
  const db = await core.db();
  return db.tenantTransaction(as.scope, async (tx) => {
    const row = await findWorkflow(tx, as.scope.userId, ref);
    const live = await tx.query<{ status: string; n: string }>(
      `SELECT status, count(*) AS n FROM executions WHERE workflow_id = $1 AND status IN ('pending', 'running') GROUP BY status`,
      [row.id],
    );
    const count = (s: string) => Number(live.rows.find((r) => r.status === s)?.n ?? 0);
    const { definition, ...rest } = row;
    const nodes = nodeTable(definition);
    return { ...rest, node_count: nodes.length, pending_executions: count('pending'), running_executions: count('running'), nodes };
  });
}

export interface History {
  workflow: Pick<WorkflowRow, 'id' | 'name' | 'version'>;
  versions: Array<VersionRow & { current: boolean }>;
}

export async function workflowHistory(core: Core, as: ActingAs, ref: string): Promise<History> {
  const db = await core.db();
  return db.tenantTransaction(as.scope, async (tx) => {
    const row = await findWorkflow(tx, as.scope.userId, ref);
    const versions = await listVersions(tx, row.id);
    return { workflow: { id: row.id, name: row.name, version: row.version }, versions: versions.map((v) => ({ ...v, current: v.version === row.version })) };
  });
}

/**
 * The stored n8n document, exactly as imported or last written, with the static data the
 * workflow has kept since (see withStaticData).
 */
export async function exportWorkflow(core: Core, as: ActingAs, ref: string): Promise<{ id: string; name: string; definition: Record<string, unknown> }> {
  const db = await core.db();
  return db.tenantTransaction(as.scope, async (tx) => {
    const row = await findWorkflow(tx, as.scope.userId, ref);
    const kept = await tx.query<{ data: Record<string, unknown> }>('SELECT data FROM workflow_static_data WHERE workflow_id = $1', [row.id]);
    return { id: row.id, name: row.name, definition: withStaticData(row.definition, kept.rows[0]?.data) };
  });
}

/**
 * n8n's export carries a workflow's static data ($getWorkflowStaticData) under `staticData`. Here
 * it is kept apart from the document (table workflow_static_data, written by production runs), so
 * the export puts it back: the kept data replaces whatever `staticData` the imported document had
 * (it is what the next run starts from). A workflow that never kept any exports exactly as stored:
 * `staticData` as imported (n8n writes null), or absent.
 */
export function withStaticData(definition: Record<string, unknown>, kept: Record<string, unknown> | undefined): Record<string, unknown> {
  return kept === undefined ? definition : { ...definition, staticData: kept };
}

type ExportRow = { id: string; name: string; definition: Record<string, unknown>; at: string; static_data: Record<string, unknown> | null };

/** Every workflow of the tenant (with its kept static data), in batches so a large account does not sit in memory twice. */
export async function* exportAllWorkflows(core: Core, as: ActingAs, batch = 200): AsyncGenerator<{ id: string; name: string; definition: Record<string, unknown> }> {
  const db = await core.db();
  let after: [string, string] | null = null;
  for (;;) {
    const cursor: [string, string] | null = after;
    const r: QueryResult<ExportRow> = await db.tenantTransaction(as.scope, (tx) =>
      tx.query<ExportRow>(
        `SELECT w.id, w.name, w.definition, w.created_at::text AS at, sd.data AS static_data
         FROM workflows w LEFT JOIN workflow_static_data sd ON sd.workflow_id = w.id
         WHERE w.user_id = $1 ${cursor ? 'AND (w.created_at, w.id) > ($3::timestamptz, $4::uuid)' : ''}
         ORDER BY w.created_at, w.id LIMIT $2`,
        cursor ? [as.scope.userId, batch, cursor[0], cursor[1]] : [as.scope.userId, batch],
      ),
    );
    for (const row of r.rows) yield { id: row.id, name: row.name, definition: withStaticData(row.definition, row.static_data ?? undefined) };
    if (r.rows.length < batch) return;
    const last: ExportRow = r.rows[r.rows.length - 1]!;
    after = [last.at, last.id];
  }
}
