import type { Queryable } from '../db/types.js';
import { NotFoundError, UsageError } from '../errors.js';
import { isUuid } from '../ids.js';

/** A workflows row as the CLI shows it (--json uses these column names). */
export interface WorkflowRow {
  id: string;
  user_id: string;
  name: string;
  description: string | null;
  definition: Record<string, unknown>;
  version: number;
  is_active: boolean;
  category: string | null;
  tags: string[];
  icon_url: string | null;
  total_executions: number;
  successful_executions: number;
  failed_executions: number;
  last_execution_at: Date | null;
  created_at: Date;
  updated_at: Date;
  settings: Record<string, unknown>;
}

export type WorkflowSummary = Omit<WorkflowRow, 'definition'> & { node_count: number };

export const SUMMARY_COLUMNS = `w.id, w.user_id, w.name, w.description, w.version, w.is_active, w.category, w.tags, w.icon_url,
  w.total_executions, w.successful_executions, w.failed_executions, w.last_execution_at, w.created_at, w.updated_at,
  w.settings, jsonb_array_length(w.definition->'nodes') AS node_count`;
const ROW_COLUMNS = `w.id, w.user_id, w.name, w.description, w.definition, w.version, w.is_active, w.category, w.tags, w.icon_url,
  w.total_executions, w.successful_executions, w.failed_executions, w.last_execution_at, w.created_at, w.updated_at, w.settings`;

/** BIGINT counters arrive as strings from pg. */
export function normalizeRow<T extends Partial<WorkflowRow>>(row: T): T {
  for (const k of ['total_executions', 'successful_executions', 'failed_executions'] as const) {
    if (row[k] !== undefined && row[k] !== null) (row as Record<string, unknown>)[k] = Number(row[k]);
  }
  if ('node_count' in row) (row as Record<string, unknown>).node_count = Number((row as Record<string, unknown>).node_count ?? 0);
  return row;
}

/**
 * Find one of the tenant's workflows by Jobsprint id, exact name, or the n8n id the imported
 * document carries. RLS already limits the rows to the tenant; the user_id condition says so
 * explicitly. `forUpdate` locks the row for the rest of the transaction.
 */
export async function findWorkflow(tx: Queryable, userId: string, ref: string, opts: { forUpdate?: boolean } = {}): Promise<WorkflowRow> {
  return normalizeRow(await lookupWorkflow<WorkflowRow>(tx, userId, ref, ROW_COLUMNS, opts.forUpdate ? 'FOR UPDATE' : ''));
}

/**
 * The id of the workflow `ref` names, resolved exactly as findWorkflow resolves it (same
 * references, same errors), for commands that only filter by workflow (`executions list
 * --workflow`, `logs --follow --workflow`). Without `userId` the owner is the user the tenant
 * transaction runs as; on a connection that is not a tenant transaction nothing matches.
 */
export async function findWorkflowId(tx: Queryable, ref: string, userId?: string): Promise<string> {
  return (await lookupWorkflow<{ id: string }>(tx, userId ?? null, ref, 'w.id', '')).id;
}

/** The one lookup behind findWorkflow and findWorkflowId: by id, then exact name, then n8n id. */
async function lookupWorkflow<T>(tx: Queryable, userId: string | null, ref: string, columns: string, lock: string): Promise<T> {
  const owner = userId === null ? 'w.user_id = jobsprint_current_user_id()' : 'w.user_id = $2';
  const params = userId === null ? [ref] : [ref, userId];
  if (isUuid(ref)) {
    const r = await tx.query<T>(`SELECT ${columns} FROM workflows w WHERE w.id = $1 AND ${owner} ${lock}`, params);
    if (r.rows[0]) return r.rows[0];
  }
  for (const where of ['w.name = $1', `w.definition->>'id' = $1`]) {
    const r = await tx.query<T>(`SELECT ${columns} FROM workflows w WHERE ${where} AND ${owner} ORDER BY w.created_at LIMIT 2 ${lock}`, params);
    if (r.rows.length > 1) {
      throw new UsageError(`more than one workflow matches "${ref}"`, { hint: 'use the workflow id (jobsprint workflows list)' });
    }
    if (r.rows[0]) return r.rows[0];
  }
  throw new NotFoundError(`workflow "${ref}" not found`, { hint: 'list your workflows with `jobsprint workflows list`' });
}

export interface NewWorkflow {
  userId: string;
  name: string;
  description: string | null;
  definition: Record<string, unknown>;
  isActive: boolean;
  category: string | null;
  tags: string[];
  settings: Record<string, unknown>;
}

