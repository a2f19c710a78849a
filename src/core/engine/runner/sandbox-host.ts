import type { IDataObject } from '../types.js';
import type { SandboxHost } from '../sandbox/sandbox.js';
import type { WorkflowExecution } from './execute.js';

/** Static data keys as n8n stores them: 'global' and 'node:<name>'. */
export const isStaticDataKey = (key: string): boolean => key === 'global' || key.startsWith('node:');

/** The read-only view of an execution the sandbox may query: plain strings and numbers only. */
export function sandboxHostFor(ex: WorkflowExecution): SandboxHost {
  return {
    getRun: (node, run) => {
      const t = ex.runData[node]?.[run];
      if (!t) return '';
      return JSON.stringify({ source: t.source ?? [], main: t.data?.main ?? [] });
    },
    runCount: (node) => (ex.graph.nodes.has(node) ? ex.runData[node]?.length ?? 0 : -1),
    connIndex: (dest, src) => ex.graph.getConnectionIndexes(dest, src)?.sourceIndex ?? -1,
    nodeParams: (node) => JSON.stringify(ex.graph.getNode(node)?.parameters ?? {}),
    nodeContext: (node) => JSON.stringify(ex.nodeContexts.get(node) ?? {}),
    getStaticData: (key) => JSON.stringify((isStaticDataKey(key) && (ex.staticData[key] as IDataObject)) || {}),
    log: (level, msg) => {
      const l = ex.options.logger;
      if (!l) return;
      (l as any)[level === 'log' ? 'info' : level]?.(`[${ex.currentNode?.name ?? 'sandbox'}] ${msg}`);
    },
  };
}
