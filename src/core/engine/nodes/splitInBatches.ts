import type { IDataObject, INodeExecutionData, IPairedItemData, ISourceData, NodeType } from '../types.js';

/** SplitInBatches / Loop Over Items. v1-v2: one output, returns null when done; v3: outputs [done, loop]. */
export const splitInBatchesNode: NodeType = {
  type: 'n8n-nodes-base.splitInBatches',
  versions: [1, 2, 3],
  outputs: (node) => (node.typeVersion >= 2 ? 2 : 1),
  async execute(ctx) {
    // v2: outputs [loop, done]; v3: [done, loop]; both collect processed items for "done"
    const v3 = ctx.node.typeVersion >= 2;
    const doneFirst = ctx.node.typeVersion >= 3;
    const items = ctx.getInputData().slice();
    const c = ctx.getNodeContext() as IDataObject & { items?: INodeExecutionData[]; processedItems?: INodeExecutionData[] };
    const batchSize = Number(ctx.getNodeParameter('batchSize', 0, v3 ? 1 : 10)) || 1;
    const options = (ctx.getNodeParameter('options', 0, {}) ?? {}) as IDataObject;
    const ret: INodeExecutionData[] = [];
    const reset = options.reset === true;
    if (c.items === undefined || reset || (doneFirst && c.done === true)) {
      c.currentRunIndex = 0;
      c.maxRunIndex = Math.ceil(items.length / batchSize);
      c.sourceData = structuredClone(ctx.getInputSource(0)) as any;
      ret.push(...items.splice(0, batchSize));
      c.items = [...items];
      if (v3) c.processedItems = [];
    } else {
      c.currentRunIndex = Number(c.currentRunIndex) + 1;
      ret.push(...c.items.splice(0, batchSize));
      const src = c.sourceData as unknown as ISourceData;
      const over = (p: IPairedItemData | number): IPairedItemData => (typeof p === 'number' ? { item: p, sourceOverwrite: src } : { ...p, sourceOverwrite: src });
      if (v3) {
        const sourceOverwrite = ctx.getInputSource(0) ?? undefined;
        const newItems = items.map((item, index) => ({ ...item, pairedItem: { sourceOverwrite, item: index } as IPairedItemData }));
        c.processedItems = [...(c.processedItems ?? []), ...newItems];
      }
      for (let k = 0; k < ret.length; k++) {
        const it = { ...ret[k] };
        if (it.pairedItem === undefined) it.pairedItem = { item: 0, sourceOverwrite: src };
        else if (Array.isArray(it.pairedItem)) it.pairedItem = it.pairedItem.map(over);
        else it.pairedItem = over(it.pairedItem as IPairedItemData | number);
        ret[k] = it;
      }
    }
    c.noItemsLeft = c.items.length === 0;
    if (ret.length === 0) {
      if (!v3) return null;
      c.done = true;
      return doneFirst ? [c.processedItems ?? [], []] : [[], c.processedItems ?? []];
    }
    if (v3) {
      c.done = false;
      return doneFirst ? [[], ret] : [ret, []];
    }
    return [ret];
  },
};
