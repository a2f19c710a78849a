import type { ActingAs } from '../actor.js';
import type { Core } from '../context.js';
import { ConflictError, UsageError } from '../errors.js';
import { checkSource, WorkflowValidationError } from './check.js';
import { deriveMetadata, tagNames, uniqueTags, withTags } from './metadata.js';
import { findWorkflow, getVersion, insertVersion, setActive, syncWorkflowNodes, updateDefinition, type WorkflowRow } from './store.js';
import { actorUserId, workflowWrite, type WriteScope } from './write.js';

export interface VersionGuard {
  /** Fail with a conflict unless the workflow is still at this version (scripts pass what they read). */
  expectedVersion?: number;
}

export interface ChangeResult {
  workflow: WorkflowRow;
  /** False when the command asked for what already was (no new version, no audit row). */
  changed: boolean;
}

/**
 * Store a new definition as version + 1. The version the change is based on is the one given
 * (`expectedVersion`) or the one read at the start; if another writer committed in between,
 * the conditional UPDATE matches nothing and this fails with a conflict (exit 5).
 */
async function writeDefinition(
  w: WriteScope,
  as: ActingAs,
  row: WorkflowRow,
  guard: VersionGuard,
  definition: Record<string, unknown>,
  change: string,
  fields: { name?: string; description?: string | null } = {},
): Promise<WorkflowRow> {
  const expected = guard.expectedVersion ?? row.version;
  if (expected !== row.version) throw conflict(row, expected);
  const meta = deriveMetadata(definition, { fallbackName: row.name, category: row.category });
  const updated = await updateDefinition(w.tx, row.id, expected, {
    name: fields.name ?? meta.name,
    description: fields.description !== undefined ? fields.description : (typeof definition.description === 'string' ? definition.description : row.description),
    definition,
    tags: meta.tags,
    settings: meta.settings,
  });
  if (!updated) {
    const now = await w.tx.query<{ version: number }>('SELECT version FROM workflows WHERE id = $1', [row.id]);
    throw conflict(row, expected, now.rows[0]?.version);
  }
  await insertVersion(w.tx, row.id, change, actorUserId(as));
  await syncWorkflowNodes(w.tx, row.id);
  return updated;
}

function conflict(row: WorkflowRow, expected: number, current = row.version): ConflictError {
  return new ConflictError(`workflow "${row.name}" was changed by someone else: it is at version ${current}, this change was based on version ${expected}`, {
    hint: 'look at the latest with `jobsprint workflows show`, then retry',
  });
}

export async function updateWorkflow(core: Core, as: ActingAs, ref: string, doc: unknown, opts: VersionGuard & { label?: string } = {}): Promise<ChangeResult> {
  // Structure only: unsupported node types would be warnings, which an update does not show,
  // so the node registry (every node implementation) is not loaded for it.
  const checked = checkSource({ label: opts.label ?? 'input', fallbackName: '', doc });
  if (checked.errors.length) throw new WorkflowValidationError(checked.errors);
  return workflowWrite(core, as, async (w) => {
    const row = await findWorkflow(w.tx, as.scope.userId, ref);
    const updated = await writeDefinition(w, as, row, opts, doc as Record<string, unknown>, 'updated');
    await w.audit('workflow.updated', 'update', row.id, {
      before: { version: row.version, name: row.name, node_count: nodeCount(row.definition) },
      after: { version: updated.version, name: updated.name, node_count: nodeCount(updated.definition) },
    });
    return { workflow: updated, changed: true };
  });
}

export async function renameWorkflow(core: Core, as: ActingAs, ref: string, name: string, opts: VersionGuard = {}): Promise<ChangeResult> {
  const trimmed = name.trim();
  if (!trimmed) throw new UsageError('the new name is empty');
  if (trimmed.length > 255) throw new UsageError(`the new name is ${trimmed.length} characters; the limit is 255`);
  return workflowWrite(core, as, async (w) => {
    const row = await findWorkflow(w.tx, as.scope.userId, ref);
    if (row.name === trimmed) return { workflow: row, changed: false };
    // The name is part of the n8n document, so an export carries the new one.
    const updated = await writeDefinition(w, as, row, opts, { ...row.definition, name: trimmed }, 'renamed', { name: trimmed });
    await w.audit('workflow.renamed', 'update', row.id, { before: { name: row.name, version: row.version }, after: { name: trimmed, version: updated.version } });
    return { workflow: updated, changed: true };
  });
}

export async function tagWorkflow(core: Core, as: ActingAs, ref: string, change: { add?: string[]; remove?: string[] }, opts: VersionGuard = {}): Promise<ChangeResult> {
  const add = uniqueTags(change.add ?? []);
  const remove = new Set(uniqueTags(change.remove ?? []));
  if (!add.length && !remove.size) throw new UsageError('name at least one tag');
  return workflowWrite(core, as, async (w) => {
    const row = await findWorkflow(w.tx, as.scope.userId, ref);
    const current = tagNames(row.definition.tags);
    const next = uniqueTags([...current, ...add]).filter((t) => !remove.has(t));
    if (next.length === current.length && next.every((t, i) => t === current[i])) return { workflow: row, changed: false };
    const updated = await writeDefinition(w, as, row, opts, withTags(row.definition, next), 'tagged');
    await w.audit('workflow.tagged', 'update', row.id, { before: { tags: current, version: row.version }, after: { tags: next, version: updated.version } });
    return { workflow: updated, changed: true };
  });
}

