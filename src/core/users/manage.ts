import type { Actor } from '../actor.js';
import type { Core } from '../context.js';
import type { Queryable } from '../db/types.js';
import { recordAudit } from '../audit.js';
import { AuthError, ConflictError, ForbiddenError, ValidationError } from '../errors.js';
import { actorMetadata } from '../auth/operator.js';
import { hashPassword, validatePassword } from '../auth/password.js';
import { dropCachedSessions, endUserSessions, liveSessionIds, type EndReason } from '../auth/sessions.js';
import { USER_COLUMNS, isManager, resolveVisibleUser, type UserRecord } from './queries.js';
import { normalizeEmail, validateAvatarUrl, validateFullName, validateRole, validateUsername, type Role } from './validate.js';

/**
 * Changes to users. Each runs in one operator transaction (the users table is not a tenant
 * table) with its audit row; permission is checked here: admins and the operator manage
 * everyone, a plain user only edits their own profile and password.
 */
export interface NewUser {
  email: string;
  username: string;
  fullName?: string;
  role?: string;
  password: string;
}

/** Serialises bootstrap and last-admin checks across concurrent commands. */
const ADMIN_LOCK = 'jobsprint.users.admins';

async function lockAdmins(tx: Queryable): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [ADMIN_LOCK]);
}

/**
 * Create a user. `by` is null when the command runs without a session: allowed only on an
 * empty users table, and that first user becomes admin whatever --role says.
 */
export async function createUser(core: Core, by: Actor | null, input: NewUser): Promise<UserRecord & { bootstrap: boolean }> {
  const email = normalizeEmail(input.email);
  const username = validateUsername(input.username);
  const fullName = input.fullName !== undefined ? validateFullName(input.fullName) : null;
  const requestedRole = input.role !== undefined ? validateRole(input.role) : 'user';
  if (by && !isManager(by)) throw new ForbiddenError('only admins can create users', { hint: 'ask an admin' });
  validatePassword(input.password);
  const passwordHash = await hashPassword(input.password);

  const db = await core.db();
  return db.transaction(async (tx) => {
    await lockAdmins(tx);
    const { rows: countRows } = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM users');
    const bootstrap = countRows[0]!.n === 0;
    if (!bootstrap && !by) {
      throw new AuthError('only an admin can create users', {
        hint: 'run `jobsprint login` as an admin, or pass --as-operator if you run this installation',
      });
    }
    await assertUnique(tx, { email, username });
    const role: Role = bootstrap ? 'admin' : requestedRole;
    const { rows } = await tx.query<UserRecord>(
      `INSERT INTO users (email, username, full_name, role, password_hash)
       VALUES ($1, $2, $3, $4, $5) RETURNING ${USER_COLUMNS}`,
      [email, username, fullName, role, passwordHash],
    );
    const user = rows[0]!;
    await recordAudit(tx, core, {
      userId: by?.userId ?? user.id,
      eventType: 'user.created',
      resourceType: 'user',
      resourceId: user.id,
      action: 'create',
      changes: { after: publicFields(user) },
      metadata: { ...(by ? actorMetadata(by) : {}), ...(bootstrap ? { bootstrap: true } : {}) },
    });
    return { ...user, bootstrap };
  });
}

export interface UserPatch {
  email?: string;
  username?: string;
  fullName?: string;
  avatarUrl?: string;
  role?: string;
}

export async function updateUser(core: Core, by: Actor, ref: string, patch: UserPatch): Promise<UserRecord> {
  const set: Record<string, unknown> = {};
  if (patch.email !== undefined) set.email = normalizeEmail(patch.email);
  if (patch.username !== undefined) set.username = validateUsername(patch.username);
  if (patch.fullName !== undefined) set.full_name = patch.fullName === '' ? null : validateFullName(patch.fullName);
  if (patch.avatarUrl !== undefined) set.avatar_url = patch.avatarUrl === '' ? null : validateAvatarUrl(patch.avatarUrl);
  if (patch.role !== undefined) set.role = validateRole(patch.role);
  if (!Object.keys(set).length) {
    throw new ValidationError('nothing to update', { hint: 'pass at least one of --email, --username, --full-name, --avatar-url, --role' });
  }
  if (set.role !== undefined && !isManager(by)) throw new ForbiddenError('only admins can change roles');

  const db = await core.db();
  const { user, sessionIds } = await db.transaction(async (tx) => {
    if (set.role !== undefined) await lockAdmins(tx);
    const before = await resolveVisibleUser(tx, by, ref, { forUpdate: true });
    const changed = Object.fromEntries(Object.entries(set).filter(([k, v]) => (before as unknown as Record<string, unknown>)[k] !== v));
    if (!Object.keys(changed).length) return { user: before, sessionIds: [] as string[] };
    if (changed.role === 'user' && before.role === 'admin') await assertAnotherAdmin(tx, before.id, 'demote');
    await assertUnique(tx, { email: changed.email as string | undefined, username: changed.username as string | undefined }, before.id);
    const cols = Object.keys(changed);
    const { rows } = await tx.query<UserRecord>(
      `UPDATE users SET ${cols.map((c, i) => `${c} = $${i + 2}`).join(', ')} WHERE id = $1 RETURNING ${USER_COLUMNS}`,
      [before.id, ...cols.map((c) => changed[c])],
    );
    const after = rows[0]!;
    await recordAudit(tx, core, {
      userId: by.userId ?? after.id,
      eventType: 'user.updated',
      resourceType: 'user',
      resourceId: after.id,
      action: 'update',
      changes: {
        before: Object.fromEntries(cols.map((c) => [c, (before as unknown as Record<string, unknown>)[c]])),
        after: Object.fromEntries(cols.map((c) => [c, (after as unknown as Record<string, unknown>)[c]])),
      },
      metadata: actorMetadata(by),
    });
    // Cached sessions carry email, username and role: drop them so the next command reloads.
    return { user: after, sessionIds: await liveSessionIds(tx, after.id) };
  });
  await dropCachedSessions(core, sessionIds);
  return user;
}

