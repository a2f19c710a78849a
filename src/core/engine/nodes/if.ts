import type { IDataObject, INodeExecutionData, NodeExecuteContext, NodeType } from '../types.js';
import { NodeOperationError } from '../errors.js';
import { executeFilter, type FilterValue } from './shared/filter.js';
import { compareV1 } from './shared/compareV1.js';

/** If: v1 (typed condition lists) and v2+ (filter conditions). Output 0 = true, 1 = false. */
export const ifNode: NodeType = {
  type: 'n8n-nodes-base.if',
  versions: [1, 2, 2.1, 2.2, 2.3],
  outputs: () => 2,
  async execute(ctx) {
    const items = ctx.getInputData();
    const t: INodeExecutionData[] = [];
    const f: INodeExecutionData[] = [];
    for (let i = 0; i < items.length; i++) {
      const item = { ...items[i], pairedItem: { item: i } } as INodeExecutionData;
      try {
        const pass = ctx.node.typeVersion < 2 ? evalV1(ctx, i) : evalV2(ctx, i);
        (pass ? t : f).push(item);
      } catch (e) {
        if (ctx.continueOnFail()) {
          f.push(item);
          continue;
        }
        if (e instanceof NodeOperationError) throw e;
        throw new NodeOperationError(ctx.node, (e as Error).message, { itemIndex: i, description: (e as any).description });
      }
    }
    return [t, f];
  },
};

export function evalV2(ctx: NodeExecuteContext, i: number, param = 'conditions'): boolean {
  const cond = ctx.getNodeParameter(param, i, {}) as FilterValue;
  const loose = !!ctx.getNodeParameter('looseTypeValidation', i, false) || !!ctx.getNodeParameter('options.looseTypeValidation', i, false);
  try {
    return executeFilter(cond, i, loose);
  } catch (e) {
    if (!loose && (e as any).name === 'FilterError')
      (e as any).description = "Try changing the type of comparison. Alternatively you can enable 'Convert types where required'.";
    throw e;
  }
}

function evalV1(ctx: NodeExecuteContext, i: number): boolean {
  const combine = ctx.getNodeParameter('combineOperation', i, 'all');
  const conditions = (ctx.getNodeParameter('conditions', i, {}) ?? {}) as Record<string, IDataObject[]>;
  for (const type of ['boolean', 'dateTime', 'number', 'string']) {
    for (const c of conditions[type] ?? []) {
      const r = compareV1(type, c, ctx.node.typeVersion);
      if (combine === 'any' && r) return true;
      if (combine !== 'any' && !r) return false;
    }
  }
  return combine === 'any' ? false : true;
}
