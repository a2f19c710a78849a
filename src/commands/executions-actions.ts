import type { Command } from 'commander';
import { action } from './context.js';
import { addUserOption, requireActor } from './session.js';

/** `executions retry|cancel`: the pipeline's actions on one execution (called by executions.ts). */
export function registerExecutionActions(executions: Command): void {
  addUserOption(
    executions
      .command('retry')
      .description('run a failed or cancelled execution again (same id; the queue picks it up)')
      .argument('<id>'),
  ).action(
    action(async (ctx, id: string) => {
      const { core, out } = ctx;
      const actingAs = await requireActor(ctx, { allowUserOverride: true });
      const { retryExecution } = await import('../core/executions/retry.js');
      const { openExecutionQueue } = await import('../core/executions/open-queue.js');
      const queue = await openExecutionQueue(core, { role: 'cli' });
      const res = await retryExecution(await core.db(), queue, { requestId: core.requestId, userAgent: core.userAgent }, actingAs, id);
      if (!res.published) out.warn('accepted but not yet on the queue; the daemon publishes it within seconds');
      out.done(`execution ${id} queued again (was ${res.previous_status})`, res);
    }),
  );

  addUserOption(
    executions
      .command('cancel')
      .description('cancel a pending execution at once, or stop a running one (its partial node records are kept)')
      .argument('<id>'),
  ).action(
    action(async (ctx, id: string) => {
      const { core, out } = ctx;
      const actingAs = await requireActor(ctx, { allowUserOverride: true });
      const { cancelExecution } = await import('../core/executions/cancel.js');
      const res = await cancelExecution(core, actingAs, id);
      if (res.status === 'cancelled') {
        out.done(res.previous_status === 'cancelled' ? `execution ${id} was already cancelled` : `execution ${id} cancelled`, res);
        return 0;
      }
      if (res.requested && (res.status === 'running' || res.status === 'pending')) {
        out.warn('cancel requested; the worker has not confirmed yet (it stops at its next heartbeat at the latest)');
        out.done(`execution ${id} cancelling`, res);
        return 0;
      }
      // It ended some other way while the cancel was on its way.
      out.done(`execution ${id} ended as ${res.status} before the cancel took effect`, res);
      return 0;
    }),
  );
}
