import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Session tokens: `jsp_<session id, 32 hex>_<256 random bits, base64url>`. The prefix lets
 * secret scanners recognise a leaked token (like gh's `gho_`); the embedded session id lets
 * the Redis cache be keyed by `session:{id}` as the seed specifies. Only the SHA-256 of the
 * whole token is stored anywhere.
 */
const TOKEN_RE = /^jsp_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/;

export function generateToken(sessionId: string): string {
  return `jsp_${sessionId.replace(/-/g, '')}_${randomBytes(32).toString('base64url')}`;
}

/** The session id inside a well-formed token, or null for anything else. */
export function sessionIdOf(token: string): string | null {
  const m = TOKEN_RE.exec(token);
  if (!m) return null;
  const h = m[1]!;
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}
