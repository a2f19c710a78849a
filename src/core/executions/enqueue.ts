import type { Actor } from '../actor.js';
import type { AuditContext } from '../audit.js';
import type { Db, Queryable, TenantScope } from '../db/types.js';
import { ValidationError } from '../errors.js';
import { findWorkflow } from '../workflows/store.js';
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
 * Enqueue executions with the row as the outbox: rows and audit rows commit in one tenant
 * transaction, and only then are messages published (with publisher confirms). A message thus
 * never names an uncommitted row ("worker failed to find data for execution"), and a publish
 * that fails after the commit loses nothing: the row stays pending without `published_at` and
 * the daemon's sweeper publishes it.
 */
export async function enqueueExecutions(
  db: Db,
  queue: ExecutionQueue | null,
  audit: AuditContext,
  actingAs: { actor: Actor; scope: TenantScope },
  req: EnqueueRequest,
): Promise<EnqueueResult> {
  if (!req.inputs.length) throw new ValidationError('nothing to enqueue', { hint: 'give --count 1 or more, or a non-empty --input-jsonl file' });
  const { workflow, ids } = await db.tenantTransaction(actingAs.scope, async (tx) => {
    const wf = await findWorkflow(tx, actingAs.scope.userId, req.workflowRef);
    const created: string[] = [];
    for (let i = 0; i < req.inputs.length; i += CHUNK) {
      const chunk = req.inputs.slice(i, i + CHUNK);
      const r = await tx.query<{ id: string }>(
        `INSERT INTO executions (workflow_id, user_id, status, trigger_type, input_data, max_retries, execution_metadata)
         SELECT $1, $2, 'pending', $3, x.value, $4, jsonb_build_object('enqueued_at', now(), 'request_id', $5::text)
         FROM jsonb_array_elements($6::jsonb) WITH ORDINALITY AS x(value, ord)
         ORDER BY x.ord
         RETURNING id`,
        [wf.id, actingAs.scope.userId, req.trigger, req.maxRetries, audit.requestId, JSON.stringify(chunk)],
      );
      const ids = r.rows.map((row) => row.id);
      await recordCreated(tx, audit, actingAs, wf.id, req.trigger, ids);
      created.push(...ids);
    }
    return { workflow: { id: wf.id, name: wf.name }, ids: created };
  });

  let published = 0;
  let publishError: string | undefined;
  if (queue) {
    try {
      for (let i = 0; i < ids.length; i += CHUNK) {
        const chunk = ids.slice(i, i + CHUNK);
        await queue.publish(chunk);
        published += chunk.length;
        await markPublished(db, actingAs.scope, chunk).catch(() => {});
      }
    } catch (err) {
      publishError = (err as Error).message;
    }
  } else {
    publishError = 'no queue configured';
  }
  return { workflow, ids, published, publishError };
}

/** One execution.created audit row per execution, in one statement. */
async function recordCreated(
  tx: Queryable,
  audit: AuditContext,
  actingAs: { actor: Actor; scope: TenantScope },
  workflowId: string,
  trigger: string,
  ids: string[],
): Promise<void> {
  await tx.query(
    `INSERT INTO audit_logs (user_id, event_type, resource_type, resource_id, action, changes, metadata, user_agent, request_id)
     SELECT $1, 'execution.created', 'execution', id, 'execute', NULL, $2::jsonb, $3, $4
     FROM unnest($5::uuid[]) AS id`,
    [
      actingAs.scope.userId,
      JSON.stringify({ workflow_id: workflowId, trigger_type: trigger, actor_user_id: actingAs.actor.userId }),
      audit.userAgent,
      audit.requestId,
      ids,
    ],
  );
}

/**
 * Note that the broker confirmed these messages, so the sweeper leaves them alone. Only rows
 * still pending are touched (a worker may have finished one already).
 */
export async function markPublished(db: Db, scope: TenantScope | null, ids: string[]): Promise<void> {
  if (!ids.length) return;
  const sql = `UPDATE executions SET execution_metadata = execution_metadata || jsonb_build_object('published_at', now())
               WHERE id = ANY($1::uuid[]) AND status = 'pending'`;
  if (scope) await db.tenantTransaction(scope, (tx) => tx.query(sql, [ids]));
  else await db.query(sql, [ids]);
}
