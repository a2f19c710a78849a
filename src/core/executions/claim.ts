import type { Queryable } from '../db/types.js';

/** An execution this worker now owns, with what it needs to run it. */
export interface ClaimedExecution {
  id: string;
  workflow_id: string;
  user_id: string;
  trigger_type: string;
  input_data: unknown;
  retry_count: number;
  max_retries: number;
  attempt: number;
  /** Someone asked to cancel it before this attempt started (e.g. while its worker was dead). */
  cancel_requested: boolean;
  /** Identifies the workflow version, for the definition cache. */
  workflow_version: string;
  /** The workflow's static data as of this claim (null: none kept yet). */
  static_data: Record<string, unknown> | null;
}

/** Why a message did not lead to a claim, and so what to do with it. */
export type UnclaimedReason =
  /** No such execution (deleted, or never existed): poison. */
  | 'unknown'
  /** Already ended: a duplicate message. */
  | 'final'
  /** Waiting for its retry backoff: the delayed message will come. */
  | 'not_due'
  /** Another live worker (or this one) runs it: a duplicate, or a redelivery to re-check later. */
  | 'running';

/**
 * Claim a batch of executions in one statement. The condition is the whole of the
 * exactly-once story: a pending execution that is due, or a running one whose heartbeat is
 * stale (its worker died), becomes running under this worker with attempt + 1. A duplicate
 * delivery finds the row running with a fresh heartbeat, or final, and claims nothing.
 */
export async function claimExecutions(db: Queryable, workerId: string, ids: string[], staleMs: number): Promise<ClaimedExecution[]> {
  if (!ids.length) return [];
  const r = await db.query<ClaimedExecution>(
    `UPDATE executions e SET
       status = 'running',
       execution_metadata = COALESCE(e.execution_metadata, '{}'::jsonb) - 'recovery_published_at'
         || jsonb_build_object(
              'worker_id', $2::text,
              'attempt', COALESCE((e.execution_metadata->>'attempt')::int, 0) + 1,
              'claimed_at', now(),
              'heartbeat_at', now())
     FROM workflows w
     WHERE e.id = ANY($1::uuid[]) AND w.id = e.workflow_id
       -- A CASE, not ORs of status tests: the planner would otherwise AND the primary-key
       -- lookup with a scan of idx_executions_status over every pending row of the backlog.
       AND CASE e.status
         WHEN 'pending' THEN COALESCE((e.execution_metadata->>'not_before')::timestamptz, '-infinity') <= now() + interval '50 milliseconds'
         WHEN 'running' THEN
           COALESCE((e.execution_metadata->>'heartbeat_at')::timestamptz, '-infinity') < now() - make_interval(secs => $3::double precision / 1000)
           -- Running under this very worker, which is not running it: the commit of an earlier
           -- claim was lost with its connection (the caller never passes ids it runs).
           OR e.execution_metadata->>'worker_id' = $2::text
         ELSE false
       END
     RETURNING e.id, e.workflow_id, e.user_id, e.trigger_type, e.input_data, e.retry_count, e.max_retries,
       (e.execution_metadata->>'attempt')::int AS attempt,
       (e.execution_metadata ? 'cancel_requested_at') AS cancel_requested,
       w.version::text || ':' || w.updated_at::text AS workflow_version,
       (SELECT sd.data FROM workflow_static_data sd WHERE sd.workflow_id = e.workflow_id) AS static_data`,
    [ids, workerId, staleMs],
    { name: 'jobsprint_claim' },
  );
  return r.rows;
}

/** Classify the ids a claim did not take (one query for the batch). */
export async function classifyUnclaimed(db: Queryable, ids: string[]): Promise<Map<string, UnclaimedReason>> {
  const out = new Map<string, UnclaimedReason>();
  if (!ids.length) return out;
  const r = await db.query<{ id: string; status: string }>(`SELECT id, status FROM executions WHERE id = ANY($1::uuid[])`, [ids]);
  const found = new Map(r.rows.map((row) => [row.id, row.status]));
  for (const id of ids) {
    const status = found.get(id);
    if (!status) out.set(id, 'unknown');
    else if (status === 'pending') out.set(id, 'not_due');
    else if (status === 'running') out.set(id, 'running');
    else out.set(id, 'final');
  }
  return out;
}

/** The workflow definitions of a batch, by id (only those the caller does not have cached). */
export async function loadDefinitions(
  db: Queryable,
  workflowIds: string[],
): Promise<Map<string, { definition: Record<string, unknown>; settings: Record<string, unknown> }>> {
  const out = new Map<string, { definition: Record<string, unknown>; settings: Record<string, unknown> }>();
  if (!workflowIds.length) return out;
  const r = await db.query<{ id: string; definition: Record<string, unknown>; settings: Record<string, unknown> | null }>(
    `SELECT id, definition, settings FROM workflows WHERE id = ANY($1::uuid[])`,
    [workflowIds],
  );
  for (const row of r.rows) out.set(row.id, { definition: row.definition, settings: row.settings ?? {} });
  return out;
}

/**
 * Refresh the heartbeat of every execution this worker runs, in one statement. Returns which
 * are still ours and which have a cancel request (the fallback path when Redis is down).
 */
export async function heartbeat(
  db: Queryable,
  workerId: string,
  ids: string[],
): Promise<{ owned: Set<string>; cancelRequested: Set<string> }> {
  const owned = new Set<string>();
  const cancelRequested = new Set<string>();
  if (!ids.length) return { owned, cancelRequested };
  const r = await db.query<{ id: string; cancel: boolean }>(
    `UPDATE executions SET execution_metadata = jsonb_set(execution_metadata, '{heartbeat_at}', to_jsonb(now()))
     WHERE id = ANY($1::uuid[]) AND status = 'running' AND execution_metadata->>'worker_id' = $2
     RETURNING id, (execution_metadata ? 'cancel_requested_at') AS cancel`,
    [ids, workerId],
    { name: 'jobsprint_heartbeat' },
  );
  for (const row of r.rows) {
    owned.add(row.id);
    if (row.cancel) cancelRequested.add(row.id);
  }
  return { owned, cancelRequested };
}

/** Hand executions back (shutdown): running → pending, so their redelivery is claimed at once. */
export async function releaseExecutions(db: Queryable, workerId: string, ids: string[]): Promise<number> {
  if (!ids.length) return 0;
  const r = await db.query(
    `UPDATE executions SET status = 'pending',
       execution_metadata = execution_metadata - 'worker_id' - 'heartbeat_at' || jsonb_build_object('released_at', now())
     WHERE id = ANY($1::uuid[]) AND status = 'running' AND execution_metadata->>'worker_id' = $2`,
    [ids, workerId],
  );
  return r.rowCount;
}
