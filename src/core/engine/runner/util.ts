import type { IDataObject, INode, INodeExecutionData, RunOptions } from '../types.js';
import type { WorkflowGraph } from './graph.js';
import { ExecutionCanceledError } from '../errors.js';
import { getNodeType } from '../nodes/registry.js';
import { deepCopy } from '../nodes/shared/copy.js';

/** Sleep that rejects as soon as the signal aborts (so waits end promptly on cancel/timeout). */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason instanceof Error ? signal.reason : new ExecutionCanceledError());
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason instanceof Error ? signal!.reason : new ExecutionCanceledError());
    };
    // setTimeout caps at ~24.8 days; chain for longer waits
    const MAX = 2 ** 31 - 1;
    let t: NodeJS.Timeout;
    const arm = (left: number) => {
      t = setTimeout(() => {
        if (left > MAX) arm(left - MAX);
        else {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        }
      }, Math.min(left, MAX));
    };
    arm(Math.max(0, ms));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function normalizeInputItems(input: RunOptions['input']): INodeExecutionData[] | undefined {
  if (input === undefined) return undefined;
  const arr = Array.isArray(input) ? input : [input];
  return arr.map((it: any) =>
    it && typeof it === 'object' && 'json' in it && typeof it.json === 'object' && it.json !== null
      ? { json: it.json, ...(it.binary ? { binary: it.binary } : {}) }
      : { json: (it && typeof it === 'object' ? it : { value: it }) as IDataObject },
  );
}

export function normalizePinItems(items: Array<INodeExecutionData | IDataObject>): INodeExecutionData[] {
  return items.map((it: any) => {
    if (it && typeof it === 'object' && it.json && typeof it.json === 'object') {
      const out: INodeExecutionData = { json: deepCopy(it.json) };
      if (it.binary) out.binary = it.binary;
      return out;
    }
    return { json: deepCopy(it ?? {}) };
  });
}

/** Start-node priority like n8n's getStartNode: trigger/poll nodes, then STARTING_NODE_TYPES, then webhooks. */
const STARTING = ['n8n-nodes-base.manualTrigger', 'n8n-nodes-base.executeWorkflowTrigger', 'n8n-nodes-base.errorTrigger', 'n8n-nodes-base.start'];

export function startPriority(node: INode): number {
  const nt = getNodeType(node.type);
  if (!nt?.trigger) return 0;
  if (STARTING.includes(node.type) && node.type !== 'n8n-nodes-base.manualTrigger') return 2;
  if (nt.webhookLike) return 3;
  return 1;
}

export function pickStartNodes(graph: WorkflowGraph, options: RunOptions): INode[] {
  if (options.startNode) {
    const n = graph.getNode(options.startNode);
    if (!n) throw new Error(`Start node "${options.startNode}" not found in the workflow`);
    return [n];
  }
  const nodes = [...graph.nodes.values()].filter((n) => !n.disabled && !getNodeType(n.type)?.ignored);
  if (options.mode === 'integrated') {
    const t = nodes.find((n) => n.type === 'n8n-nodes-base.executeWorkflowTrigger');
    if (t) return [t];
  }
  if (nodes.length === 1) return nodes;
  let best: INode | undefined;
  let bestP = 99;
  for (const n of nodes) {
    const p = startPriority(n);
    if (p > 0 && p < bestP) {
      best = n;
      bestP = p;
    }
  }
  if (best) return [best];
  // No trigger: start at every root (nodes without main inputs), like a partial run would.
  const roots = nodes.filter((n) => graph.inputCount(n.name) === 0);
  if (graph.def.settings?.executionOrder === 'v1') {
    roots.sort((a, b) => (a.position?.[0] ?? 0) - (b.position?.[0] ?? 0) || (a.position?.[1] ?? 0) - (b.position?.[1] ?? 0));
  }
  if (!roots.length) throw new Error('No node to start the workflow from could be found');
  return roots;
}
