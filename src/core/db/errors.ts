import { ConflictError, ValidationError, NotFoundError } from '../errors.js';

/**
 * Turn constraint violations into typed errors. Callers that know which field a unique
 * index guards should catch ConflictError and rephrase; this is the generic fallback.
 */
export function mapPgError(err: unknown): unknown {
  const e = err as { code?: string; constraint?: string; detail?: string; message?: string; column?: string };
  if (!e || typeof e.code !== 'string') return err;
  switch (e.code) {
    case '23505': {
      const field = /Key \(([^)]+)\)/.exec(e.detail ?? '')?.[1] ?? e.constraint ?? 'value';
      return new ConflictError(`${field} already exists`, { hint: `choose another ${field}`, cause: err });
    }
    case '23514':
      return new ValidationError(`invalid value: violates ${e.constraint ?? 'a check constraint'}`, { cause: err });
    case '23502':
      return new ValidationError(`missing value for ${e.column ?? 'a required column'}`, { cause: err });
    case '23503':
      return new NotFoundError(`referenced row does not exist (${e.constraint ?? 'foreign key'})`, { cause: err });
    case '22P02':
      return new ValidationError(`invalid input: ${e.message}`, { cause: err });
    case '40001':
    case '40P01':
      return new ConflictError('concurrent change detected', { hint: 'retry the command', cause: err });
    default:
      return err;
  }
}
