import type { IDataObject, INodeExecutionData, NodeExecuteContext, NodeType } from '../../types.js';
import { getPath } from '../shared/path.js';
import { nodeError, prepareFieldsArray, typeVersion } from './util.js';

type AggregationType = 'append' | 'average' | 'concatenate' | 'count' | 'countUnique' | 'max' | 'min' | 'sum';
interface Aggregation {
  aggregation?: AggregationType;
  field: string;
  includeEmpty?: boolean;
  separateBy?: string;
  customSeparator?: string;
}
interface Options {
  continueIfFieldNotFound?: boolean;
  disableDotNotation?: boolean;
  outputFormat?: 'separateItems' | 'singleItem';
  skipEmptySplitFields?: boolean;
}
type Getter = (item: IDataObject, field: string) => any;

const PREFIX: Record<AggregationType, string> = {
  append: 'appended_',
  average: 'average_',
  concatenate: 'concatenated_',
  count: 'count_',
  countUnique: 'unique_count_',
  max: 'max_',
  min: 'min_',
  sum: 'sum_',
};
const INDEX = '_itemIndex';
const isEmpty = (v: unknown) => v === undefined || v === null || v === '';

/** Output keys lose brackets/quotes, and spaces/dots become underscores (as n8n names them). */
function normalizeKeys(data: IDataObject): void {
  for (const re of [/[\]["]/g, /[ .]/g]) {
    for (const key of Object.keys(data)) {
      if (!key.match(re)) continue;
      const next = key.replace(re, re.source === '[ .]' ? '_' : '');
      data[next] = data[key];
      delete data[key];
    }
  }
}

function aggregate(items: IDataObject[], entry: Aggregation, get: Getter): unknown {
  const { field } = entry;
  const kind = entry.aggregation ?? 'count';
  let data = [...items];
  if (kind === 'average' || kind === 'sum') data = data.filter((it) => typeof get(it, field) === 'number');
  switch (kind) {
    case 'append':
      if (!entry.includeEmpty) data = data.filter((it) => !isEmpty(get(it, field)));
      return data.map((it) => get(it, field));
    case 'concatenate': {
      const sep = entry.separateBy === 'other' ? entry.customSeparator : entry.separateBy ?? ',';
      if (!entry.includeEmpty) data = data.filter((it) => !isEmpty(get(it, field)));
      return data
        .map((it) => {
          const v = get(it, field);
          if (typeof v === 'object') return JSON.stringify(v);
          return v === undefined ? 'undefined' : v;
        })
        .join(sep);
    }
    case 'average':
      return data.reduce((acc, it) => acc + get(it, field), 0) / data.length;
    case 'sum':
      return data.reduce((acc, it) => acc + get(it, field), 0);
    case 'min':
    case 'max': {
      let best: any;
      for (const it of data) {
        const v = get(it, field);
        if (isEmpty(v)) continue;
        if (best === undefined || (kind === 'min' ? v < best : v > best)) best = v;
      }
      return best ?? null;
    }
    case 'countUnique': {
      const values = data.map((it) => get(it, field));
      return new Set(entry.includeEmpty ? values : values.filter((v) => !isEmpty(v))).size;
    }
    default:
      return entry.includeEmpty ? data.length : data.filter((it) => !isEmpty(get(it, field))).length;
  }
}

function aggregateData(data: IDataObject[], fields: Aggregation[], options: Options, get: Getter): IDataObject {
  const out: IDataObject = {};
  for (const a of fields) out[`${PREFIX[a.aggregation ?? 'count'] ?? 'count_'}${a.field}`] = aggregate(data, a, get);
  normalizeKeys(out);
  if (options.outputFormat === 'singleItem') return out;
  return { ...out, pairedItems: data.map((it) => it[INDEX] as number) };
}

function splitData(keys: string[], data: IDataObject[], fields: Aggregation[], options: Options, get: Getter): IDataObject {
  if (!keys.length) return aggregateData(data, fields, options, get);
  const [first, ...rest] = keys;
  const groups: Record<string, IDataObject[]> = {};
  for (const item of data) {
    let key = get(item, first);
    if (typeof key === 'object') key = JSON.stringify(key);
    if (options.skipEmptySplitFields && typeof key !== 'number' && !key) continue;
    (groups[key] ??= []).push(item);
  }
  const out: IDataObject = {};
  for (const key of Object.keys(groups)) out[key] = splitData(rest, groups[key], fields, options, get);
  return out;
}

function cleanName(name: string): string {
  return name.replace(/[\]["]/g, '').replace(/[ .]/g, '_');
}

function toRows(result: IDataObject, keys: string[], previous: IDataObject = {}): IDataObject[] {
  const [name, next] = [cleanName(keys[0]), keys[1]];
  const rows: IDataObject[] = [];
  for (const key of Object.keys(result)) {
    if (next === undefined) rows.push({ ...previous, [name]: key, ...(result[key] as IDataObject) });
    else rows.push(...toRows(result[key] as IDataObject, keys.slice(1), { ...previous, [name]: key }));
  }
  return rows;
}

/** Summarize node ("pivot table"): aggregations per group of split-by field values. */
export function summarizeItems(ctx: NodeExecuteContext): INodeExecutionData[] {
  const items = ctx.getInputData();
  const data = items.map(({ json }, i) => ({ ...json, [INDEX]: i }));
  const options = (ctx.getNodeParameter('options', 0, {}) ?? {}) as Options;
  const splitBy = prepareFieldsArray(ctx.getNodeParameter('fieldsToSplitBy', 0, ''), 'Fields to Split By');
  const fields = (ctx.getNodeParameter('fieldsToSummarize.values', 0, []) ?? []) as Aggregation[];
  if (fields.filter((a) => a.field !== '').length === 0) {
    throw nodeError(ctx.node, "You need to add at least one aggregation to 'Fields to Summarize' with non empty 'Field'");
  }
  const get: Getter = options.disableDotNotation ? (it, f) => it[f] : (it, f) => getPath(it, f);
  const result = splitData(splitBy, data, fields, options, get);

  for (const a of fields) {
    if (a.field === '') continue;
    if (!data.some((it) => get(it, a.field) !== undefined)) {
      if (typeVersion(ctx) > 1 || options.continueIfFieldNotFound) break;
      throw nodeError(ctx.node, `The field '${a.field}' does not exist in any items`);
    }
  }

  const paired = (ids: unknown) => ((ids as number[]) ?? []).map((item) => ({ item }));
  if (options.outputFormat === 'singleItem') return [{ json: result, pairedItem: data.map((_, item) => ({ item })) }];
  if (!splitBy.length) {
    const { pairedItems, ...json } = result;
    return [{ json, pairedItem: paired(pairedItems) }];
  }
  return toRows(result, splitBy).map(({ pairedItems, ...json }) => ({ json, pairedItem: paired(pairedItems) }));
}

export const summarizeNode: NodeType = {
  type: 'n8n-nodes-base.summarize',
  versions: [1, 1.1],
  async execute(ctx) {
    return [summarizeItems(ctx)];
  },
};
