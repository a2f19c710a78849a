import type { Command } from 'commander';
import { action, type CommandContext } from './context.js';
import { ConflictError } from '../core/errors.js';
import type { LocalKeyResult } from '../core/credentials/local-keys.js';
import { requireRotator } from './credentials.js';

const AS_OPERATOR = 'act as the operator (no session)';

function report(ctx: CommandContext, verb: string, r: LocalKeyResult): void {
  const { out } = ctx;
  if (r.warning) out.warn(r.warning);
  if (r.shadowed) out.warn('JOBSPRINT_ENCRYPTION_KEYS(_FILE) is set and takes precedence over the stored keys');
  out.done(`${verb} key ${r.id} in ${r.location}`, { id: r.id, location: r.location, key_ids: r.ids });
}

async function usage(ctx: CommandContext): Promise<Record<string, number>> {
  await requireRotator(ctx);
  const { keyUsage } = await import('../core/credentials/rotate.js');
  return keyUsage(await ctx.core.db());
}

export function register(program: Command): void {
  const keys = program
    .command('keys')
    .description('key-encryption keys for credentials (servers: JOBSPRINT_ENCRYPTION_KEYS or _FILE)')
    .addHelpText(
      'after',
      `
Keys are configured as id:base64,id:base64 (32 random bytes each, e.g. \`openssl rand -base64 32\`);
the first is active. JOBSPRINT_ENCRYPTION_KEYS or JOBSPRINT_ENCRYPTION_KEYS_FILE, when set, is the
whole configuration; otherwise the keys stored by \`keys init\` (OS keychain, or a 0600 file in the
config directory when there is no keychain) are used.`,
    );

  keys
    .command('init')
    .description('generate a key for this machine and store it in the OS keychain (or a 0600 file)')
    .option('--id <id>', 'key id', 'k1')
    .action(
      action(async (ctx) => {
        const { initLocalKeys } = await import('../core/credentials/local-keys.js');
        report(ctx, 'stored', await initLocalKeys(ctx.core.config, { id: ctx.opts.id }));
      }),
    );

  keys
    .command('add')
    .description('generate a new active key in the local store (then run `credentials rotate-key`)')
    .option('--id <id>', 'key id (default: the next kN)')
    .action(
      action(async (ctx) => {
        const { addLocalKey } = await import('../core/credentials/local-keys.js');
        report(ctx, 'added', await addLocalKey(ctx.core.config, { id: ctx.opts.id }));
      }),
    );

  keys
    .command('list')
    .description('list configured key ids and where each comes from (never key material)')
    .option('--usage', 'also count the credentials wrapped by each key (reads the database)')
    .option('--as-operator', AS_OPERATOR)
    .action(
      action(async (ctx) => {
        const { listKeys } = await import('../core/credentials/keys.js');
        const rows: Array<Record<string, unknown>> = (await listKeys(ctx.core.config)).map((k) => ({ ...k }));
        if (ctx.opts.usage) {
          const counts = await usage(ctx);
          for (const r of rows) r.credentials = counts[r.id as string] ?? 0;
          // Keys credentials still use but the configuration lacks: those credentials cannot be decrypted.
          for (const [id, n] of Object.entries(counts)) {
            if (!rows.some((r) => r.id === id)) rows.push({ id, active: false, source: 'missing', location: 'not configured', credentials: n });
          }
        }
        await ctx.out.list(rows, [
          { key: 'id' },
          { key: 'active', format: (r) => (r.active ? 'yes' : '') },
          { key: 'source' },
          { key: 'location' },
          ...(ctx.opts.usage ? [{ key: 'credentials' }] : []),
        ]);
      }),
    );

  keys
    .command('remove <id>')
    .description('remove a key from the local store (refused while credentials still use it)')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--force', 'remove even if credentials still use it (they become undecryptable)')
    .option('--as-operator', AS_OPERATOR)
    .action(
      action(async (ctx, id: string) => {
        const { opts } = ctx;
        const inUse = (await usage(ctx))[id] ?? 0;
        if (inUse && !opts.force) {
          throw new ConflictError(`key ${id} still wraps ${inUse} credential${inUse > 1 ? 's' : ''}`, {
            hint: 'run `jobsprint credentials rotate-key` first, or pass --force',
          });
        }
        const { confirmDestructive } = await import('./prompt.js');
        await confirmDestructive(`Remove key ${id}? Credentials wrapped by it cannot be decrypted without it.`, opts.yes);
        const { removeLocalKey } = await import('../core/credentials/local-keys.js');
        report(ctx, 'removed', await removeLocalKey(ctx.core.config, id));
      }),
    );
}
