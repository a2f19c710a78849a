import type { NodeType } from '../types.js';
import { NodeOperationError } from '../errors.js';
import { parseDateTime } from './shared/validate.js';

const UNIT_MS: Record<string, number> = { seconds: 1000, minutes: 60_000, hours: 3_600_000, days: 86_400_000 };

/** Wait: time interval or until a date; waits in-process and ends at once on cancel/timeout. */
export const waitNode: NodeType = {
  type: 'n8n-nodes-base.wait',
  versions: [1, 1.1],
  async execute(ctx) {
    const resume = ctx.getNodeParameter('resume', 0, 'timeInterval');
    let ms: number;
    if (resume === 'timeInterval') {
      const amount = Number(ctx.getNodeParameter('amount', 0, 1));
      const unit = String(ctx.getNodeParameter('unit', 0, 'hours'));
      if (!Number.isFinite(amount) || amount < 0) throw new NodeOperationError(ctx.node, `Invalid wait amount: ${amount}`);
      ms = amount * (UNIT_MS[unit] ?? 1000);
    } else if (resume === 'specificTime') {
      const dt = ctx.getNodeParameter('dateTime', 0, '');
      let target: number;
      try {
        target = parseDateTime(dt).toMillis();
      } catch {
        throw new NodeOperationError(ctx.node, `Cannot parse date "${dt}"`);
      }
      ms = Math.max(0, target - Date.now());
    } else {
      throw new NodeOperationError(ctx.node, `Wait node resume mode "${resume}" is not supported in local runs (it needs an incoming webhook or form submission)`);
    }
    await ctx.helpers.sleep(ms);
    return [ctx.getInputData()];
  },
};
