import type { IDataObject, INodeExecutionData, NodeExecuteContext, NodeType } from '../../types.js';
import { getPath } from '../shared/path.js';
import { isEqual, nodeError } from './util.js';

/** lodash `lt`: strings compare as strings, everything else as numbers. */
export function lt(a: unknown, b: unknown): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a < b;
  return Number(a) < Number(b);
}

function shuffle<T>(list: T[]): void {
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [list[i], list[j]] = [list[j], list[i]];
  }
}

/** Sort node / Item Lists "sort": simple (by fields), random, or a comparator written in JavaScript. */
export async function sortItems(ctx: NodeExecuteContext): Promise<INodeExecutionData[]> {
  const items = ctx.getInputData();
  const type = ctx.getNodeParameter('type', 0, 'simple') as string;
  const noDots = ctx.getNodeParameter('options.disableDotNotation', 0, false) === true;
  let out = items.map((item, index) => ({ ...item, pairedItem: item.pairedItem ?? { item: index } }));

  if (type === 'random') {
    shuffle(out);
    return out;
  }
  if (type === 'code') return sortByCode(ctx, out);

  const fields = ((ctx.getNodeParameter('sortFieldsUi', 0, {}) as IDataObject)?.sortField ?? []) as Array<{ fieldName: string; order?: string }>;
  if (!fields.length) throw nodeError(ctx.node, 'No sorting specified. Please add a field to sort by');
  const read = (json: IDataObject, f: string) => (noDots ? json[f] : getPath(json, f));
  for (const { fieldName } of fields) {
    const found = items.some((it) => (noDots ? Object.prototype.hasOwnProperty.call(it.json, fieldName) : read(it.json, fieldName) !== undefined));
    if (!found) {
      throw nodeError(ctx.node, `Couldn't find the field '${fieldName}' in the input data`, noDots && fieldName.includes('.')
        ? { description: "If you're trying to use a nested field, make sure you turn off 'disable dot notation' in the node options" }
        : {});
    }
  }
  const spec = fields.map((f) => ({ name: f.fieldName, dir: (f.order ?? 'ascending') === 'ascending' ? 1 : -1 }));
  const norm = (v: unknown) => (typeof v === 'string' ? v.toLowerCase() : v);
  out = out.sort((a, b) => {
    for (const f of spec) {
      const va = norm(read(a.json, f.name));
      const vb = norm(read(b.json, f.name));
      if (!isEqual(va, vb)) return lt(va, vb) ? -f.dir : f.dir;
    }
    return 0;
  });
  return out;
}

/** The comparator runs in the engine's sandbox, never in the host context. */
async function sortByCode(ctx: NodeExecuteContext, items: INodeExecutionData[]): Promise<INodeExecutionData[]> {
  const code = String(ctx.getNodeParameter('code', 0, '') ?? '');
  if (!/\breturn\b/.test(code)) {
    throw nodeError(ctx.node, "Sort code doesn't return. Please add a 'return' statement to your code");
  }
  const wrapped = `const __items = $input.all().map((it, i) => ({ json: it.json, __i: i }));\n` +
    `__items.sort((a, b) => { ${code}\n });\nreturn __items.map((it) => ({ json: { __i: it.__i } }));`;
  const result = (await ctx.runCode({ code: wrapped, mode: 'runOnceForAllItems', flavor: 'code' })) as Array<INodeExecutionData | IDataObject>;
  const order = (Array.isArray(result) ? result : []).map((r: any) => (r?.json ?? r)?.__i as number);
  if (order.length !== items.length || order.some((i) => typeof i !== 'number')) {
    throw nodeError(ctx.node, 'Sort code did not return a valid order');
  }
  return order.map((i) => items[i]);
}

export const sortNode: NodeType = {
  type: 'n8n-nodes-base.sort',
  versions: [1],
  async execute(ctx) {
    return [await sortItems(ctx)];
  },
};
