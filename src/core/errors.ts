/**
 * Typed errors with a stable code and the exit code the CLI maps them to.
 * The CLI turns these into `error: <message> (<hint>)` in exactly one place.
 */
export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  notFound: 3,
  auth: 4,
  conflict: 5,
  unavailable: 6,
} as const;

export class JobsprintError extends Error {
  readonly code: string = 'failed';
  readonly exitCode: number = ExitCode.failed;
  /** What the user can do about it; printed in parentheses after the message. */
  readonly hint?: string;
  constructor(message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(message, opts.cause !== undefined ? { cause: opts.cause } : undefined);
    this.name = new.target.name;
    this.hint = opts.hint;
  }
}

export class UsageError extends JobsprintError {
  override readonly code: string = 'usage';
  override readonly exitCode: number = ExitCode.usage;
}

/** Invalid input data (a file, a JSON document, a field); same exit code as usage. */
export class ValidationError extends UsageError {
  override readonly code: string = 'invalid';
}

export class NotFoundError extends JobsprintError {
  override readonly code: string = 'not_found';
  override readonly exitCode: number = ExitCode.notFound;
}

export class AuthError extends JobsprintError {
  override readonly code: string = 'unauthenticated';
  override readonly exitCode: number = ExitCode.auth;
}

export class ForbiddenError extends JobsprintError {
  override readonly code: string = 'forbidden';
  override readonly exitCode: number = ExitCode.auth;
}

export class ConflictError extends JobsprintError {
  override readonly code: string = 'conflict';
  override readonly exitCode: number = ExitCode.conflict;
}

export class ServiceUnavailableError extends JobsprintError {
  override readonly code: string = 'unavailable';
  override readonly exitCode: number = ExitCode.unavailable;
  constructor(
    readonly service: 'PostgreSQL' | 'Redis' | 'RabbitMQ' | 'encryption keys' | string,
    message: string,
    opts: { hint?: string; cause?: unknown } = {},
  ) {
    super(message, opts);
  }
}

export function exitCodeOf(err: unknown): number {
  if (err instanceof JobsprintError) return err.exitCode;
  const code = (err as { exitCode?: unknown } | null)?.exitCode;
  return typeof code === 'number' ? code : ExitCode.failed;
}
