import type { Command } from 'commander';
import { action, type CommandContext } from './context.js';
import { UsageError } from '../core/errors.js';
import { addUserOption, requireActor } from './session.js';

/**
 * login / logout / whoami. Like `gh auth login`, login stores the token (OS keychain, or a 0600
 * file where there is none) and never prints it; `--print-token` is the explicit way to get a
 * token for CI (`JOBSPRINT_TOKEN`), and then it is printed, not stored.
 */
export function register(program: Command): void {
  program
    .command('login')
    .description('open a session (the token goes to the OS keychain or a 0600 file)')
    .option('--email <email>', 'account email (prompted on a terminal)')
    .option('--password-stdin', 'read the password from stdin')
    .option('--print-token', 'print the token on stdout instead of storing it (for JOBSPRINT_TOKEN in CI)')
    .addHelpText(
      'after',
      `
Examples:
  $ jobsprint login --email ada@example.com
  $ printf '%s' "$PW" | jobsprint login --email ada@example.com --password-stdin
  $ export JOBSPRINT_TOKEN=$(jobsprint login --email ci@example.com --password-stdin --print-token < pw.txt)`,
    )
    .action(action(loginCommand));

  program
    .command('logout')
    .description('end the session in PostgreSQL and Redis and forget the stored token')
    .action(action(logoutCommand));

  addUserOption(
    program.command('whoami').description('show the logged-in user, role, session expiry and where the token is stored'),
  ).action(action(whoamiCommand));
}

/**
 * A password from a hidden prompt (TTY) or stdin (--password-stdin); never from a flag or the
 * environment. On anything but a terminal without --password-stdin: exit 2 naming the flag.
 */
export async function readPassword(ctx: CommandContext, opts: { prompt: string; confirm?: boolean }): Promise<string> {
  const { readStdin, requireInteractive, promptSecret } = await import('./prompt.js');
  if (ctx.opts.passwordStdin) {
    const pw = await readStdin(ctx.stdin);
    if (!pw) throw new UsageError('no password on stdin', { hint: 'pipe the password into --password-stdin' });
    return pw;
  }
  requireInteractive('the password', '--password-stdin');
  const pw = await promptSecret(opts.prompt);
  if (opts.confirm && (await promptSecret('Repeat the password:')) !== pw) {
    throw new UsageError('the passwords do not match', { hint: 'run the command again' });
  }
  return pw;
}

async function loginCommand(ctx: CommandContext): Promise<void> {
  const { core, out, opts } = ctx;
  if (opts.printToken && out.json) {
    throw new UsageError('--print-token prints the bare token; it cannot be combined with --json');
  }
  let email = opts.email as string | undefined;
  if (!email) {
    const { requireInteractive, promptText } = await import('./prompt.js');
    requireInteractive('the email', '--email');
    email = await promptText('Email:');
  }
  const password = await readPassword(ctx, { prompt: 'Password:' });
  if (opts.printToken) {
    // For CI: printed, not stored, and the stored session (if any) is left as it is.
    const { login } = await import('../core/auth/login.js');
    out.write((await login(core, { email, password })).token);
    return;
  }
  const { loginAndStore } = await import('../core/auth/stored-session.js');
  const { session, user, saved, previous } = await loginAndStore(core, { email, password });
  if (saved.warning) out.warn(saved.warning);
  if (previous?.source === 'env') out.warn('JOBSPRINT_TOKEN is set and takes precedence over the stored token; unset it to use this session');
  const doc = {
    user: { id: user.id, email: user.email, username: user.username, role: user.role },
    session: { id: session.id, device_type: session.device_type, device_name: session.device_name, created_at: session.created_at, expires_at: session.expires_at },
    token_storage: saved.source,
    token_location: saved.location,
  };
  out.done(`Logged in as ${user.username} <${user.email}> (${user.role}); session expires ${new Date(session.expires_at).toISOString()}; token stored in ${saved.location}`, doc);
}

async function logoutCommand(ctx: CommandContext): Promise<void> {
  const { core, out } = ctx;
  const { TokenStore } = await import('../core/auth/token-store.js');
  const store = new TokenStore(core.config);
  const stored = await store.read();
  if (!stored) {
    out.done('not logged in; nothing to do', { logged_out: false, session_ended: false, token_removed: [] });
    return;
  }
  const { endSessionByToken } = await import('../core/auth/stored-session.js');
  const ended = await endSessionByToken(core, stored.token);
  const removed = stored.source === 'keychain' || stored.source === 'file' ? await store.remove() : [];
  if (stored.source === 'env' || stored.source === 'env-file') {
    out.warn(`the session is ended, but ${stored.location} still holds its token; remove it`);
  }
  out.done(ended ? `Logged out${ended.email ? ` of ${ended.email}` : ''}` : 'the session had already ended; the stored token is removed', {
    logged_out: true,
    session_ended: !!ended,
    token_removed: removed,
  });
}

async function whoamiCommand(ctx: CommandContext): Promise<void> {
  const { core, out } = ctx;
  const { TokenStore } = await import('../core/auth/token-store.js');
  const { authenticateSession } = await import('../core/auth/authenticate.js');
  const { AuthError } = await import('../core/errors.js');
  const stored = await new TokenStore(core.config).read();
  if (!stored) throw new AuthError('not logged in', { hint: 'run `jobsprint login` (or set JOBSPRINT_TOKEN)' });
  const s = await authenticateSession(core, stored.token);
  const doc = {
    id: s.actor.userId,
    email: s.actor.email,
    username: s.actor.username,
    role: s.actor.role,
    session_id: s.actor.sessionId,
    session_created_at: s.createdAt,
    session_expires_at: s.expiresAt,
    device_name: s.deviceName,
    token_source: stored.source,
    token_location: stored.location,
    acting_as: null as null | { id: string; role: string },
  };
  if (ctx.opts.user) {
    // Shows what `--user` resolves to on tenant commands (admins only; others get exit 4).
    const { scope } = await requireActor(ctx, { allowUserOverride: true });
    doc.acting_as = { id: scope.userId, role: scope.role };
  }
  if (!out.json && !doc.acting_as) {
    const { acting_as: _none, ...rest } = doc;
    return out.record(rest);
  }
  await out.record(doc);
}
