import { ValidationError } from '../errors.js';

/** The users.email_format constraint, so the CLI rejects what the database would. */
export const EMAIL_RE = /^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$/;
const USERNAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export const ROLES = ['user', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Emails are stored lower-case so `Ada@Example.com` and `ada@example.com` are one account. */
export function normalizeEmail(email: string): string {
  const e = email.trim().toLowerCase();
  if (e.length > 255 || !EMAIL_RE.test(e)) {
    throw new ValidationError(`invalid email "${email}"`, { hint: 'use an address like ada@example.com' });
  }
  return e;
}

export function validateUsername(username: string): string {
  const u = username.trim();
  if (!USERNAME_RE.test(u)) {
    throw new ValidationError(`invalid username "${username}"`, {
      hint: 'use 1-100 letters, digits, ".", "_" or "-", starting with a letter or digit',
    });
  }
  return u;
}

export function validateRole(role: string): Role {
  if (!(ROLES as readonly string[]).includes(role)) {
    throw new ValidationError(`unknown role "${role}"`, { hint: `use one of: ${ROLES.join(', ')}` });
  }
  return role as Role;
}

export function validateFullName(name: string): string {
  if (name.length > 255) throw new ValidationError('full name must be at most 255 characters');
  return name;
}

export function validateAvatarUrl(url: string): string {
  if (url === '') return url;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ValidationError(`invalid avatar URL "${url}"`, { hint: 'use an http(s) URL' });
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new ValidationError(`invalid avatar URL "${url}"`, { hint: 'use an http(s) URL' });
  }
  return url;
}