/** Restore version N's definition (and name) as a new version; history is never rewritten. */
export async function rollbackWorkflow(core: Core, as: ActingAs, ref: string, toVersion: number, opts: VersionGuard = {}): Promise<ChangeResult & { restored: number }> {
  return workflowWrite(core, as, async (w) => {
    const row = await findWorkflow(w.tx, as.scope.userId, ref);
    if (toVersion === row.version) return { workflow: row, changed: false, restored: toVersion };
    const old = await getVersion(w.tx, row.id, toVersion);
    const updated = await writeDefinition(w, as, row, opts, old.definition, 'rolled_back', { name: old.name });
    await w.audit('workflow.rolled_back', 'update', row.id, {
      before: { version: row.version, name: row.name },
      after: { version: updated.version, name: updated.name, restored_version: toVersion },
    });
    return { workflow: updated, changed: true, restored: toVersion };
  });
}

export async function setWorkflowActive(core: Core, as: ActingAs, ref: string, active: boolean): Promise<ChangeResult> {
  return workflowWrite(core, as, async (w) => {
    const row = await findWorkflow(w.tx, as.scope.userId, ref, { forUpdate: true });
    if (row.is_active === active) return { workflow: row, changed: false };
    const updated = await setActive(w.tx, row.id, active);
    await w.audit(active ? 'workflow.activated' : 'workflow.deactivated', 'update', row.id, { before: { is_active: row.is_active }, after: { is_active: active } });
    return { workflow: updated, changed: true };
  });
}

export interface DeleteResult {
  id: string;
  name: string;
  cancelled_executions: string[];
}

/**
 * Delete a workflow (its versions, nodes and executions go with it). Refused while executions
 * are pending or running, unless `force`, which cancels them first. The row lock keeps a new
 * execution from being enqueued in between (its foreign key waits for this transaction).
 */
export async function deleteWorkflow(core: Core, as: ActingAs, ref: string, opts: { force?: boolean } = {}): Promise<DeleteResult> {
  const { result, running } = await workflowWrite(core, as, async (w) => {
    const row = await findWorkflow(w.tx, as.scope.userId, ref, { forUpdate: true });
    const live = await w.tx.query<{ id: string; status: string }>(
      `SELECT id, status FROM executions WHERE workflow_id = $1 AND status IN ('pending', 'running') ORDER BY started_at`,
      [row.id],
    );
    const ids = live.rows.map((r) => r.id);
    if (ids.length && !opts.force) {
      throw new ConflictError(`workflow "${row.name}" has ${ids.length} execution${ids.length > 1 ? 's' : ''} pending or running`, {
        hint: 'wait for them to finish, or pass --force to cancel them and delete',
      });
    }
    if (ids.length) {
      await w.tx.query(
        `UPDATE executions SET status = 'cancelled', completed_at = NOW(), error_message = 'cancelled: workflow deleted'
         WHERE id = ANY($1::uuid[])`,
        [ids],
      );
      for (const id of ids) await w.audit('execution.cancelled', 'update', id, { reason: 'workflow deleted', workflow_id: row.id }, 'execution');
    }
    // Executions first, while the workflow row still exists: the executions statistics
    // trigger writes per-workflow counters on delete and would fail inside the cascade.
    await w.tx.query('DELETE FROM executions WHERE workflow_id = $1', [row.id]);
    await w.tx.query('DELETE FROM workflows WHERE id = $1', [row.id]);
    await w.audit('workflow.deleted', 'delete', row.id, {
      before: { name: row.name, version: row.version, is_active: row.is_active, node_count: nodeCount(row.definition) },
      cancelled_executions: ids,
    });
    return {
      result: { id: row.id, name: row.name, cancelled_executions: ids },
      running: live.rows.filter((r) => r.status === 'running').map((r) => r.id),
    };
  });
  if (running.length) await abortRunning(core, running);
  return result;
}

/** Tell the workers running these executions to stop (their rows are gone; best effort). */
async function abortRunning(core: Core, ids: string[]): Promise<void> {
  if (!core.hasRedis()) return;
  try {
    const { CANCEL_CHANNEL } = await import('../executions/cancel.js');
    const bus = await core.bus();
    for (const id of ids) await bus.publish(CANCEL_CHANNEL, { execution_id: id });
  } catch {
    // A worker whose execution row disappeared fails its next write and stops anyway.
  }
}

function nodeCount(def: Record<string, unknown>): number {
  return Array.isArray(def.nodes) ? def.nodes.length : 0;
}
