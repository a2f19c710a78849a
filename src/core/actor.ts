import type { TenantScope } from './db/types.js';

/**
 * Who a command acts as. A tenant comes from a login session; the operator (whoever holds the
 * service URLs) has no session and bypasses tenant scoping explicitly, and is audited as such.
 */
export interface Actor {
  kind: 'user' | 'operator';
  /** The logged-in user (null for the operator). */
  userId: string | null;
  email: string | null;
  username: string | null;
  role: 'user' | 'admin' | 'operator';
  sessionId: string | null;
}

/** The tenant whose rows a command reads and writes: the actor, or the user an admin names with --user. */
export interface ActingAs {
  actor: Actor;
  scope: TenantScope;
}
