import type { NodeType } from '../../types.js';
import { aggregateItems } from './aggregate.js';
import { limitItems } from './limit.js';
import { removeDuplicateInputItems } from './removeDuplicates.js';
import { sortItems } from './sort.js';
import { splitOutItems, splitOutItemsLegacy } from './splitOut.js';
import { summarizeItems } from './summarize.js';
import { nodeError, typeVersion } from './util.js';

/**
 * Item Lists (v1–v3.1): the operations that later became the Split Out, Aggregate,
 * Remove Duplicates, Sort, Limit and Summarize nodes. v1/v2 split-out and aggregate are stricter.
 */
export const itemListsNode: NodeType = {
  type: 'n8n-nodes-base.itemLists',
  versions: [1, 2, 2.1, 2.2, 3, 3.1],
  async execute(ctx) {
    const version = typeVersion(ctx);
    const operation = ctx.getNodeParameter('operation', 0, 'splitOutItems') as string;
    const items = ctx.getInputData();
    switch (operation) {
      case 'splitOutItems':
        return [version >= 3 ? splitOutItems(ctx) : splitOutItemsLegacy(ctx)];
      case 'aggregateItems':
      case 'concatenateItems':
        return [aggregateItems(ctx, version < 3)];
      case 'removeDuplicates':
        return [removeDuplicateInputItems(ctx, items)];
      case 'sort':
        return [await sortItems(ctx)];
      case 'limit':
        return [limitItems(ctx)];
      case 'summarize':
        return [summarizeItems(ctx)];
      default:
        throw nodeError(ctx.node, `The operation "${operation}" is not supported by Item Lists`);
    }
  },
};
