import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Core } from '../context.js';
import type { Queryable } from '../db/types.js';
import { recordAudit } from '../audit.js';
import { generateToken, hashToken } from './token.js';

/**
 * Login sessions. PostgreSQL (`sessions`) is the source of truth and stores only the token's
 * SHA-256; Redis caches each live session as the hash `session:{id}` with a TTL equal to its
 * remaining lifetime, so most commands authenticate without a database round trip. Anything
 * that ends a session or changes its user drops the cached copy.
 */
export interface SessionRow {
  id: string;
  user_id: string;
  device_type: string | null;
  device_name: string | null;
  created_at: Date;
  expires_at: Date;
  last_activity_at: Date;
  is_active: boolean;
}

/** What is cached in Redis: the seed's fields plus what authentication needs. */
export interface CachedSession {
  user_id: string;
  created_at: string;
  last_activity: string;
  device_info: string;
  token_hash: string;
  expires_at: string;
  email: string;
  username: string;
  role: string;
}

export function sessionKey(sessionId: string): string {
  return `session:${sessionId}`;
}

export interface NewSession {
  token: string;
  session: SessionRow;
}

/** Insert a session for userId inside tx; the caller writes the audit row and caches it after commit. */
export async function insertSession(tx: Queryable, userId: string, ttlHours: number): Promise<NewSession> {
  const id = randomUUID();
  const token = generateToken(id);
  const { rows } = await tx.query<SessionRow>(
    `INSERT INTO sessions (id, user_id, token_hash, session_data, device_type, device_name, expires_at)
     VALUES ($1, $2, $3, $4, 'cli', $5, NOW() + make_interval(secs => $6))
     RETURNING id, user_id, device_type, device_name, created_at, expires_at, last_activity_at, is_active`,
    [id, userId, hashToken(token), JSON.stringify({ client: 'jobsprint-cli' }), hostname(), Math.round(ttlHours * 3600)],
  );
  return { token, session: rows[0]! };
}

export async function cacheSession(
  core: Core,
  s: SessionRow,
  tokenHash: string,
  user: { email: string; username: string; role: string },
): Promise<void> {
  const ttl = (new Date(s.expires_at).getTime() - Date.now()) / 1000;
  if (ttl <= 0 || !core.hasRedis()) return;
  const fields: CachedSession = {
    user_id: s.user_id,
    created_at: new Date(s.created_at).toISOString(),
    last_activity: new Date(s.last_activity_at).toISOString(),
    device_info: JSON.stringify({ device_type: s.device_type, device_name: s.device_name }),
    token_hash: tokenHash,
    expires_at: new Date(s.expires_at).toISOString(),
    email: user.email,
    username: user.username,
    role: user.role,
  };
  await (await core.cache()).hset(sessionKey(s.id), { ...fields }, ttl);
}

export async function dropCachedSessions(core: Core, sessionIds: string[]): Promise<void> {
  if (!sessionIds.length || !core.hasRedis()) return;
  await (await core.cache()).del(...sessionIds.map(sessionKey));
}

export type EndReason = 'logout' | 'user_disabled' | 'user_deleted' | 'password_changed' | 'revoked';

/**
 * End every live session of a user inside tx (disable, delete, password change). Returns the
 * ended ids: the caller drops them from Redis after the commit (a drop before it would let a
 * racing command re-cache the still-active row, so only the one after counts).
 */
export async function endUserSessions(
  tx: Queryable,
  userId: string,
  reason: EndReason,
  opts: { exceptSessionId?: string | null } = {},
): Promise<string[]> {
  const { rows } = await tx.query<{ id: string }>(
    `UPDATE sessions
        SET is_active = false,
            session_data = COALESCE(session_data, '{}'::jsonb) || jsonb_build_object('ended_reason', $2::text, 'ended_at', NOW())
      WHERE user_id = $1 AND is_active AND ($3::uuid IS NULL OR id <> $3::uuid)
      RETURNING id`,
    [userId, reason, opts.exceptSessionId ?? null],
  );
  return rows.map((r) => r.id);
}

/** All live session ids of a user (to drop their cached copies, e.g. after a role change). */
export async function liveSessionIds(db: Queryable, userId: string): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(`SELECT id FROM sessions WHERE user_id = $1 AND is_active`, [userId]);
  return rows.map((r) => r.id);
}

/** End one session (logout): both stores, with a session.revoked audit row. */
export async function endSession(core: Core, sessionId: string, userId: string, reason: EndReason = 'logout'): Promise<boolean> {
  const db = await core.db();
  await dropCachedSessions(core, [sessionId]);
  const ended = await db.transaction(async (tx) => {
    const { rowCount } = await tx.query(
      `UPDATE sessions
          SET is_active = false,
              session_data = COALESCE(session_data, '{}'::jsonb) || jsonb_build_object('ended_reason', $2::text, 'ended_at', NOW())
        WHERE id = $1 AND is_active`,
      [sessionId, reason],
    );
    if (rowCount) {
      await recordAudit(tx, core, {
        userId,
        eventType: 'session.revoked',
        resourceType: 'session',
        resourceId: sessionId,
        action: 'logout',
        metadata: { reason },
      });
    }
    return rowCount > 0;
  });
  await dropCachedSessions(core, [sessionId]);
  return ended;
}

/** Sessions that expired or ended longer ago than this are deleted (their audit rows stay). */
export const SESSION_KEEP_DAYS = 7;
/** At most this many per purge, so a login after a long quiet spell stays quick. */
export const PURGE_BATCH = 1000;

/**
 * Delete sessions that expired or ended more than `keepDays` ago. Login runs it in its
 * transaction (see login.ts): each login adds a session row, and each login removes the stale
 * ones, so the table holds live sessions plus about a week's worth of ended ones, in the
 * embedded mode too, where no daemon runs. The week keeps "the session has expired / ended:
 * you logged out" answers for recent tokens instead of "not valid". Bounded, and rows another
 * transaction holds are skipped (concurrent logins never wait on each other or deadlock); Redis
 * needs no cleanup: cached sessions expire with their TTL or were dropped when they ended.
 */
export async function purgeOldSessions(db: Queryable, keepDays = SESSION_KEEP_DAYS, limit = PURGE_BATCH): Promise<number> {
  const { rowCount } = await db.query(
    `DELETE FROM sessions WHERE id IN (
       SELECT id FROM sessions
        WHERE expires_at < NOW() - make_interval(days => $1)
           OR (NOT is_active AND COALESCE((session_data->>'ended_at')::timestamptz, expires_at) < NOW() - make_interval(days => $1))
        LIMIT $2
        FOR UPDATE SKIP LOCKED)`,
    [keepDays, limit],
  );
  return rowCount;
}
