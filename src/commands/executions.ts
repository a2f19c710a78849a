import type { Command } from 'commander';
import { action, intOption, type CommandContext } from './context.js';
import type { Column, Output } from './output.js';
import { addUserOption, requireActor } from './session.js';
import { registerExecutionActions } from './executions-actions.js';
import type { ExecutionEvent } from '../core/executions/events.js';
import type { ExecutionNodeRow, ExecutionSummary } from '../core/executions/inspect.js';

const LIST_COLUMNS: Column<ExecutionSummary>[] = [
  { key: 'id' },
  { key: 'workflow_name', header: 'WORKFLOW', format: (e) => e.workflow_name ?? e.workflow_id },
  { key: 'status' },
  { key: 'trigger_type', header: 'TRIGGER' },
  { key: 'started_at', header: 'STARTED' },
  { key: 'duration_ms', header: 'DURATION', format: (e) => ms(e.duration_ms) },
  { key: 'attempt', format: (e) => (e.attempt === null ? '' : String(e.attempt)) },
];

const SHOW_FIELDS: Column<ExecutionSummary & { execution_metadata?: Record<string, unknown> }>[] = [
  { key: 'id' },
  { key: 'workflow_id', header: 'workflow', format: (e) => (e.workflow_name ? `${e.workflow_name} (${e.workflow_id})` : e.workflow_id) },
  { key: 'status' },
  { key: 'trigger_type', header: 'trigger' },
  { key: 'started_at', header: 'started' },
  { key: 'completed_at', header: 'completed' },
  { key: 'duration_ms', header: 'duration', format: (e) => ms(e.duration_ms) },
  { key: 'attempt' },
  { key: 'retry_count', header: 'retries', format: (e) => `${e.retry_count} of ${e.max_retries}` },
  { key: 'worker', format: (e) => String(e.execution_metadata?.worker_id ?? '') },
  { key: 'error_message', header: 'error' },
];

const NODE_COLUMNS: Column<ExecutionNodeRow>[] = [
  { key: 'node_name', header: 'NODE' },
  { key: 'node_type', header: 'TYPE' },
  { key: 'status' },
  { key: 'items_in', header: 'IN' },
  { key: 'items_out', header: 'OUT' },
  { key: 'duration_ms', header: 'DURATION', format: (n) => ms(n.duration_ms) },
  { key: 'retry_count', header: 'RETRIES' },
  { key: 'error_message', header: 'ERROR' },
];

function ms(v: number | null | undefined): string {
  return v === null || v === undefined ? '' : `${v} ms`;
}

/**
 * One line per event: time, node (or "execution"), status, items, duration, error. Tab-separated
 * off a terminal so it can be cut; JSON Lines with --json.
 */
export function printEvent(out: Output, e: ExecutionEvent, opts: { withExecution?: boolean } = {}): void {
  if (out.json) return out.jsonLine(e);
  const cols: string[] = [e.at];
  if (opts.withExecution) cols.push(e.execution_id);
  switch (e.type) {
    case 'execution.started':
      cols.push('execution', 'running', e.attempt ? `attempt ${e.attempt}` : '', '', '');
      break;
    case 'execution.finished':
      cols.push('execution', e.retry_scheduled ? `${e.status} (retry scheduled)` : e.status, '', ms(e.duration_ms), e.error ?? '');
      break;
    case 'node.started':
      cols.push(e.node_name, 'running', e.retry ? `retry ${e.retry}` : '', '', '');
      break;
    case 'node.finished':
      cols.push(e.node_name, e.status, `items ${e.items_in}→${e.items_out.join(',') || 0}`, ms(e.duration_ms), e.error ?? '');
      break;
  }
  const clean = cols.map((c) => c.replace(/[\t\n]/g, ' '));
  if (!out.isTTY) return out.write(clean.join('\t').replace(/\t+$/, ''));
  const [at, ...rest] = clean;
  const colour = (s: string) => (/^(failed|cancelled)/.test(s) ? out.c.red(s) : s === 'success' ? out.c.green(s) : s);
  const node = opts.withExecution ? `${rest.shift()!.slice(0, 8)}  ${rest.shift()!.padEnd(20)}` : rest.shift()!.padEnd(20);
  const [status, items, dur, err] = rest;
  out.write(`${out.c.dim(at!)}  ${node}  ${colour(status!.padEnd(10))}  ${items!.padEnd(14)}  ${dur!.padStart(9)}  ${err ? out.c.red(err) : ''}`.trimEnd());
}

