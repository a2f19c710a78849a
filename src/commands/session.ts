import type { Command } from 'commander';
import type { Actor, ActingAs } from '../core/actor.js';
import { AuthError, ForbiddenError } from '../core/errors.js';
import type { CommandContext } from './context.js';

/**
 * How tenant commands find out who they act as. Every tenant command calls requireActor(ctx)
 * first; commands that let an admin act on another tenant's resources add `--user` with
 * addUserOption(cmd) and pass { allowUserOverride: true }.
 *
 *   const { actor, scope } = await requireActor(ctx, { allowUserOverride: true });
 *   await db.tenantTransaction(scope, async (tx) => { ...; await recordAudit(tx, core, { userId: actor.userId, ... }) });
 */
export interface RequireActorOptions {
  /** Honour `--user <id|email>` (admins only; anyone else gets exit 4). */
  allowUserOverride?: boolean;
}

export async function requireActor(ctx: CommandContext, opts: RequireActorOptions = {}): Promise<ActingAs> {
  const { TokenStore } = await import('../core/auth/token-store.js');
  const { authenticate } = await import('../core/auth/authenticate.js');
  const stored = await new TokenStore(ctx.core.config).read();
  if (!stored) throw new AuthError('not logged in', { hint: 'run `jobsprint login` (or set JOBSPRINT_TOKEN)' });
  const actor = await authenticate(ctx.core, stored.token);
  const scope = { userId: actor.userId!, role: actor.role === 'admin' ? ('admin' as const) : ('user' as const) };

  const target = ctx.opts.user as string | undefined;
  if (opts.allowUserOverride && target !== undefined && target !== '') {
    if (actor.role !== 'admin') {
      throw new ForbiddenError('only admins can act as another user with --user', { hint: 'drop --user to work on your own resources' });
    }
    const { findUser, userNotFound } = await import('../core/users/queries.js');
    const user = await findUser(await ctx.core.db(), target);
    if (!user) throw userNotFound(target);
    return { actor, scope: { userId: user.id, role: user.role } };
  }
  return { actor, scope };
}

/**
 * The session's actor, or null when there is no usable session (no token, or an ended one):
 * for commands that also work without a login, such as creating the very first user.
 */
export async function optionalActor(ctx: CommandContext): Promise<Actor | null> {
  try {
    return (await requireActor(ctx)).actor;
  } catch (err) {
    if (err instanceof AuthError) return null;
    throw err;
  }
}

/** The `--user <id|email>` option, worded the same on every command that takes it. */
export function addUserOption(cmd: Command): Command {
  return cmd.option('--user <id|email>', "admins: act on this user's resources instead of your own");
}

export { operatorActor } from '../core/auth/operator.js';
