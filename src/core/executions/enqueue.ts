import type { Actor } from '../actor.js';
import type { AuditContext } from '../audit.js';
import type { Db, Queryable, TenantScope } from '../db/types.js';
import { ValidationError } from '../errors.js';
import { findWorkflow } from '../workflows/store.js';
import { isUuid } from '../ids.js';
import type { ExecutionQueue } from './queue.js';

export type TriggerType = 'manual' | 'api';
export const TRIGGER_TYPES: TriggerType[] = ['manual', 'api'];

export interface EnqueueRequest {
  /** Workflow id, exact name, or the n8n id inside an imported document. */
  workflowRef: string;
  /** One execution per input (the execution's input_data). */
  inputs: unknown[];
  trigger: TriggerType;
  maxRetries: number;
}

export interface EnqueueResult {
  workflow: { id: string; name: string };
  ids: string[];
  /** How many of them the broker confirmed; the rest the daemon's sweeper publishes. */
  published: number;
  publishError?: string;
}

/** Rows per INSERT statement and messages per confirm round in a batch. */
const CHUNK = 2000;

/**
 * Enqueue executions through an outbox: the rows, their audit rows and one outbox row naming
 * them commit in one tenant transaction (one statement per chunk), and only then are messages
 * published (with publisher confirms). A message thus never names an uncommitted row ("worker
 * failed to find data for execution"), and a publish that fails after the commit loses
 * nothing: the outbox row stays and the daemon's sweeper publishes it. Once the broker
 * confirmed, the outbox row is deleted — one small row per batch, not a write per execution.
 */
export async function enqueueExecutions(
  db: Db,
  queue: ExecutionQueue | null,
  audit: AuditContext,
  actingAs: { actor: Actor; scope: TenantScope },
  req: EnqueueRequest,
): Promise<EnqueueResult> {
  if (!req.inputs.length) throw new ValidationError('nothing to enqueue', { hint: 'give --count 1 or more, or a non-empty --input-jsonl file' });
  const { workflow, chunks } = await db.tenantTransaction(actingAs.scope, async (tx) => {
    // A workflow id is resolved inside the first INSERT (one round trip less on the hot path);
    // anything else, or an id that matched nothing, goes through findWorkflow (names, n8n ids,
    // and its not-found error).
    let wf: { id: string; name: string } | null = null;
    const chunks: Array<{ ids: string[]; outboxId: string }> = [];
    for (let i = 0; i < req.inputs.length; i += CHUNK) {
      const chunk = req.inputs.slice(i, i + CHUNK);
      if (!wf && !isUuid(req.workflowRef)) wf = await findWorkflow(tx, actingAs.scope.userId, req.workflowRef);
      let r = await insertChunk(tx, wf?.id ?? req.workflowRef, audit, actingAs, req, chunk);
      if (!r.rows.length && !wf) {
        wf = await findWorkflow(tx, actingAs.scope.userId, req.workflowRef);
        r = await insertChunk(tx, wf.id, audit, actingAs, req, chunk);
      }
      wf ??= { id: r.rows[0]!.workflow_id, name: r.rows[0]!.workflow_name };
      chunks.push({ ids: r.rows.map((row) => row.id), outboxId: r.rows[0]!.outbox_id });
    }
    return { workflow: wf!, chunks };
  });

  const ids = chunks.flatMap((c) => c.ids);
  let published = 0;
  let publishError: string | undefined;
  if (queue) {
    try {
      for (const chunk of chunks) {
        await publishOutboxed(db, queue, chunk.ids, chunk.outboxId);
        published += chunk.ids.length;
      }
    } catch (err) {
      publishError = (err as Error).message;
    }
  } else {
    publishError = 'no queue configured';
  }
  return { workflow, ids, published, publishError };
}

