import type { ActingAs } from '../actor.js';
import { recordAudit } from '../audit.js';
import { actorMetadata } from '../auth/operator.js';
import type { Core } from '../context.js';
import type { Queryable } from '../db/types.js';

export interface WriteScope {
  tx: Queryable;
  audit(event: string, action: string, workflowId: string | null, changes?: Record<string, unknown> | null, resourceType?: string): Promise<void>;
}

/**
 * One tenant transaction for a workflow change: row-level security scopes it to the tenant and
 * audit rows commit with the change. PostgreSQL is the only store a change touches: nothing
 * caches workflows in Redis, so a workflow change works whether Redis is up or not.
 */
export async function workflowWrite<T>(core: Core, as: ActingAs, fn: (w: WriteScope) => Promise<T>): Promise<T> {
  const db = await core.db();
  const auditCtx = { requestId: core.requestId, userAgent: core.userAgent };
  return db.tenantTransaction(as.scope, (tx) =>
    fn({
      tx,
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
}

/** Who acted (the users issue's convention), and for whom when that is another tenant (admin --user). */
function actingMetadata(as: ActingAs): Record<string, unknown> {
  const who = actorMetadata(as.actor);
  return as.actor.userId === as.scope.userId ? who : { ...who, tenant_user_id: as.scope.userId };
}

export function actorUserId(as: ActingAs): string | null {
  return as.actor.userId;
}
