import type { IDataObject, NodeType } from '../../types.js';
import { nodeError, perItem } from './util.js';
import { deepCopy } from '../shared/copy.js';

/** XML ⇄ JSON with xml2js, with n8n's parser defaults (mergeAttrs, no explicit arrays). */
export const xmlNode: NodeType = {
  type: 'n8n-nodes-base.xml',
  versions: [1],
  async execute(ctx) {
    const { Builder, Parser } = await import('xml2js');
    const items = ctx.getInputData();
    const mode = ctx.getNodeParameter('mode', 0, 'xmlToJson') as string;
    const field = ctx.getNodeParameter('dataPropertyName', 0, 'data') as string;
    const options = (ctx.getNodeParameter('options', 0, {}) ?? {}) as IDataObject;
    if (mode === 'xmlToJson') {
      const parser = new Parser({ mergeAttrs: true, explicitArray: false, ...options });
      const out = await perItem(ctx, items, async (item, i) => {
        if (item.json[field] === undefined) throw nodeError(ctx.node, `Item has no JSON property called "${field}"`, { itemIndex: i });
        const json = await parser.parseStringPromise(item.json[field]);
        return { json: deepCopy(json ?? {}), pairedItem: { item: i } };
      });
      return [out];
    }
    if (mode === 'jsonToxml') {
      const builder = new Builder(options as any);
      const out = await perItem(ctx, items, (item, i) => ({ json: { [field]: builder.buildObject(item.json) }, pairedItem: { item: i } }));
      return [out];
    }
    throw nodeError(ctx.node, `The operation "${mode}" is not known!`);
  },
};
