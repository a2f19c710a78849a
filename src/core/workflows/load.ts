import type { Core } from '../context.js';
import type { TenantScope } from '../db/types.js';
import { NotFoundError } from '../errors.js';
import { readCachedWorkflow, writeCachedWorkflow } from './cache.js';
import { isUuid } from '../ids.js';

/**
 * What the execution path needs of a workflow. Only versioned content is cached: whether the
 * workflow is active is not part of it (triggers read that from the row), so activating one does
 * not need a new version to stay consistent.
 */
export interface ExecutableWorkflow {
  id: string;
  userId: string;
  name: string;
  version: number;
  /** The n8n document as stored (nodes, connections, settings, pinData, …). */
  definition: Record<string, unknown>;
  settings: Record<string, unknown>;
}

/**
 * Load a workflow to run it, through the Redis cache `cache:workflow:{id}`. Never returns a
 * definition older than the last committed update (see cache.ts). Reads the row as the
 * operator (workers have no session); pass `scope` to also require that the workflow belongs to
 * that tenant (a mismatch looks like a missing workflow).
 */
export async function loadWorkflowForExecution(core: Core, workflowId: string, opts: { scope?: TenantScope } = {}): Promise<ExecutableWorkflow> {
  if (!isUuid(workflowId)) throw notFound(workflowId);
  const cache = await core.cache();
  const { value, floor } = await readCachedWorkflow<ExecutableWorkflow>(cache, workflowId);
  let wf = value;
  if (!wf) {
    const db = await core.db();
    const r = await db.query<{ id: string; user_id: string; name: string; version: number; definition: Record<string, unknown>; settings: Record<string, unknown> | null }>(
      'SELECT id, user_id, name, version, definition, settings FROM workflows WHERE id = $1',
      [workflowId],
    );
    const row = r.rows[0];
    if (!row) throw notFound(workflowId);
    wf = { id: row.id, userId: row.user_id, name: row.name, version: row.version, definition: row.definition, settings: row.settings ?? {} };
    await writeCachedWorkflow(cache, workflowId, wf, floor);
  }
  if (opts.scope && wf.userId !== opts.scope.userId) throw notFound(workflowId);
  return wf;
}

function notFound(id: string): NotFoundError {
  return new NotFoundError(`workflow ${id} not found`, { hint: 'it may have been deleted; list workflows with `jobsprint workflows list`' });
}
