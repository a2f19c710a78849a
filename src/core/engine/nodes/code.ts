import type { INodeExecutionData, NodeExecuteContext, NodeType } from '../types.js';
import { NodeOperationError } from '../errors.js';

async function run(ctx: NodeExecuteContext, flavor: 'code' | 'function' | 'functionItem', code: string, mode: 'runOnceForAllItems' | 'runOnceForEachItem') {
  const perItem = mode === 'runOnceForEachItem' || flavor === 'functionItem';
  if (!ctx.continueOnFail()) return [await ctx.runCode({ code, mode, flavor })];
  if (!perItem) {
    try {
      return [await ctx.runCode({ code, mode, flavor })];
    } catch (e) {
      if (isFatal(e)) throw e;
      return [[{ json: { error: (e as Error).message } }]];
    }
  }
  // continueOnFail in per-item mode: one sandbox call per item so a failing item becomes an error item
  const out: INodeExecutionData[] = [];
  const n = ctx.getInputData().length;
  for (let i = 0; i < n; i++) {
    try {
      const items = await ctx.runCode({ code, mode: 'runOnceForEachItem', flavor, itemIndex: i });
      out.push(...items);
    } catch (e) {
      if (isFatal(e)) throw e;
      out.push({ json: { error: (e as Error).message }, pairedItem: { item: i } });
    }
  }
  return [out];
}

/** Cancellation is never turned into an error item. */
function isFatal(e: unknown): boolean {
  const n = (e as any)?.name ?? '';
  return n.includes('Cancelled') || n === 'AbortError';
}

export const codeNode: NodeType = {
  type: 'n8n-nodes-base.code',
  versions: [1, 2],
  async execute(ctx) {
    const language = ctx.getNodeParameter('language', 0, 'javaScript');
    if (language !== 'javaScript') throw new NodeOperationError(ctx.node, `Code node language "${language}" is not supported by the Jobsprint engine (only JavaScript)`);
    const mode = ctx.getNodeParameter('mode', 0, 'runOnceForAllItems');
    const code = String(ctx.getNodeParameter('jsCode', 0, '', { rawExpressions: true }) ?? '');
    return run(ctx, 'code', code, mode === 'runOnceForEachItem' ? 'runOnceForEachItem' : 'runOnceForAllItems');
  },
};

export const functionNode: NodeType = {
  type: 'n8n-nodes-base.function',
  versions: [1],
  async execute(ctx) {
    const code = String(ctx.getNodeParameter('functionCode', 0, '', { rawExpressions: true }) ?? '');
    return run(ctx, 'function', code, 'runOnceForAllItems');
  },
};

export const functionItemNode: NodeType = {
  type: 'n8n-nodes-base.functionItem',
  versions: [1],
  async execute(ctx) {
    const code = String(ctx.getNodeParameter('functionCode', 0, '', { rawExpressions: true }) ?? '');
    return run(ctx, 'functionItem', code, 'runOnceForEachItem');
  },
};
