import { ValidationError } from '../errors.js';

export const MIN_PASSWORD_LENGTH = 12;
/** Upper bound so a huge stdin cannot make hashing a denial of service. */
const MAX_PASSWORD_LENGTH = 1024;

/**
 * argon2id at OWASP's minimum (m=19 MiB, t=2, p=1): strong enough, and fast enough that a
 * login costs tens of milliseconds. The parameters live in the hash, so raising them later
 * needs no migration; old hashes keep verifying.
 */
const ARGON2_OPTIONS = { algorithm: 2 /* Algorithm.Argon2id */, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export function validatePassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new ValidationError(`password must be at least ${MIN_PASSWORD_LENGTH} characters`, {
      hint: 'choose a longer password',
    });
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    throw new ValidationError(`password must be at most ${MAX_PASSWORD_LENGTH} characters`);
  }
}

export async function hashPassword(password: string): Promise<string> {
  validatePassword(password);
  const { hash } = await import('@node-rs/argon2');
  return hash(password, ARGON2_OPTIONS);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  const { verify } = await import('@node-rs/argon2');
  try {
    return await verify(passwordHash, password.slice(0, MAX_PASSWORD_LENGTH));
  } catch {
    return false;
  }
}

/** A hash of a password nobody has, made with the same parameters as real ones. */
const DUMMY_HASH = '$argon2id$v=19$m=19456,t=2,p=1$y4AEHh018p071g25mZM8TQ$RGgSjF5/htULWg1TqG1ytjj8ODJzVGGjnq+CrL18s5Q';

/**
 * Spend the same work as a real verification when the email is unknown, so response time
 * does not reveal which accounts exist.
 */
export async function verifyDummyPassword(password: string): Promise<false> {
  await verifyPassword(DUMMY_HASH, password);
  return false;
}
