import type { Actor } from '../actor.js';
import type { Core } from '../context.js';
import type { Queryable } from '../db/types.js';
import { ForbiddenError, NotFoundError } from '../errors.js';
import { isUuid } from '../ids.js';
import { validateRole } from './validate.js';

/** A user as the CLI shows it: every column except password_hash. */
export interface UserRecord {
  id: string;
  email: string;
  username: string;
  full_name: string | null;
  avatar_url: string | null;
  role: 'user' | 'admin';
  is_active: boolean;
  is_verified: boolean;
  created_at: Date;
  updated_at: Date;
  last_login_at: Date | null;
}

export const USER_COLUMNS =
  'id, email, username, full_name, avatar_url, role, is_active, is_verified, created_at, updated_at, last_login_at';

/** Admins and the operator manage every user; a plain user only sees and edits themself. */
export function isManager(by: Actor): boolean {
  return by.kind === 'operator' || by.role === 'admin';
}

/** Look a user up by id, email or username (operator read: the users table has no RLS). */
export async function findUser(db: Queryable, ref: string, opts: { forUpdate?: boolean } = {}): Promise<UserRecord | null> {
  const lock = opts.forUpdate ? ' FOR UPDATE' : '';
  const trimmed = ref.trim();
  let sql: string;
  let param: string;
  if (isUuid(trimmed)) {
    sql = `SELECT ${USER_COLUMNS} FROM users WHERE id = $1`;
    param = trimmed.toLowerCase();
  } else if (trimmed.includes('@')) {
    sql = `SELECT ${USER_COLUMNS} FROM users WHERE email = $1`;
    param = trimmed.toLowerCase();
  } else {
    sql = `SELECT ${USER_COLUMNS} FROM users WHERE username = $1`;
    param = trimmed;
  }
  const { rows } = await db.query<UserRecord>(sql + lock, [param]);
  return rows[0] ?? null;
}

export function userNotFound(ref: string): NotFoundError {
  return new NotFoundError(`user "${ref}" not found`, { hint: 'see `jobsprint users list` (admins) or `jobsprint whoami`' });
}

/**
 * Resolve `ref` to a user `by` may see. Other users are reported as not found to a plain user,
 * so accounts cannot be enumerated.
 */
export async function resolveVisibleUser(db: Queryable, by: Actor, ref: string, opts: { forUpdate?: boolean } = {}): Promise<UserRecord> {
  const user = await findUser(db, ref, opts);
  if (!user || (!isManager(by) && user.id !== by.userId)) throw userNotFound(ref);
  return user;
}

export async function getUser(core: Core, by: Actor, ref: string): Promise<UserRecord> {
  return resolveVisibleUser(await core.db(), by, ref);
}

export interface UserFilters {
  role?: string;
  active?: boolean;
  search?: string;
  limit?: number;
}

export async function listUsers(core: Core, by: Actor, f: UserFilters = {}): Promise<UserRecord[]> {
  if (!isManager(by)) {
    throw new ForbiddenError('only admins can list users', { hint: 'see your own account with `jobsprint whoami`' });
  }
  const where: string[] = [];
  const params: unknown[] = [];
  if (f.role !== undefined) {
    params.push(validateRole(f.role));
    where.push(`role = $${params.length}`);
  }
  if (f.active !== undefined) {
    params.push(f.active);
    where.push(`is_active = $${params.length}`);
  }
  if (f.search) {
    params.push(`%${f.search.replace(/[\\%_]/g, (c) => '\\' + c)}%`);
    where.push(`(email ILIKE $${params.length} OR username ILIKE $${params.length} OR full_name ILIKE $${params.length})`);
  }
  params.push(f.limit ?? 1000);
  const db = await core.db();
  const { rows } = await db.query<UserRecord>(
    `SELECT ${USER_COLUMNS} FROM users ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
      ORDER BY created_at, id LIMIT $${params.length}`,
    params,
  );
  return rows;
}
