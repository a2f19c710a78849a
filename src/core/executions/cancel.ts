import { waitForExecution } from './wait.js';
import { executionNotFound } from './inspect.js';
import type { Actor } from '../actor.js';
import { recordAudit } from '../audit.js';
import type { Core } from '../context.js';
import type { TenantScope } from '../db/types.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { isUuid } from '../ids.js';

/** Daemons listen here; a message `{execution_id}` aborts that execution if it runs there. */
export const CANCEL_CHANNEL = 'channel:execution:cancel';

export interface CancelResult {
  id: string;
  /** cancelled, or running when the worker has not confirmed within the wait. */
  status: string;
  previous_status: string;
  /** The execution was running: the cancel went to its worker. */
  requested: boolean;
}

/**
 * `executions cancel <id>`. A pending execution (also one waiting for a retry) is cancelled in
 * the same transaction. A running one gets `cancel_requested_at` in its row and a message on
 * CANCEL_CHANNEL that reaches its worker's abort signal; the worker records the partial node
 * rows and the final status. If Redis is down, or the worker is dead, the row flag does it: the
 * worker sees it at its next heartbeat, and a re-claim of a dead worker's execution cancels it.
 */
export async function cancelExecution(
  core: Core,
  actingAs: { actor: Actor; scope: TenantScope },
  executionId: string,
  opts: { waitMs?: number } = {},
): Promise<CancelResult> {
  if (!isUuid(executionId)) throw executionNotFound(executionId);
  const db = await core.db();
  const audit = { requestId: core.requestId, userAgent: core.userAgent };
  const before = await db.tenantTransaction(actingAs.scope, async (tx) => {
    const r = await tx.query<{ status: string; workflow_id: string; user_id: string; attempt: number | null }>(
      `SELECT status, workflow_id, user_id, (execution_metadata->>'attempt')::int AS attempt
       FROM executions WHERE id = $1 AND user_id = $2 FOR UPDATE`,
      [executionId, actingAs.scope.userId],
    );
    const row = r.rows[0];
    if (!row) throw executionNotFound(executionId);
    if (row.status === 'cancelled') return row;
    if (row.status === 'success' || row.status === 'failed') {
      throw new ConflictError(`execution ${executionId} already ended (${row.status})`, {
        hint: 'only pending or running executions can be cancelled',
      });
    }
    if (row.status === 'pending') {
      await tx.query(
        `UPDATE executions SET status = 'cancelled', completed_at = now(), error_message = 'cancelled by user',
           execution_metadata = execution_metadata || jsonb_build_object('cancelled_at', now())
         WHERE id = $1`,
        [executionId],
      );
    } else {
      await tx.query(
        `UPDATE executions SET execution_metadata = execution_metadata || jsonb_build_object('cancel_requested_at', now()) WHERE id = $1`,
        [executionId],
      );
    }
    await recordAudit(tx, audit, {
      userId: actingAs.scope.userId,
      eventType: 'execution.cancelled',
      resourceType: 'execution',
      resourceId: executionId,
      action: 'update',
      changes: { status: { from: row.status, to: row.status === 'pending' ? 'cancelled' : 'cancelling' } },
      metadata: { actor_user_id: actingAs.actor.userId, workflow_id: row.workflow_id },
    });
    return row;
  });

  if (before.status === 'cancelled') return { id: executionId, status: 'cancelled', previous_status: 'cancelled', requested: false };
  if (before.status === 'pending') {
    // Followers of a pending execution end on this event; no worker will send one.
    const { appendAndPublish } = await import('./events.js');
    await appendAndPublish(core, {
      type: 'execution.finished',
      execution_id: executionId,
      workflow_id: before.workflow_id,
      user_id: before.user_id,
      status: 'cancelled',
      error: 'cancelled by user',
      duration_ms: null,
      attempt: before.attempt ?? undefined,
    });
    return { id: executionId, status: 'cancelled', previous_status: 'pending', requested: false };
  }

  if (core.hasRedis()) {
    try {
      const bus = await core.bus();
      await bus.publish(CANCEL_CHANNEL, { execution_id: executionId });
    } catch {
      // The row flag reaches the worker at its next heartbeat.
    }
  }
  // Wait (bounded) for the worker to record the end; gone meanwhile counts as ended.
  const status = await waitForExecution(db, actingAs.scope, executionId, { signal: AbortSignal.timeout(opts.waitMs ?? 5000) }).then(
    (end) => end.status,
    (err) => {
      if (err instanceof NotFoundError) return 'cancelled';
      throw err;
    },
  );
  return { id: executionId, status, previous_status: 'running', requested: true };
}
