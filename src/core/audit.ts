import type { Queryable } from './db/types.js';

export interface AuditEntry {
  /** The user the event is about or by (null for operator-only events). */
  userId: string | null;
  eventType: string; // e.g. user.created, workflow.updated, credential.revealed
  resourceType: string; // user, workflow, credential, session, execution, …
  resourceId?: string | null;
  action: 'create' | 'read' | 'update' | 'delete' | 'login' | 'logout' | 'execute' | string;
  /** before/after values. Never put secret fields here. */
  changes?: Record<string, unknown> | null;
  metadata?: Record<string, unknown>;
}

export interface AuditContext {
  requestId: string;
  userAgent: string;
}

/** Write one audit row inside the caller's transaction, so the change and its record commit together. */
export async function recordAudit(tx: Queryable, ctx: AuditContext, e: AuditEntry): Promise<void> {
  await tx.query(
    `INSERT INTO audit_logs (user_id, event_type, resource_type, resource_id, action, changes, metadata, user_agent, request_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [
      e.userId,
      e.eventType,
      e.resourceType,
      e.resourceId ?? null,
      e.action,
      e.changes ? JSON.stringify(e.changes) : null,
      JSON.stringify(e.metadata ?? {}),
      ctx.userAgent,
      ctx.requestId,
    ],
  );
}
