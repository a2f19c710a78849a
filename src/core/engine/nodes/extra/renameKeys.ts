import type { IDataObject, NodeType } from '../../types.js';
import { getPath, setPath, unsetPath } from '../shared/path.js';
import { deepCopy } from '../shared/copy.js';

/** Rename Keys: explicit key pairs (dotted paths), then optional regex renames on top-level keys, recursively if asked. */
export const renameKeysNode: NodeType = {
  type: 'n8n-nodes-base.renameKeys',
  versions: [1],
  async execute(ctx) {
    const items = ctx.getInputData();
    const out = items.map((item, i) => {
      const json = deepCopy(item.json);
      const pairs = (ctx.getNodeParameter('keys.key', i, []) ?? []) as Array<{ currentKey: string; newKey: string }>;
      for (const { currentKey, newKey } of pairs) {
        if (currentKey === '' || newKey === '' || currentKey === newKey) continue;
        const value = getPath(json, currentKey);
        if (value === undefined) continue;
        setPath(json, newKey, value);
        unsetPath(json, currentKey);
      }
      const regexReplacements = (ctx.getNodeParameter('additionalOptions.regexReplacement.replacements', i, []) ?? []) as IDataObject[];
      let result: IDataObject = json;
      for (const r of regexReplacements) {
        const flags = r.caseInsensitive ? 'gi' : 'g';
        const re = new RegExp(String(r.searchRegex ?? ''), flags);
        const depth = Number(r.depth ?? -1);
        const renameObject = (obj: IDataObject, level: number): IDataObject => {
          const next: IDataObject = {};
          for (const [k, v] of Object.entries(obj)) {
            const nk = k.replace(re, String(r.replaceRegex ?? ''));
            const deeper = depth === -1 || level < depth;
            next[nk] = v && typeof v === 'object' && !Array.isArray(v) && deeper ? renameObject(v as IDataObject, level + 1) : v;
          }
          return next;
        };
        result = renameObject(result, 0);
      }
      return { json: result, binary: item.binary, pairedItem: { item: i } };
    });
    return [out];
  },
};
