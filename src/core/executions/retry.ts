import { executionNotFound } from './inspect.js';
import type { Actor } from '../actor.js';
import { recordAudit, type AuditContext } from '../audit.js';
import type { Db, TenantScope } from '../db/types.js';
import { ConflictError } from '../errors.js';
import type { ExecutionQueue } from './queue.js';
import { isUuid } from '../ids.js';
import { publishOutboxed } from './enqueue.js';

/** Jitter steps: each retry level uses at most this many delay queues. */
const JITTER_STEPS = 6;

/**
 * Backoff before automatic retry number `retry` (0-based): base * 2^retry, capped at max,
 * plus 0–50 % jitter in 10 % steps. The steps keep the number of per-delay TTL queues small
 * (topology.ts) while still spreading a burst of failures over time.
 */
export function retryDelayMs(retry: number, baseMs: number, maxMs: number, random = Math.random): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.min(retry, 30));
  const step = Math.floor(random() * JITTER_STEPS);
  return Math.round(exp * (1 + step / 10));
}

export interface ManualRetryResult {
  id: string;
  status: 'pending';
  previous_status: string;
  published: boolean;
}

/**
 * `executions retry <id>`: a failed or cancelled execution runs again, as the same execution.
 * The row goes back to pending (the counters follow through the statistics trigger), then is
 * published like a new one (through the outbox: if the publish fails the sweeper publishes it). Automatic retries
 * already used stay counted, so a hand retry does not restart the automatic budget.
 */
export async function retryExecution(
  db: Db,
  queue: ExecutionQueue | null,
  audit: AuditContext,
  actingAs: { actor: Actor; scope: TenantScope },
  executionId: string,
): Promise<ManualRetryResult> {
  if (!isUuid(executionId)) throw executionNotFound(executionId);
  const previous = await db.tenantTransaction(actingAs.scope, async (tx) => {
    const r = await tx.query<{ status: string; workflow_id: string }>(
      `SELECT status, workflow_id FROM executions WHERE id = $1 AND user_id = $2 FOR UPDATE`,
      [executionId, actingAs.scope.userId],
    );
    const row = r.rows[0];
    if (!row) throw executionNotFound(executionId);
    if (row.status !== 'failed' && row.status !== 'cancelled') {
      throw new ConflictError(`execution ${executionId} is ${row.status}; only failed or cancelled executions can be retried`, {
        hint: row.status === 'success' ? 'start a new one with `jobsprint run`' : 'wait for it to end, or cancel it first',
      });
    }
    await tx.query(
      `UPDATE executions SET status = 'pending', completed_at = NULL, error_message = NULL, output_data = NULL, duration_ms = NULL,
         execution_metadata = (execution_metadata - 'published_at' - 'swept_at' - 'not_before' - 'worker_id' - 'heartbeat_at' - 'cancel_requested_at')
           || jsonb_build_object('manual_retries', COALESCE((execution_metadata->>'manual_retries')::int, 0) + 1,
                                 'manual_retry_at', now(), 'enqueued_at', now())
       WHERE id = $1`,
      [executionId],
    );
    // The row is the outbox's until the publish below is confirmed.
    const outbox = await tx.query<{ id: string }>(
      `INSERT INTO execution_outbox (user_id, execution_ids) VALUES ($1, ARRAY[$2::uuid]) RETURNING id::text`,
      [actingAs.scope.userId, executionId],
    );
    await recordAudit(tx, audit, {
      userId: actingAs.scope.userId,
      eventType: 'execution.retried',
      resourceType: 'execution',
      resourceId: executionId,
      action: 'execute',
      changes: { status: { from: row.status, to: 'pending' } },
      metadata: { actor_user_id: actingAs.actor.userId, workflow_id: row.workflow_id },
    });
    return { status: row.status, outboxId: outbox.rows[0]!.id };
  });
  let published = false;
  if (queue) {
    try {
      await publishOutboxed(db, queue, [executionId], previous.outboxId);
      published = true;
    } catch {
      // Committed and unpublished: the daemon's sweeper publishes it.
    }
  }
  return { id: executionId, status: 'pending', previous_status: previous.status, published };
}
