import type { Actor } from '../actor.js';

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
