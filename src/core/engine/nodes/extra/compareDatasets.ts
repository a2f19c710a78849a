import type { IDataObject, INodeExecutionData, IPairedItemData, NodeType } from '../../types.js';
import { fuzzyCompare } from '../shared/merge-utils.js';
import { getPath, setPath } from '../shared/path.js';
import { isEmptyValue, nodeError, prepareFieldsArray } from './util.js';
import { deepCopy } from '../shared/copy.js';

type Pair = { field1: string; field2: string };
type Eq = (a: unknown, b: unknown) => boolean;
interface Indexed {
  item: INodeExecutionData;
  index: number;
}


function omit(json: IDataObject, fields: string[]): IDataObject {
  const out = { ...json };
  for (const f of fields) delete out[f];
  return out;
}

function describeDifference(a: IDataObject, b: IDataObject, pairs: Pair[], resolve: string, skip: string[], eq: Eq, labels: [string, string]): IDataObject {
  const keys: IDataObject = {};
  for (const p of pairs) keys[p.field1] = a[p.field1];
  const k1 = Object.keys(a);
  const k2 = Object.keys(b);
  const same: IDataObject = {};
  for (const k of k1) if (k2.includes(k) && eq(a[k], b[k])) same[k] = a[k];
  const all = [...k1, ...k2.filter((k) => !k1.includes(k))];
  const different: IDataObject = {};
  const skipped: IDataObject = {};
  for (const k of all.filter((x) => !(x in same))) {
    if (resolve === 'preferInput1') different[k] = a[k] || null;
    else if (resolve === 'preferInput2') different[k] = b[k] || null;
    else {
      const entry = { [labels[0]]: a[k] || null, [labels[1]]: b[k] || null };
      if (skip.includes(k)) skipped[k] = entry;
      else different[k] = entry;
    }
  }
  return { keys, same, different, ...(Object.keys(skipped).length ? { skipped } : {}) };
}

/** Compare Datasets: outputs "In A only", "Same", "Different", "In B only". */
export const compareDatasetsNode: NodeType = {
  type: 'n8n-nodes-base.compareDatasets',
  versions: [1, 2, 2.1, 2.2, 2.3],
  inputs: () => 2,
  outputs: () => 4,
  async execute(ctx) {
    const version = Number(ctx.node.typeVersion);
    const pairs = (ctx.getNodeParameter('mergeByFields.values', 0, []) ?? []) as Pair[];
    if (!pairs.length || (pairs.length === 1 && pairs[0].field1 === '' && pairs[0].field2 === '')) {
      throw nodeError(ctx.node, 'You need to define at least one pair of fields in "Fields to Match" to match on');
    }
    pairs.forEach((p, i) => {
      if (!p.field1 || !p.field2) throw nodeError(ctx.node, `You need to define both fields in "Fields to Match" for pair ${i + 1}`);
    });
    const options = (ctx.getNodeParameter('options', 0, {}) ?? {}) as IDataObject;
    const resolve = String(ctx.getNodeParameter('resolve', 0, options.resolve ?? 'includeBoth'));
    const fuzzy = ctx.getNodeParameter('fuzzyCompare', 0, options.fuzzyCompare ?? false) === true;
    const noDots = options.disableDotNotation === true;
    const multiple = String(options.multipleMatches ?? 'first');
    const skip = prepareFieldsArray(ctx.getNodeParameter('options.skipFields', 0, ''), 'Fields to Skip Comparing');
    const eq = fuzzyCompare(fuzzy);
    const read = (json: IDataObject, f: string) => (noDots ? json[f] : getPath(json, f));
    const labels: [string, string] = version >= 2 ? ['inputA', 'inputB'] : ['input1', 'input2'];

    const prepare = (input: INodeExecutionData[], fields: string[], label: string): Indexed[] => {
      const list = input.map((item, index) => ({ item, index })).filter((x) => !isEmptyValue(x.item.json));
      if (!list.length) return list;
      for (const f of fields) {
        if (!list.some((x) => read(x.item.json, f) !== undefined)) throw nodeError(ctx.node, `Field '${f}' is not present in any of items in '${label}'`);
      }
      return list;
    };
    const a = prepare(ctx.getInputData(0), pairs.map((p) => p.field1), 'Input A');
    const b = prepare(ctx.getInputData(1), pairs.map((p) => p.field2), 'Input B');

    const onlyA: INodeExecutionData[] = [];
    const same: INodeExecutionData[] = [];
    const different: INodeExecutionData[] = [];
    const matchedB = new Set<number>();
    const pa = (i: number): IPairedItemData => ({ item: i });
    const pb = (i: number): IPairedItemData => ({ item: i, input: 1 });

    for (const entry of a) {
      const lookup: IDataObject = {};
      for (const p of pairs) lookup[p.field2] = read(entry.item.json, p.field1);
      if (Object.values(lookup).some((v) => v === undefined)) {
        onlyA.push({ ...entry.item, pairedItem: pa(entry.index) });
        continue;
      }
      const fits = (x: Indexed) => Object.keys(lookup).every((k) => eq(lookup[k], read(x.item.json, k)));
      const matches = multiple === 'all' ? b.filter(fits) : b.filter(fits).slice(0, 1);
      if (!matches.length) {
        onlyA.push({ ...entry.item, pairedItem: pa(entry.index) });
        continue;
      }
      let sameCopy: INodeExecutionData | undefined;
      for (const m of matches) {
        matchedB.add(m.index);
        let j1 = entry.item.json;
        let j2 = m.item.json;
        if (skip.length) {
          j1 = omit(j1, skip);
          j2 = omit(j2, skip);
        }
        const equal = fuzzy ? Object.keys(j1).every((k) => eq(j1[k], j2[k])) : eq(j1, j2);
        if (equal) {
          sameCopy ??= fuzzy && resolve === 'preferInput2' ? { ...m.item, pairedItem: pb(m.index) } : { ...entry.item, pairedItem: pa(entry.index) };
          continue;
        }
        const both = [pa(entry.index), pb(m.index)];
        if (resolve === 'preferInput1') different.push({ ...entry.item, pairedItem: both });
        else if (resolve === 'preferInput2') different.push({ ...m.item, pairedItem: both });
        else if (resolve === 'mix') {
          const prefer = String(options.preferWhenMix ?? ctx.getNodeParameter('preferWhenMix', 0, 'input1'));
          const except = prepareFieldsArray(ctx.getNodeParameter('exceptWhenMix', 0, options.exceptWhenMix ?? ''), 'For Everything Except');
          const [base, other] = prefer === 'input1' ? [entry.item, m.item] : [m.item, entry.item];
          const json = deepCopy(base.json);
          for (const f of except) {
            if (noDots) json[f] = other.json[f];
            else setPath(json, f, getPath(other.json, f) || null);
          }
          different.push({ json, pairedItem: both });
        } else {
          different.push({ json: describeDifference(entry.item.json, m.item.json, pairs, resolve, skip, eq, labels), pairedItem: both });
        }
      }
      if (sameCopy && !isEmptyValue(sameCopy.json)) same.push(sameCopy);
    }
    const onlyB = b.filter((x) => !matchedB.has(x.index)).map((x) => ({ ...x.item, pairedItem: pb(x.index) }));
    return [onlyA, same, different, onlyB];
  },
};
