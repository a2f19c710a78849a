import type { Core } from '../context.js';
import { authenticate } from './authenticate.js';
import { login, type LoginResult } from './login.js';
import { endSession } from './sessions.js';
import { TokenStore, type SavedToken, type StoredToken } from './token-store.js';

/**
 * The CLI's stored session: `login` and `quickstart` open one with loginAndStore, `logout`
 * ends it with endSessionByToken.
 */
export interface StoredLogin extends LoginResult {
  /** Where the new token went. */
  saved: SavedToken;
  /** The token this run had before the login (stored, or from JOBSPRINT_TOKEN(_FILE)). */
  previous: StoredToken | null;
}

/**
 * Log in and make the new session the stored one. The session whose token was stored before
 * is ended: nothing would use it any more, yet it would stay valid until it expires. A token
 * from JOBSPRINT_TOKEN(_FILE) is left alone (the caller may warn that it takes precedence).
 */
export async function loginAndStore(core: Core, input: { email: string; password: string }): Promise<StoredLogin> {
  const store = new TokenStore(core.config);
  const previous = await store.read();
  const result = await login(core, input);
  if (previous?.source === 'file' || previous?.source === 'keychain') await endSessionByToken(core, previous.token);
  const saved = await store.save(result.token);
  return { ...result, saved, previous };
}

/**
 * End the session a token belongs to (both stores, audited). Null when there is nothing to end:
 * the session already ended or expired, or the token is not valid against this database.
 */
export async function endSessionByToken(core: Core, token: string): Promise<{ email: string | null } | null> {
  try {
    const actor = await authenticate(core, token);
    await endSession(core, actor.sessionId!, actor.userId!, 'logout');
    return { email: actor.email };
  } catch (err) {
    if ((err as { exitCode?: number }).exitCode === 4) return null; // already ended, expired or forged
    throw err;
  }
}
