import type { Command } from 'commander';
import { action } from './context.js';
import { printEvent, interruptSignal } from './executions.js';
import { addUserOption, requireActor } from './session.js';

/**
 * Top-level operational commands. Each group registers in its own function below; add new
 * ones (doctor, quickstart) the same way and call them from register().
 */
export function register(program: Command): void {
  registerLogs(program);
  registerQueue(program);
}

/** `jobsprint logs --follow`: live events of all of the caller's executions. */
function registerLogs(program: Command): void {
  addUserOption(
    program
      .command('logs')
      .description('tail the live events of all your executions (JSON Lines with --json)')
      .option('-f, --follow', 'follow live events until interrupted (required)')
      .option('--workflow <id|name>', 'only this workflow')
      .option('--status <status>', 'only events with this status: running, success, failed, cancelled or skipped'),
  ).action(
    action(async (ctx) => {
      const { out, opts, core } = ctx;
      const { UsageError } = await import('../core/errors.js');
      if (!opts.follow) {
        throw new UsageError('`jobsprint logs` only follows live events', {
          hint: 'add --follow, or use `jobsprint executions logs <id>` for one execution’s history',
        });
      }
      const { tailExecutions } = await import('../core/executions/logs.js');
      const { scope } = await requireActor(ctx, { allowUserOverride: true });
      const interrupt = interruptSignal();
      try {
        await tailExecutions(core, scope, {
          workflow: opts.workflow,
          status: opts.status,
          signal: interrupt.signal,
          onReady: () => out.info('following executions (Ctrl-C to stop)'),
          onEvent: (e) => printEvent(out, e, { withExecution: true }),
        });
      } finally {
        interrupt.dispose();
      }
    }),
  );
}

/** `jobsprint queue status`: the execution queue as the broker sees it (operator). */
function registerQueue(program: Command): void {
  const queue = program.command('queue').description('the execution queue (operator: needs JOBSPRINT_AMQP_URL)');
  queue
    .command('status')
    .description('ready, unacknowledged and dead-lettered messages, consumers, and executions awaiting publish')
    .action(
      action(async (ctx) => {
        const { out, core } = ctx;
        const { queueStatus } = await import('../core/executions/health.js');
        const status = await queueStatus(core);
        await out.record(status, [
          { key: 'queue' },
          { key: 'ready' },
          { key: 'unacked', format: (s) => (s.unacked === null ? 'unknown' : String(s.unacked)) },
          { key: 'dead_lettered', header: 'dead lettered' },
          { key: 'consumers' },
          { key: 'awaiting_publish', header: 'awaiting publish', format: (s) => (s.awaiting_publish === null ? 'unknown' : String(s.awaiting_publish)) },
          { key: 'dead_letter_queue', header: 'dead-letter queue' },
        ]);
        if (status.unacked === null && !out.json) out.info(`unacked is unknown: ${status.unacked_note}`);
      }),
    );
}