export async function insertWorkflow(tx: Queryable, w: NewWorkflow): Promise<WorkflowRow> {
  const r = await tx.query<WorkflowRow>(
    // clock_timestamp(): workflows imported in one transaction keep their order in `list`.
    `INSERT INTO workflows AS w (user_id, name, description, definition, version, is_active, category, tags, settings, created_at, updated_at)
     VALUES ($1, $2, $3, $4, 1, $5, $6, $7, $8, clock_timestamp(), clock_timestamp())
     RETURNING ${ROW_COLUMNS}`,
    [w.userId, w.name, w.description, JSON.stringify(w.definition), w.isActive, w.category, w.tags, JSON.stringify(w.settings)],
  );
  return normalizeRow(r.rows[0]!);
}

export interface DefinitionChange {
  name: string;
  description: string | null;
  definition: Record<string, unknown>;
  tags: string[];
  settings: Record<string, unknown>;
}

/**
 * Write a new definition only if the row is still at `expectedVersion`. Under READ COMMITTED a
 * concurrent writer that got there first makes this match no row (PostgreSQL re-checks the
 * WHERE clause on the updated row), so the caller reports a conflict instead of losing a change.
 */
export async function updateDefinition(tx: Queryable, id: string, expectedVersion: number, c: DefinitionChange): Promise<WorkflowRow | null> {
  const r = await tx.query<WorkflowRow>(
    `UPDATE workflows AS w SET name = $3, description = $4, definition = $5, tags = $6, settings = $7, version = w.version + 1
     WHERE w.id = $1 AND w.version = $2
     RETURNING ${ROW_COLUMNS}`,
    [id, expectedVersion, c.name, c.description, JSON.stringify(c.definition), c.tags, JSON.stringify(c.settings)],
  );
  return r.rows[0] ? normalizeRow(r.rows[0]) : null;
}

export async function setActive(tx: Queryable, id: string, active: boolean): Promise<WorkflowRow> {
  const r = await tx.query<WorkflowRow>(`UPDATE workflows AS w SET is_active = $2 WHERE w.id = $1 RETURNING ${ROW_COLUMNS}`, [id, active]);
  return normalizeRow(r.rows[0]!);
}

export interface VersionRow {
  workflow_id: string;
  version: number;
  name: string;
  change: string;
  created_at: Date;
  created_by: string | null;
  node_count: number;
}

/** Record the row's current definition as a version (same transaction as the change). */
export async function insertVersion(tx: Queryable, workflowId: string, change: string, createdBy: string | null): Promise<void> {
  await tx.query(
    `INSERT INTO workflow_versions (workflow_id, user_id, version, name, definition, change, created_by)
     SELECT id, user_id, version, name, definition, $2, $3 FROM workflows WHERE id = $1`,
    [workflowId, change, createdBy],
  );
}

export async function listVersions(tx: Queryable, workflowId: string): Promise<VersionRow[]> {
  const r = await tx.query<VersionRow>(
    `SELECT workflow_id, version, name, change, created_at, created_by, jsonb_array_length(definition->'nodes') AS node_count
     FROM workflow_versions WHERE workflow_id = $1 ORDER BY version DESC`,
    [workflowId],
  );
  return r.rows.map((v) => ({ ...v, node_count: Number(v.node_count) }));
}

export async function getVersion(tx: Queryable, workflowId: string, version: number): Promise<{ name: string; definition: Record<string, unknown> }> {
  const r = await tx.query<{ name: string; definition: Record<string, unknown> }>(
    'SELECT name, definition FROM workflow_versions WHERE workflow_id = $1 AND version = $2',
    [workflowId, version],
  );
  if (!r.rows[0]) throw new NotFoundError(`version ${version} not found`, { hint: 'list the versions with `jobsprint workflows history <id>`' });
  return r.rows[0];
}

/**
 * Make workflow_nodes mirror the stored definition: one row per node, position = its index,
 * node_id = its id (or its name when it has none), config = the node object as stored.
 */
export async function syncWorkflowNodes(tx: Queryable, workflowId: string): Promise<void> {
  await tx.query('DELETE FROM workflow_nodes WHERE workflow_id = $1', [workflowId]);
  await tx.query(
    `INSERT INTO workflow_nodes (workflow_id, node_id, node_type, node_name, config, position)
     SELECT w.id, COALESCE(NULLIF(n.node->>'id', ''), n.node->>'name'), n.node->>'type', n.node->>'name', n.node, (n.ord - 1)::int
     FROM workflows w, jsonb_array_elements(w.definition->'nodes') WITH ORDINALITY AS n(node, ord)
     WHERE w.id = $1`,
    [workflowId],
  );
}
