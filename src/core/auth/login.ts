import type { Core } from '../context.js';
import { recordAudit } from '../audit.js';
import { AuthError } from '../errors.js';
import { normalizeEmail } from '../users/validate.js';
import { USER_COLUMNS, type UserRecord } from '../users/queries.js';
import { verifyDummyPassword, verifyPassword } from './password.js';
import { cacheSession, insertSession, purgeOldSessions, type SessionRow } from './sessions.js';
import { hashToken } from './token.js';

/** Failed logins allowed per email in the sliding window before logins pause. */
export const LOGIN_MAX_FAILURES = 5;
export const LOGIN_WINDOW_MS = 60_000;

export function loginRateLimitKey(email: string): string {
  return `ratelimit:${email}:login`;
}

export interface LoginResult {
  /** Shown to the caller once; only its SHA-256 is stored. */
  token: string;
  session: SessionRow;
  user: UserRecord;
}

const BAD_CREDENTIALS = 'invalid email or password';

/**
 * Check an email and password and open a session. Unknown emails and wrong passwords get the
 * same message and the same argon2 work; failures are counted per email in Redis and audited
 * (in their own transaction, since the login itself fails).
 */
export async function login(core: Core, input: { email: string; password: string }): Promise<LoginResult> {
  // A malformed address can't belong to an account: exit 2 rather than a counted failure.
  const email = normalizeEmail(input.email);
  const limiter = await core.rateLimiter();
  const key = loginRateLimitKey(email);
  const db = await core.db();

  const window = await limiter.peek(key, LOGIN_WINDOW_MS);
  if (window.count >= LOGIN_MAX_FAILURES) {
    const seconds = Math.max(1, Math.ceil(window.retryAfterMs / 1000));
    await auditFailure(core, null, email, 'rate_limited');
    throw new AuthError(`too many failed logins for ${email}; try again in ${seconds} s`, {
      hint: `logins pause after ${LOGIN_MAX_FAILURES} failures in ${LOGIN_WINDOW_MS / 1000} s`,
    });
  }

  const { rows } = await db.query<UserRecord & { password_hash: string }>(
    `SELECT ${USER_COLUMNS}, password_hash FROM users WHERE email = $1`,
    [email],
  );
  const found = rows[0];
  const ok = found ? await verifyPassword(found.password_hash, input.password) : await verifyDummyPassword(input.password);

  if (!found || !ok || !found.is_active) {
    await limiter.record(key, LOGIN_WINDOW_MS);
    const reason = !found ? 'unknown_email' : !ok ? 'wrong_password' : 'user_disabled';
    await auditFailure(core, found?.id ?? null, email, reason);
    // Only someone who knows the password learns that the account is disabled.
    if (found && ok) throw new AuthError('your account is disabled', { hint: 'ask an admin to enable it' });
    throw new AuthError(BAD_CREDENTIALS, { hint: 'check them and try again' });
  }

  const { password_hash: _omit, ...user } = found;
  const ttlHours = core.config.getNumber('session_ttl_hours');
  const created = await db.transaction(async (tx) => {
    // Each login adds a session row and clears out the stale ones: expired sessions do not pile up.
    await purgeOldSessions(tx);
    const s = await insertSession(tx, user.id, ttlHours);
    const { rows: updated } = await tx.query<UserRecord>(`UPDATE users SET last_login_at = NOW() WHERE id = $1 RETURNING ${USER_COLUMNS}`, [user.id]);
    await recordAudit(tx, core, {
      userId: user.id,
      eventType: 'user.login',
      resourceType: 'session',
      resourceId: s.session.id,
      action: 'login',
      metadata: { device_type: s.session.device_type, device_name: s.session.device_name, expires_at: s.session.expires_at },
    });
    return { ...s, user: updated[0]! };
  });
  await limiter.reset(key);
  await cacheSession(core, created.session, hashToken(created.token), created.user);
  return created;
}

async function auditFailure(core: Core, userId: string | null, email: string, reason: string): Promise<void> {
  const db = await core.db();
  await db.transaction((tx) =>
    recordAudit(tx, core, {
      userId,
      eventType: 'user.login_failed',
      resourceType: 'user',
      resourceId: userId,
      action: 'login',
      metadata: { email, reason },
    }),
  );
}
