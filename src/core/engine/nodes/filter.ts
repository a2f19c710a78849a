import type { IDataObject, INodeExecutionData, NodeType } from '../types.js';
import { NodeOperationError } from '../errors.js';
import { evalV2 } from './if.js';
import { compareV1 } from './shared/compareV1.js';

/** Filter: v1 (If-v1 style conditions, combineConditions AND/OR) and v2+ (filter conditions). */
export const filterNode: NodeType = {
  type: 'n8n-nodes-base.filter',
  versions: [1, 2, 2.1, 2.2],
  async execute(ctx) {
    const items = ctx.getInputData();
    const kept: INodeExecutionData[] = [];
    for (let i = 0; i < items.length; i++) {
      const item = { ...items[i], pairedItem: { item: i } } as INodeExecutionData;
      try {
        let pass: boolean;
        if (ctx.node.typeVersion < 2) {
          const combine = String(ctx.getNodeParameter('combineConditions', i, 'AND')).toUpperCase();
          const conditions = (ctx.getNodeParameter('conditions', i, {}) ?? {}) as Record<string, IDataObject[]>;
          const rs: boolean[] = [];
          for (const type of ['boolean', 'dateTime', 'number', 'string']) for (const c of conditions[type] ?? []) rs.push(compareV1(type, c));
          pass = combine === 'OR' ? rs.some(Boolean) : rs.every(Boolean);
        } else pass = evalV2(ctx, i);
        if (pass) kept.push(item);
      } catch (e) {
        if (ctx.continueOnFail()) continue;
        if (e instanceof NodeOperationError) throw e;
        throw new NodeOperationError(ctx.node, (e as Error).message, { itemIndex: i, description: (e as any).description });
      }
    }
    return [kept];
  },
};