/** One chunk: the executions, their audit rows and one outbox row, in one statement. */
function insertChunk(
  tx: Queryable,
  workflowId: string,
  audit: AuditContext,
  actingAs: { actor: Actor; scope: TenantScope },
  req: EnqueueRequest,
  chunk: unknown[],
) {
  return tx.query<{ id: string; outbox_id: string; workflow_id: string; workflow_name: string }>(
    `WITH wf AS (
       SELECT id, name FROM workflows WHERE id = $1::uuid AND user_id = $2
     ), ins AS (
       INSERT INTO executions (workflow_id, user_id, status, trigger_type, input_data, max_retries, execution_metadata)
       SELECT wf.id, $2, 'pending', $3, x.value, $4, jsonb_build_object('enqueued_at', now(), 'request_id', $5::text)
       FROM wf, jsonb_array_elements($6::jsonb) WITH ORDINALITY AS x(value, ord)
       ORDER BY x.ord
       RETURNING id
     ), audit AS (
       -- One execution.created audit row per execution.
       INSERT INTO audit_logs (user_id, event_type, resource_type, resource_id, action, changes, metadata, user_agent, request_id)
       SELECT $2, 'execution.created', 'execution', id, 'execute', NULL, $7::jsonb || jsonb_build_object('workflow_id', (SELECT id FROM wf)), $8, $5::text::uuid FROM ins
     ), outbox AS (
       INSERT INTO execution_outbox (user_id, execution_ids) SELECT $2, array_agg(id) FROM ins HAVING count(*) > 0 RETURNING id
     )
     SELECT ins.id, (SELECT id FROM outbox)::text AS outbox_id, wf.id AS workflow_id, wf.name AS workflow_name FROM ins, wf`,
    [
      workflowId,
      actingAs.scope.userId,
      req.trigger,
      req.maxRetries,
      audit.requestId,
      JSON.stringify(chunk),
      JSON.stringify({ trigger_type: req.trigger, actor_user_id: actingAs.actor.userId }),
      audit.userAgent,
    ],
    { name: 'jobsprint_enqueue' },
  );
}

/**
 * Publish executions whose outbox row is committed, then drop that row once the broker has
 * confirmed (enqueue, retry and the worker's automatic retries all go this way). Throws when
 * the publish fails: the row stays and the daemon's sweeper publishes them later.
 */
export async function publishOutboxed(db: Queryable, queue: ExecutionQueue, ids: string[], outboxId: string | null, delayMs = 0): Promise<void> {
  if (delayMs > 0) await queue.publishDelayed(ids, delayMs);
  else await queue.publish(ids);
  if (outboxId) await confirmPublished(db, [outboxId]).catch(() => {});
}

/**
 * The broker confirmed these outbox rows' messages: delete the rows, so the sweeper leaves
 * them alone. (If this delete is lost, the sweeper publishes them once more; claiming is
 * idempotent, so the duplicate does nothing.)
 */
export async function confirmPublished(db: Queryable, outboxIds: string[]): Promise<void> {
  if (!outboxIds.length) return;
  await db.query(`DELETE FROM execution_outbox WHERE id = ANY($1::bigint[])`, [outboxIds], { name: 'jobsprint_outbox_confirm' });
}

/**
 * Put pending executions (back) into the outbox, due at once: used when they were handed to a
 * queue that will not deliver them (an embedded run that ended first). Returns the row ids.
 */
export async function addToOutbox(db: Queryable, executionIds: string[], publishAfter: 'now' | '-infinity' = 'now'): Promise<string[]> {
  if (!executionIds.length) return [];
  const r = await db.query<{ id: string }>(
    `INSERT INTO execution_outbox (user_id, execution_ids, publish_after)
     SELECT user_id, array_agg(id), $2::timestamptz FROM executions WHERE id = ANY($1::uuid[]) AND status = 'pending' GROUP BY user_id
     RETURNING id::text`,
    [executionIds, publishAfter],
  );
  return r.rows.map((row) => row.id);
}
