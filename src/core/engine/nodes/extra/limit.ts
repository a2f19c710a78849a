import type { INodeExecutionData, NodeExecuteContext, NodeType } from '../../types.js';

/** Limit node / Item Lists "limit": keep the first or last N items. */
export function limitItems(ctx: NodeExecuteContext): INodeExecutionData[] {
  const items = ctx.getInputData();
  const maxItems = Number(ctx.getNodeParameter('maxItems', 0, 1));
  const keep = ctx.getNodeParameter('keep', 0, 'firstItems') as string;
  if (maxItems > items.length) return items;
  return keep === 'firstItems' ? items.slice(0, maxItems) : items.slice(items.length - maxItems, items.length);
}

export const limitNode: NodeType = {
  type: 'n8n-nodes-base.limit',
  versions: [1],
  async execute(ctx) {
    return [limitItems(ctx)];
  },
};
