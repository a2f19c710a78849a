import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import type { NodeLine, WorkflowDetails } from '../../core/workflows/browse.js';
import type { VersionRow, WorkflowSummary } from '../../core/workflows/store.js';
import { action, intOption } from '../context.js';
import type { Column } from '../output.js';
import { actingAs, tenantCommand } from './shared.js';

const yesNo = (b: boolean) => (b ? 'yes' : 'no');

const LIST_COLUMNS: Column<WorkflowSummary>[] = [
  { key: 'id' },
  { key: 'name' },
  { key: 'is_active', header: 'ACTIVE', format: (w) => yesNo(w.is_active) },
  { key: 'version' },
  { key: 'node_count', header: 'NODES' },
  { key: 'tags' },
  { key: 'category' },
  { key: 'updated_at', header: 'UPDATED' },
];

const SHOW_FIELDS: Column<WorkflowDetails>[] = [
  { key: 'id' },
  { key: 'name' },
  { key: 'description' },
  { key: 'is_active', header: 'active', format: (w) => yesNo(w.is_active) },
  { key: 'version' },
  { key: 'category' },
  { key: 'tags' },
  { key: 'node_count', header: 'nodes' },
  { key: 'total_executions', header: 'executions', format: (w) => `${w.total_executions} (${w.successful_executions} succeeded, ${w.failed_executions} failed)` },
  { key: 'pending_executions', header: 'now', format: (w) => `${w.pending_executions} pending, ${w.running_executions} running` },
  { key: 'last_execution_at', header: 'last execution' },
  { key: 'created_at', header: 'created' },
  { key: 'updated_at', header: 'updated' },
];

const NODE_COLUMNS: Column<NodeLine>[] = [
  { key: 'position', header: '#' },
  { key: 'node_name', header: 'NAME' },
  { key: 'node_type', header: 'TYPE' },
  { key: 'type_version', header: 'VERSION' },
  { key: 'next_nodes', header: 'NEXT', format: (n) => n.next_nodes.join(', ') + (n.disabled ? ' (disabled)' : '') },
];

const HISTORY_COLUMNS: Column<VersionRow & { current: boolean }>[] = [
  { key: 'version', format: (v) => `${v.version}${v.current ? ' (current)' : ''}` },
  { key: 'change' },
  { key: 'name' },
  { key: 'node_count', header: 'NODES' },
  { key: 'created_at', header: 'CREATED' },
  { key: 'created_by', header: 'BY' },
];

export function registerBrowse(workflows: Command): void {
  tenantCommand(workflows, 'list', 'list your workflows, newest first')
    .option('--active', 'only active workflows')
    .option('--inactive', 'only inactive workflows')
    .option('--tag <name>', 'only workflows with this tag')
    .option('--category <name>', 'only this category')
    .option('--search <text>', 'words of the name or description (full-text, English stemming)')
    .option('--limit <n>', 'at most N workflows (1-1000)', intOption('--limit'), 50)
    .option('--cursor <cursor>', 'continue after the page that printed this cursor')
    .action(
      action(async (ctx) => {
        const { core, out, opts } = ctx;
        if (opts.active && opts.inactive) throw new UsageError('use only one of --active and --inactive');
        const as = await actingAs(ctx);
        const { listWorkflows } = await import('../../core/workflows/browse.js');
        const page = await listWorkflows(core, as, {
          active: opts.active ? true : opts.inactive ? false : undefined,
          tag: opts.tag,
          category: opts.category,
          search: opts.search,
          limit: opts.limit,
          cursor: opts.cursor,
        });
        // Each JSON row carries its own `cursor`, so a script pages with the last row's value.
        await out.list(page.workflows, LIST_COLUMNS);
        if (page.next_cursor) out.info(`more: --cursor ${page.next_cursor}`);
      }),
    );

  tenantCommand(workflows, 'show', 'metadata, execution stats and the node table of one workflow')
    .argument('<id|name>')
    .action(
      action(async (ctx, ref: string) => {
        const { core, out } = ctx;
        const as = await actingAs(ctx);
        const { showWorkflow } = await import('../../core/workflows/browse.js');
        const details = await showWorkflow(core, as, ref);
        if (out.json) return out.printJson(details);
        await out.record(details, SHOW_FIELDS);
        out.write('');
        await out.list(details.nodes, NODE_COLUMNS);
      }),
    );

  tenantCommand(workflows, 'history', 'list the versions of a workflow, newest first')
    .argument('<id|name>')
    .action(
      action(async (ctx, ref: string) => {
        const { core, out } = ctx;
        const as = await actingAs(ctx);
        const { workflowHistory } = await import('../../core/workflows/browse.js');
        const h = await workflowHistory(core, as, ref);
        await out.list(h.versions, HISTORY_COLUMNS);
      }),
    );
}
