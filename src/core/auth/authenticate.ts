import type { Actor } from '../actor.js';
import type { Core } from '../context.js';
import { AuthError } from '../errors.js';
import { cacheSession, sessionKey, type SessionRow } from './sessions.js';
import { hashToken, sameHash, sessionIdOf } from './token.js';

/** last_activity_at is written at most this often, so reads don't turn into writes. */
const ACTIVITY_RESOLUTION_MS = 60_000;

const LOGIN_HINT = 'run `jobsprint login`';

export interface AuthenticatedSession {
  actor: Actor;
  expiresAt: Date;
  createdAt: Date;
  lastActivityAt: Date;
  deviceName: string | null;
}

/**
 * Turn a session token into the acting user, or throw AuthError (exit 4). Redis answers when
 * it holds the session; PostgreSQL, the source of truth, answers otherwise and refills Redis.
 */
export async function authenticate(core: Core, token: string): Promise<Actor> {
  return (await authenticateSession(core, token)).actor;
}

export async function authenticateSession(core: Core, token: string): Promise<AuthenticatedSession> {
  const sessionId = sessionIdOf(token);
  if (!sessionId) throw new AuthError('the session token is malformed', { hint: LOGIN_HINT });
  const tokenHash = hashToken(token);
  const now = Date.now();

  if (core.hasRedis()) {
    const cached = await (await core.cache()).hgetall(sessionKey(sessionId));
    if (cached && cached.token_hash && sameHash(cached.token_hash, tokenHash) && Date.parse(cached.expires_at!) > now) {
      const lastActivity = new Date(cached.last_activity!);
      const result: AuthenticatedSession = {
        actor: actorOf(sessionId, cached.user_id!, cached),
        expiresAt: new Date(cached.expires_at!),
        createdAt: new Date(cached.created_at!),
        lastActivityAt: lastActivity,
        deviceName: deviceNameOf(cached.device_info),
      };
      await touch(core, sessionId, lastActivity, result.expiresAt, now);
      return result;
    }
  }

  const db = await core.db();
  const { rows } = await db.query<
    SessionRow & { session_data: Record<string, unknown> | null; email: string; username: string; role: string; user_active: boolean }
  >(
    `SELECT s.id, s.user_id, s.device_type, s.device_name, s.created_at, s.expires_at, s.last_activity_at, s.is_active,
            s.session_data, u.email, u.username, u.role, u.is_active AS user_active
       FROM sessions s JOIN users u ON u.id = s.user_id
      WHERE s.token_hash = $1`,
    [tokenHash],
  );
  const s = rows[0];
  if (!s || s.id !== sessionId) throw new AuthError('the session token is not valid', { hint: LOGIN_HINT });
  if (!s.is_active) {
    const reason = s.session_data?.ended_reason;
    const why =
      reason === 'user_disabled'
        ? 'your account was disabled'
        : reason === 'password_changed'
          ? 'the password was changed'
          : reason === 'logout'
            ? 'you logged out'
            : 'it was revoked';
    throw new AuthError(`the session has ended: ${why}`, {
      hint: reason === 'user_disabled' ? 'ask an admin to enable your account' : LOGIN_HINT,
    });
  }
  if (new Date(s.expires_at).getTime() <= now) throw new AuthError('the session has expired', { hint: LOGIN_HINT });
  if (!s.user_active) throw new AuthError('your account is disabled', { hint: 'ask an admin to enable your account' });

  await cacheSession(core, s, tokenHash, s);
  const lastActivity = new Date(s.last_activity_at);
  await touch(core, sessionId, lastActivity, new Date(s.expires_at), now);
  return {
    actor: actorOf(sessionId, s.user_id, s),
    expiresAt: new Date(s.expires_at),
    createdAt: new Date(s.created_at),
    lastActivityAt: lastActivity,
    deviceName: s.device_name,
  };
}

function actorOf(sessionId: string, userId: string, u: { email?: string; username?: string; role?: string }): Actor {
  return {
    kind: 'user',
    userId,
    email: u.email ?? null,
    username: u.username ?? null,
    role: u.role === 'admin' ? 'admin' : 'user',
    sessionId,
  };
}

function deviceNameOf(info: string | undefined): string | null {
  try {
    return (JSON.parse(info ?? '{}') as { device_name?: string }).device_name ?? null;
  } catch {
    return null;
  }
}

async function touch(core: Core, sessionId: string, lastActivity: Date, expiresAt: Date, now: number): Promise<void> {
  if (now - lastActivity.getTime() < ACTIVITY_RESOLUTION_MS) return;
  const db = await core.db();
  // The WHERE clause keeps concurrent commands from writing more than once a minute.
  await db.query(
    `UPDATE sessions SET last_activity_at = NOW()
      WHERE id = $1 AND is_active AND last_activity_at < NOW() - INTERVAL '1 minute'`,
    [sessionId],
  );
  if (core.hasRedis()) {
    // If the session was dropped meanwhile this leaves a hash without token_hash, which never
    // authenticates and expires with the session.
    const ttl = (expiresAt.getTime() - now) / 1000;
    if (ttl > 0) await (await core.cache()).hset(sessionKey(sessionId), { last_activity: new Date(now).toISOString() }, ttl);
  }
}
