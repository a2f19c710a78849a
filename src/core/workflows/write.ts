import type { ActingAs } from '../actor.js';
import { recordAudit } from '../audit.js';
import { actorMetadata } from '../auth/operator.js';
import type { Core } from '../context.js';
import type { Queryable } from '../db/types.js';
import { evictWorkflow, raiseVersionFloor } from './cache.js';

export interface WriteScope {
  tx: Queryable;
  /**
   * A cached copy of this workflow is now out of date: raises the cache's version floor before
   * the transaction commits (when the definition changed) and evicts the entry after it ends.
   */
  touch(workflowId: string, newVersion?: number | 'deleted'): Promise<void>;
  audit(event: string, action: string, workflowId: string | null, changes?: Record<string, unknown> | null, resourceType?: string): Promise<void>;
}

/**
 * One tenant transaction for a workflow change: row-level security scopes it to the tenant,
 * audit rows commit with the change, and the cache never serves what it replaced.
 */
export async function workflowWrite<T>(core: Core, as: ActingAs, fn: (w: WriteScope) => Promise<T>): Promise<T> {
  const db = await core.db();
  const touched = new Set<string>();
  const auditCtx = { requestId: core.requestId, userAgent: core.userAgent };
  // Redis is needed only by changes to existing workflows, so an import works without it.
  const cache = () => core.cache();
  try {
    return await db.tenantTransaction(as.scope, (tx) =>
      fn({
        tx,
        async touch(id, newVersion) {
          touched.add(id);
          if (newVersion !== undefined) await raiseVersionFloor(await cache(), id, newVersion);
        },
        audit: (event, action, workflowId, changes, resourceType = 'workflow') =>
          recordAudit(tx, auditCtx, {
            userId: as.actor.userId ?? as.scope.userId,
            eventType: event,
            resourceType,
            resourceId: workflowId,
            action,
            changes: changes ?? null,
            metadata: actingMetadata(as),
          }),
      }),
    );
  } finally {
    // Best effort: correctness comes from the version floor, eviction only frees the entry.
    if (touched.size) {
      const c = await cache().catch(() => null);
      for (const id of touched) if (c) await evictWorkflow(c, id).catch(() => {});
    }
  }
}

/** Who acted (the users issue's convention), and for whom when that is another tenant (admin --user). */
function actingMetadata(as: ActingAs): Record<string, unknown> {
  const who = actorMetadata(as.actor);
  return as.actor.userId === as.scope.userId ? who : { ...who, tenant_user_id: as.scope.userId };
}

export function actorUserId(as: ActingAs): string | null {
  return as.actor.userId;
}
