import type { Command } from 'commander';
import { action, intOption, type CommandContext } from './context.js';
import type { Column } from './output.js';
import type { Actor } from '../core/actor.js';
import type { UserRecord } from '../core/users/queries.js';
import { UsageError } from '../core/errors.js';
import { readPassword } from './auth.js';
import { operatorActor, optionalActor, requireActor } from './session.js';

const AS_OPERATOR = 'act as the operator (no session; audited with metadata.operator = true)';

const LIST_COLUMNS: Column<UserRecord>[] = [
  { key: 'id' },
  { key: 'email' },
  { key: 'username' },
  { key: 'role' },
  { key: 'is_active', header: 'ACTIVE', format: (u) => (u.is_active ? 'yes' : 'no') },
  { key: 'last_login_at', header: 'LAST LOGIN' },
];

const RECORD_FIELDS: Column<UserRecord>[] = [
  { key: 'id' },
  { key: 'email' },
  { key: 'username' },
  { key: 'full_name' },
  { key: 'avatar_url' },
  { key: 'role' },
  { key: 'is_active' },
  { key: 'is_verified' },
  { key: 'created_at' },
  { key: 'updated_at' },
  { key: 'last_login_at' },
];

/** The session's user, or the operator with --as-operator. */
async function actingUser(ctx: CommandContext): Promise<Actor> {
  return ctx.opts.asOperator ? operatorActor() : (await requireActor(ctx)).actor;
}

export function register(program: Command): void {
  const users = program.command('users').description('manage user accounts (admins; users see and edit only themselves)');

  users
    .command('create')
    .description('create a user (the first user needs no session and becomes admin)')
    .requiredOption('--email <email>', 'email address (unique)')
    .requiredOption('--username <name>', 'username (unique)')
    .option('--full-name <name>', 'full name')
    .option('--role <role>', 'user or admin', 'user')
    .option('--password-stdin', 'read the password from stdin (otherwise a hidden prompt)')
    .option('--as-operator', AS_OPERATOR)
    .action(
      action(async (ctx) => {
        const { core, out, opts } = ctx;
        const by = opts.asOperator ? operatorActor() : await optionalActor(ctx);
        const password = await readPassword(ctx, { prompt: 'Password (at least 12 characters):', confirm: true });
        const { createUser } = await import('../core/users/manage.js');
        const { bootstrap, ...user } = await createUser(core, by, {
          email: opts.email,
          username: opts.username,
          fullName: opts.fullName,
          role: opts.role,
          password,
        });
        if (out.json) return out.printJson(user);
        out.write(`Created ${user.role} ${user.username} <${user.email}> (${user.id})`);
        if (bootstrap) out.info('This is the first user, so it is an admin. Next: jobsprint login --email ' + user.email);
      }),
    );

  users
    .command('list')
    .description('list users (admins)')
    .option('--role <role>', 'only this role (user or admin)')
    .option('--active', 'only active users')
    .option('--inactive', 'only disabled users')
    .option('--search <text>', 'match email, username or full name')
    .option('--limit <n>', 'at most N users', intOption('--limit'), 1000)
    .option('--as-operator', AS_OPERATOR)
    .action(
      action(async (ctx) => {
        const { core, out, opts } = ctx;
        if (opts.active && opts.inactive) throw new UsageError('use only one of --active and --inactive');
        const by = await actingUser(ctx);
        const { listUsers } = await import('../core/users/queries.js');
        const rows = await listUsers(core, by, {
          role: opts.role,
          active: opts.active ? true : opts.inactive ? false : undefined,
          search: opts.search,
          limit: opts.limit,
        });
        await out.list(rows, LIST_COLUMNS);
      }),
    );

  users
    .command('show <user>')
    .description('show a user by id, email or username')
    .option('--as-operator', AS_OPERATOR)
    .action(
      action(async (ctx, ref: string) => {
        const by = await actingUser(ctx);
        const { getUser } = await import('../core/users/queries.js');
        await ctx.out.record(await getUser(ctx.core, by, ref), RECORD_FIELDS);
      }),
    );

  users
    .command('update <user>')
    .description("change a user's profile or role (role: admins only)")
    .option('--email <email>', 'new email')
    .option('--username <name>', 'new username')
    .option('--full-name <name>', 'new full name ("" clears it)')
    .option('--avatar-url <url>', 'new avatar URL ("" clears it)')
    .option('--role <role>', 'user or admin')
    .option('--as-operator', AS_OPERATOR)
    .action(
      action(async (ctx, ref: string) => {
        const { core, out, opts } = ctx;
        const by = await actingUser(ctx);
        const { updateUser } = await import('../core/users/manage.js');
        const user = await updateUser(core, by, ref, {
          email: opts.email,
          username: opts.username,
          fullName: opts.fullName,
          avatarUrl: opts.avatarUrl,
          role: opts.role,
        });
        out.done(`Updated ${user.username} <${user.email}>`, user);
      }),
    );

  for (const [verb, active] of [
    ['disable', false],
    ['enable', true],
  ] as const) {
    users
      .command(`${verb} <user>`)
      .description(active ? 'let a disabled user log in again (admins)' : 'stop a user from logging in and end all their sessions (admins)')
      .option('--as-operator', AS_OPERATOR)
      .action(
        action(async (ctx, ref: string) => {
          const by = await actingUser(ctx);
          const { setUserActive } = await import('../core/users/manage.js');
          const user = await setUserActive(ctx.core, by, ref, active);
          const ended = active ? '' : `; ${user.sessions_ended} session(s) ended`;
          ctx.out.done(`${active ? 'Enabled' : 'Disabled'} ${user.username} <${user.email}>${ended}`, user);
        }),
      );
  }

  users
    .command('delete <user>')
    .description('delete a user and everything they own (admins)')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--as-operator', AS_OPERATOR)
    .action(
      action(async (ctx, ref: string) => {
        const by = await actingUser(ctx);
        const { confirmDestructive } = await import('./prompt.js');
        await confirmDestructive(`Delete user ${ref} and all their workflows, credentials and executions?`, ctx.opts.yes);
        const { deleteUser } = await import('../core/users/manage.js');
        const user = await deleteUser(ctx.core, by, ref);
        ctx.out.done(`Deleted ${user.username} <${user.email}>`, { ...user, deleted: true });
      }),
    );

  users
    .command('set-password <user>')
    .description("set a user's password (yours, or anyone's as admin); their other sessions end")
    .option('--password-stdin', 'read the new password from stdin (otherwise a hidden prompt)')
    .option('--as-operator', AS_OPERATOR)
    .action(
      action(async (ctx, ref: string) => {
        const by = await actingUser(ctx);
        const password = await readPassword(ctx, { prompt: 'New password (at least 12 characters):', confirm: true });
        const { setPassword } = await import('../core/users/manage.js');
        const { user, sessions_ended } = await setPassword(ctx.core, by, ref, password);
        ctx.out.done(`Password changed for ${user.username} <${user.email}>; ${sessions_ended} other session(s) ended`, {
          id: user.id,
          email: user.email,
          sessions_ended,
        });
      }),
    );
}
