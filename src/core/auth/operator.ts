import type { ActingAs, Actor } from '../actor.js';

/**
 * The operator: whoever holds the service URLs (db, daemon, key rotation, backups). No session;
 * it bypasses tenant scoping explicitly and is audited with metadata.operator = true.
 */
export function operatorActor(): Actor {
  return { kind: 'operator', userId: null, email: null, username: null, role: 'operator', sessionId: null };
}

/** Audit metadata that marks who acted: the operator, or the admin acting on someone. */
export function actorMetadata(by: Actor): Record<string, unknown> {
  return by.kind === 'operator' ? { operator: true } : { actor_role: by.role, session_id: by.sessionId };
}

/**
 * The audit shape of a tenant change (workflows, integrations, credentials): the row's user_id
 * is who acted (the tenant itself for the operator), metadata says how, and `tenant_user_id`
 * names the user whose resource it was when that is someone else (an admin with --user).
 */
export function actingAudit(as: ActingAs): { userId: string; metadata: Record<string, unknown> } {
  const who = actorMetadata(as.actor);
  return {
    userId: as.actor.userId ?? as.scope.userId,
    metadata: as.actor.userId === as.scope.userId ? who : { ...who, tenant_user_id: as.scope.userId },
  };
}
