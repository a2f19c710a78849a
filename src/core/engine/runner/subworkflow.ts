import type { INodeExecutionData, WorkflowDefinition } from '../types.js';
import type { ExecContext } from './context.js';
import { NodeOperationError } from '../errors.js';
import { WorkflowExecution } from './execute.js';

const MAX_DEPTH = 16;

/** Runs a sub-workflow inside the parent's execution (same signal, own sandbox); returns the last node's output. */
export async function runSubWorkflow(ctx: ExecContext, wf: WorkflowDefinition, items: INodeExecutionData[], wait = true): Promise<INodeExecutionData[][] | null> {
  const parent = ctx.ex.options;
  const depth = (parent.depth ?? 0) + 1;
  if (depth > MAX_DEPTH) throw new NodeOperationError(ctx.node, `Sub-workflow nesting deeper than ${MAX_DEPTH} levels`);
  if (!wf || !Array.isArray(wf.nodes)) throw new NodeOperationError(ctx.node, 'The sub-workflow is not a valid workflow (no nodes)');
  const ex = new WorkflowExecution(wf, {
    ...parent,
    input: items.map((i) => ({ json: i.json, ...(i.binary ? { binary: i.binary } : {}) })),
    signal: ctx.signal,
    timeoutMs: undefined,
    startNode: undefined,
    usePinData: false,
    mode: 'integrated',
    executionId: `${ctx.executionId}-sub${depth}-${Math.random().toString(36).slice(2, 8)}`,
    depth,
    onEvent: undefined,
    // a sub-workflow cannot answer the parent's webhook caller (n8n: no Webhook node in it)
    onWebhookResponse: undefined,
  });
  const p = ex.run();
  if (!wait) {
    p.catch(() => undefined);
    return null;
  }
  const res = await p;
  if (res.status !== 'success') {
    const e = new NodeOperationError(ctx.node, res.error?.message ?? 'Sub-workflow failed', { description: res.error?.description ?? undefined });
    // The sub-run's own cancel reason: a timeout stays a timeout (TimeoutExecutionCancelledError).
    if (res.status === 'canceled') e.name = res.error?.name ?? 'ManualExecutionCancelledError';
    throw e;
  }
  const last = res.lastNodeExecuted;
  if (!last) return null;
  const runs = res.runData[last];
  const data = runs?.[runs.length - 1]?.data?.main;
  return (data as INodeExecutionData[][]) ?? null;
}
