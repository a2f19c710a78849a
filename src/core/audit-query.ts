import { isUuid } from './ids.js';
import type { Actor } from './actor.js';
import type { Core } from './context.js';
import { ValidationError } from './errors.js';
import { findUser, isManager, userNotFound } from './users/queries.js';

/** `audit list`: admins and the operator see every row; a user sees what they did and what was done to their account. */
export interface AuditFilters {
  user?: string;
  resourceType?: string;
  resourceId?: string;
  event?: string;
  since?: string;
  until?: string;
  limit?: number;
}

export interface AuditRow {
  id: string;
  created_at: Date;
  user_id: string | null;
  event_type: string;
  resource_type: string;
  resource_id: string | null;
  action: string;
  changes: Record<string, unknown> | null;
  metadata: Record<string, unknown>;
  request_id: string | null;
  user_agent: string | null;
}

const RELATIVE_RE = /^(\d+)\s*(s|m|h|d|w)$/;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** An ISO date/time, or a duration ago: `30m`, `12h`, `7d`. */
export function parseTime(value: string, flag: string, now = Date.now()): Date {
  const rel = RELATIVE_RE.exec(value.trim());
  if (rel) return new Date(now - Number(rel[1]) * UNIT_MS[rel[2]!]!);
  const t = Date.parse(value);
  if (Number.isNaN(t)) {
    throw new ValidationError(`${flag} must be an ISO date/time or a duration like 30m, 12h, 7d; got "${value}"`);
  }
  return new Date(t);
}

export async function listAudit(core: Core, by: Actor, f: AuditFilters = {}): Promise<AuditRow[]> {
  const db = await core.db();
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    where.push(sql.replace('?', `$${params.length}`));
  };

  if (!isManager(by)) {
    params.push(by.userId);
    const me = `$${params.length}`;
    where.push(`(user_id = ${me} OR (resource_type = 'user' AND resource_id = ${me}))`);
  }
  if (f.user !== undefined) {
    const u = await findUser(db, f.user);
    if (!u || (!isManager(by) && u.id !== by.userId)) throw userNotFound(f.user);
    add('user_id = ?', u.id);
  }
  if (f.resourceType !== undefined) add('resource_type = ?', f.resourceType);
  if (f.resourceId !== undefined) {
    if (!isUuid(f.resourceId)) throw new ValidationError(`--resource-id must be a UUID, got "${f.resourceId}"`);
    add('resource_id = ?', f.resourceId);
  }
  if (f.event !== undefined) {
    // `user.*` or `user.` matches a whole family of events.
    if (f.event.endsWith('.*') || f.event.endsWith('.')) add('event_type LIKE ?', f.event.replace(/\*$/, '').replace(/[\\%_]/g, (c) => '\\' + c) + '%');
    else add('event_type = ?', f.event);
  }
  const since = f.since !== undefined ? parseTime(f.since, '--since') : undefined;
  const until = f.until !== undefined ? parseTime(f.until, '--until') : undefined;
  if (since && until && since > until) throw new ValidationError('--since is after --until');
  if (since) add('created_at >= ?', since);
  if (until) add('created_at <= ?', until);
  params.push(f.limit ?? 100);

  const { rows } = await db.query<AuditRow>(
    `SELECT id, created_at, user_id, event_type, resource_type, resource_id, action, changes, metadata, request_id, user_agent
       FROM audit_logs ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
      ORDER BY created_at DESC, id LIMIT $${params.length}`,
    params,
  );
  return rows;
}