/** Ctrl-C / SIGTERM stop a follower cleanly (the finally blocks close connections). */
export function interruptSignal(): { signal: AbortSignal; dispose: () => void } {
  const ac = new AbortController();
  const stop = () => ac.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return {
    signal: ac.signal,
    dispose: () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    },
  };
}

async function tenantDb(ctx: CommandContext) {
  const { scope } = await requireActor(ctx, { allowUserOverride: true });
  return { scope, db: await ctx.core.db() };
}

export function register(program: Command): void {
  const executions = program
    .command('executions')
    .description('inspect executions and follow their logs')
    .addHelpText(
      'after',
      `
Examples:
  $ jobsprint executions list --status failed --since 24h
  $ jobsprint executions list --workflow "Daily report" --limit 50 --json
  $ jobsprint executions show 3f2a…-id
  $ jobsprint executions logs 3f2a…-id --follow          exit 0 success, 1 failed or cancelled
  $ jobsprint logs --follow --status failed              every execution of yours, live`,
    );

  addUserOption(
    executions
      .command('list')
      .description('list your executions, newest first')
      .option('--workflow <id|name>', 'only this workflow')
      .option('--status <status>', 'pending, running, success, failed or cancelled')
      .option('--trigger <type>', 'manual, scheduled, webhook or api')
      .option('--since <time>', 'started at or after: ISO time or a duration ago (2h, 7d)')
      .option('--until <time>', 'started before: ISO time or a duration ago')
      .option('--limit <n>', 'at most N executions (1-1000)', intOption('--limit'), 20)
      .option('--cursor <cursor>', 'continue after the page that printed this cursor'),
  ).action(
    action(async (ctx) => {
      const { out, opts } = ctx;
      const { listExecutions, parseTimeFlag } = await import('../core/executions/inspect.js');
      const since = opts.since !== undefined ? parseTimeFlag('--since', opts.since) : undefined;
      const until = opts.until !== undefined ? parseTimeFlag('--until', opts.until) : undefined;
      const { scope, db } = await tenantDb(ctx);
      const page = await db.tenantTransaction(scope, (tx) =>
        listExecutions(tx, { workflow: opts.workflow, status: opts.status, trigger: opts.trigger, since, until, limit: opts.limit, cursor: opts.cursor }),
      );
      // Each JSON row carries its own `cursor`, so a script pages with the last row's value.
      await out.list(page.items, LIST_COLUMNS);
      if (page.next_cursor) out.info(`more: --cursor ${page.next_cursor}`);
    }),
  );

  addUserOption(executions.command('show').description('status, timings, attempts and the per-node table of one execution').argument('<id>')).action(
    action(async (ctx, id: string) => {
      const { out } = ctx;
      const { getExecution } = await import('../core/executions/inspect.js');
      const { scope, db } = await tenantDb(ctx);
      const detail = await db.tenantTransaction(scope, (tx) => getExecution(tx, id));
      if (out.json) return out.printJson(detail);
      await out.record(detail, SHOW_FIELDS);
      out.write('');
      await out.list(detail.nodes, NODE_COLUMNS);
    }),
  );

  addUserOption(
    executions
      .command('logs')
      .description('one line per node event; with --follow, live until the execution ends (exit 0 success, 1 failed or cancelled)')
      .argument('<id>')
      .option('-f, --follow', 'keep printing live events until the execution ends'),
  ).action(
    action(async (ctx, id: string) => {
      const { out, opts, core } = ctx;
      const { followExecution } = await import('../core/executions/logs.js');
      const { scope } = await tenantDb(ctx);
      const interrupt = interruptSignal();
      try {
        const res = await followExecution(core, scope, id, {
          follow: !!opts.follow,
          signal: interrupt.signal,
          onEvent: (e) => printEvent(out, e),
        });
        if (interrupt.signal.aborted && !res.final) return 130;
        if (!res.final) return 0;
        return res.status === 'success' ? 0 : 1;
      } finally {
        interrupt.dispose();
      }
    }),
  );

  // retry and cancel: the pipeline's commands.
  registerExecutionActions(executions);
}
