import type { Command } from 'commander';
import { UsageError } from '../core/errors.js';
import type { IntegrationRow } from '../core/integrations/integrations.js';
import type { CatalogEntry } from '../core/integrations/catalog.js';
import { action } from './context.js';
import type { Column } from './output.js';
import { addUserOption, requireActor } from './session.js';

const COLUMNS: Column<IntegrationRow>[] = [
  { key: 'app_id', header: 'APP ID' },
  { key: 'app_name', header: 'NAME' },
  { key: 'app_type', header: 'TYPE' },
  { key: 'is_active', header: 'ACTIVE', format: (r) => (r.is_active ? 'yes' : 'no') },
  { key: 'is_connected', header: 'CONNECTED', format: (r) => (r.is_connected ? 'yes' : 'no') },
  { key: 'capabilities' },
  { key: 'id' },
];

const CATALOG_COLUMNS: Column<CatalogEntry>[] = [
  { key: 'node_type', header: 'NODE TYPE' },
  { key: 'trigger', format: (e) => (e.trigger ? 'yes' : '') },
  { key: 'versions', format: (e) => (e.versions ? e.versions.join(', ') : 'any') },
  { key: 'credential_types', header: 'CREDENTIAL TYPES' },
];

function parseCapabilities(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new UsageError('--capabilities is not valid JSON', { hint: `e.g. --capabilities '{"triggers":["new_row"]}'` });
  }
}

export function register(program: Command): void {
  const integrations = program.command('integrations').description('third-party apps you connect (zapier, custom, n8n) and the node catalog');

  addUserOption(integrations.command('list').description('list your integrations'))
    .option('--type <type>', 'only zapier, custom or n8n')
    .action(
      action(async (ctx) => {
        const as = await requireActor(ctx, { allowUserOverride: true });
        const { listIntegrations } = await import('../core/integrations/integrations.js');
        await ctx.out.list(await listIntegrations(ctx.core, as, { type: ctx.opts.type }), COLUMNS);
      }),
    );

  addUserOption(integrations.command('add').description('add an integration'))
    .requiredOption('--app-id <id>', 'the app id (unique per user), e.g. google-sheets')
    .requiredOption('--app-name <name>', 'display name')
    .requiredOption('--type <type>', 'zapier, custom or n8n')
    .option('--capabilities <json>', 'triggers, actions and webhooks the app offers, as a JSON object')
    .action(
      action(async (ctx) => {
        const { opts } = ctx;
        const as = await requireActor(ctx, { allowUserOverride: true });
        const { addIntegration } = await import('../core/integrations/integrations.js');
        const row = await addIntegration(ctx.core, as, { appId: opts.appId, appName: opts.appName, appType: opts.type, capabilities: parseCapabilities(opts.capabilities) });
        ctx.out.done(`added integration ${row.app_id} (${row.id})`, row);
      }),
    );

  addUserOption(integrations.command('remove').description('remove an integration').argument('<app-id|id>'))
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--force', 'also delete the credentials linked to it')
    .action(
      action(async (ctx, ref: string) => {
        const as = await requireActor(ctx, { allowUserOverride: true });
        const { confirmDestructive } = await import('./prompt.js');
        await confirmDestructive(`Remove integration "${ref}"?`, ctx.opts.yes);
        const { removeIntegration } = await import('../core/integrations/integrations.js');
        const row = await removeIntegration(ctx.core, as, ref, { force: !!ctx.opts.force });
        const creds = row.deleted_credentials ? ` and ${row.deleted_credentials} credential${row.deleted_credentials > 1 ? 's' : ''}` : '';
        ctx.out.done(`removed integration ${row.app_id}${creds}`, row);
      }),
    );

  integrations
    .command('catalog')
    .description('node types the engine supports and the credential types they use')
    .action(
      action(async (ctx) => {
        const { integrationCatalog } = await import('../core/integrations/catalog.js');
        await ctx.out.list(await integrationCatalog(), CATALOG_COLUMNS);
      }),
    );
}