/** Disable (ending every session at once) or enable a user. Admins and the operator only. */
export async function setUserActive(core: Core, by: Actor, ref: string, active: boolean): Promise<UserRecord & { sessions_ended: number }> {
  if (!isManager(by)) throw new ForbiddenError(`only admins can ${active ? 'enable' : 'disable'} users`);
  const db = await core.db();
  const result = await db.transaction(async (tx) => {
    await lockAdmins(tx);
    const before = await resolveVisibleUser(tx, by, ref, { forUpdate: true });
    let ended: string[] = [];
    if (!active) {
      if (before.role === 'admin' && before.is_active) await assertAnotherAdmin(tx, before.id, 'disable');
      ended = await endUserSessions(tx, before.id, 'user_disabled');
    }
    if (before.is_active === active) return { user: before, ended };
    const { rows } = await tx.query<UserRecord>(`UPDATE users SET is_active = $2 WHERE id = $1 RETURNING ${USER_COLUMNS}`, [before.id, active]);
    await recordAudit(tx, core, {
      userId: by.userId ?? before.id,
      eventType: active ? 'user.enabled' : 'user.disabled',
      resourceType: 'user',
      resourceId: before.id,
      action: 'update',
      changes: { before: { is_active: before.is_active }, after: { is_active: active } },
      metadata: { ...actorMetadata(by), sessions_ended: ended.length },
    });
    return { user: rows[0]!, ended };
  });
  await dropCachedSessions(core, result.ended);
  return { ...result.user, sessions_ended: result.ended.length };
}

export async function deleteUser(core: Core, by: Actor, ref: string): Promise<UserRecord & { sessions_ended: number }> {
  if (!isManager(by)) throw new ForbiddenError('only admins can delete users');
  const db = await core.db();
  const result = await db.transaction(async (tx) => {
    await lockAdmins(tx);
    const before = await resolveVisibleUser(tx, by, ref, { forUpdate: true });
    if (before.id === by.userId) throw new ConflictError('you cannot delete your own account', { hint: 'ask another admin' });
    if (before.role === 'admin' && before.is_active) await assertAnotherAdmin(tx, before.id, 'delete');
    const ended = await endUserSessions(tx, before.id, 'user_deleted');
    // The audit row outlives the user: audit_logs.user_id is ON DELETE SET NULL.
    await recordAudit(tx, core, {
      userId: by.userId,
      eventType: 'user.deleted',
      resourceType: 'user',
      resourceId: before.id,
      action: 'delete',
      changes: { before: publicFields(before) },
      metadata: { ...actorMetadata(by), sessions_ended: ended.length },
    });
    await tx.query('DELETE FROM users WHERE id = $1', [before.id]);
    return { user: before, ended };
  });
  await dropCachedSessions(core, result.ended);
  return { ...result.user, sessions_ended: result.ended.length };
}

/**
 * Set a password. Every other session of that user ends (a stolen session must not survive a
 * password reset); the session running the command, if it is theirs, stays.
 */
export async function setPassword(core: Core, by: Actor, ref: string, password: string): Promise<{ user: UserRecord; sessions_ended: number }> {
  validatePassword(password);
  const db = await core.db();
  const target = await resolveVisibleUser(db, by, ref);
  const passwordHash = await hashPassword(password);
  const result = await db.transaction(async (tx) => {
    const user = await resolveVisibleUser(tx, by, target.id, { forUpdate: true });
    await tx.query('UPDATE users SET password_hash = $2 WHERE id = $1', [user.id, passwordHash]);
    const reason: EndReason = 'password_changed';
    const ended = await endUserSessions(tx, user.id, reason, { exceptSessionId: by.sessionId });
    await recordAudit(tx, core, {
      userId: by.userId ?? user.id,
      eventType: 'user.password_changed',
      resourceType: 'user',
      resourceId: user.id,
      action: 'update',
      metadata: { ...actorMetadata(by), sessions_ended: ended.length },
    });
    return { user, ended };
  });
  await dropCachedSessions(core, result.ended);
  return { user: result.user, sessions_ended: result.ended.length };
}

function publicFields(u: UserRecord): Record<string, unknown> {
  return { email: u.email, username: u.username, full_name: u.full_name, role: u.role, is_active: u.is_active };
}

async function assertUnique(tx: Queryable, f: { email?: string; username?: string }, exceptId?: string): Promise<void> {
  for (const field of ['email', 'username'] as const) {
    const value = f[field];
    if (value === undefined) continue;
    const { rowCount } = await tx.query(`SELECT 1 FROM users WHERE ${field} = $1 AND ($2::uuid IS NULL OR id <> $2::uuid)`, [
      value,
      exceptId ?? null,
    ]);
    if (rowCount) throw new ConflictError(`a user with ${field} "${value}" already exists`, { hint: `choose another ${field}` });
  }
}

async function assertAnotherAdmin(tx: Queryable, userId: string, what: 'demote' | 'disable' | 'delete'): Promise<void> {
  const { rows } = await tx.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM users WHERE role = 'admin' AND is_active AND id <> $1`,
    [userId],
  );
  if (rows[0]!.n === 0) {
    throw new ConflictError(`cannot ${what} the last active admin`, { hint: 'make another user admin first' });
  }
}
