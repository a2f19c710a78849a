import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { IDataObject, INodeExecutionData, NodeExecuteContext, NodeType, WorkflowDefinition } from '../types.js';
import { NodeOperationError } from '../errors.js';
import { perItem } from './extra/util.js';

async function loadSub(ctx: NodeExecuteContext, i: number): Promise<WorkflowDefinition> {
  const source = ctx.getNodeParameter('source', i, 'database');
  if (source === 'parameter') {
    const j = ctx.getNodeParameter('workflowJson', i, '{}');
    try {
      return typeof j === 'string' ? JSON.parse(j) : j;
    } catch {
      throw new NodeOperationError(ctx.node, 'The workflow JSON in "workflowJson" is not valid JSON', { itemIndex: i });
    }
  }
  if (source === 'localFile') {
    const p = String(ctx.getNodeParameter('workflowPath', i, ''));
    const base = (ctx as any).ex?.options?.baseDir ?? process.cwd();
    try {
      return JSON.parse(await readFile(path.resolve(base, p), 'utf8'));
    } catch (e) {
      throw new NodeOperationError(ctx.node, `Cannot read sub-workflow file "${p}": ${(e as Error).message}`, { itemIndex: i });
    }
  }
  if (source === 'url') throw new NodeOperationError(ctx.node, 'Loading sub-workflows from a URL is not supported');
  let id = ctx.getNodeParameter('workflowId', i, '');
  if (id && typeof id === 'object') id = (id as IDataObject).value;
  if (!id) throw new NodeOperationError(ctx.node, 'No workflow ID given', { itemIndex: i });
  if (!ctx.loadWorkflow) throw new NodeOperationError(ctx.node, `Cannot load workflow "${id}": no workflow loader configured`);
  return await ctx.loadWorkflow(String(id));
}

/** Execute Workflow: runs a sub-workflow (file, parameter JSON or id via the injected loader). */
export const executeWorkflowNode: NodeType = {
  type: 'n8n-nodes-base.executeWorkflow',
  versions: [1, 1.1, 1.2, 1.3],
  async execute(ctx) {
    const items = ctx.getInputData();
    const mode = ctx.getNodeParameter('mode', 0, 'once');
    const wait = ctx.getNodeParameter('options.waitForSubWorkflow', 0, true) !== false;
    if (mode === 'each') {
      const out = await perItem(ctx, items, async (item, i) => {
        const wf = await loadSub(ctx, i);
        const res = await ctx.executeSubWorkflow(wf, [item], { waitForSubWorkflow: wait });
        return ((wait ? res?.[0] : [item]) ?? []).map((it): INodeExecutionData => ({ ...it, pairedItem: { item: i } }));
      });
      return [out];
    }
    try {
      const wf = await loadSub(ctx, 0);
      const res = await ctx.executeSubWorkflow(wf, items, { waitForSubWorkflow: wait });
      if (!wait) return [items];
      return res ?? null;
    } catch (e) {
      if (!ctx.continueOnFail()) throw e;
      return [[{ json: { error: (e as Error).message } }]];
    }
  },
};
