import type { IBinaryData, IDataObject, INodeExecutionData, IPairedItemData, NodeExecuteContext, NodeType } from '../../types.js';
import { fieldList } from './splitOut.js';
import { getPath, setPath } from '../shared/path.js';
import { isEmptyValue, isEqual, nodeError, pairedRange, prepareFieldsArray } from './util.js';

interface FieldToAggregate {
  fieldToAggregate: string;
  renameField?: boolean;
  outputFieldName?: string;
}

/**
 * Aggregate node and Item Lists "aggregateItems"/"concatenateItems".
 * `legacy` = Item Lists v1/v2: a missing field is an error and the single output item has no pairedItem list.
 */
export function aggregateItems(ctx: NodeExecuteContext, legacy = false): INodeExecutionData[] {
  const items = ctx.getInputData();
  const mode = ctx.getNodeParameter('aggregate', 0, 'aggregateIndividualFields') as string;
  let result: INodeExecutionData;

  if (mode === 'aggregateIndividualFields') {
    const noDots = ctx.getNodeParameter('options.disableDotNotation', 0, false) === true;
    const mergeLists = ctx.getNodeParameter('options.mergeLists', 0, false) === true;
    const keepMissing = ctx.getNodeParameter('options.keepMissing', 0, false) === true;
    const fields = (ctx.getNodeParameter('fieldsToAggregate.fieldToAggregate', 0, []) ?? []) as FieldToAggregate[];
    if (!fields.length) throw nodeError(ctx.node, 'No fields specified', { description: 'Please add a field to aggregate' });
    const read = (json: IDataObject, f: string) => (noDots ? json[f] : getPath(json, f));

    if (legacy) {
      for (const { fieldToAggregate: f } of fields) {
        if (f === '') throw nodeError(ctx.node, 'Field to aggregate is blank', { description: 'Please add a field to aggregate' });
        const found = items.some((it) => (noDots ? Object.prototype.hasOwnProperty.call(it.json, f) : read(it.json, f) !== undefined));
        if (!found && !keepMissing) throw nodeError(ctx.node, `Couldn't find the field '${f}' in the input data`);
      }
    }

    const values: Record<string, unknown[]> = {};
    const outputFields: string[] = [];
    for (const { fieldToAggregate: f = '', outputFieldName, renameField } of fields) {
      const field = renameField ? outputFieldName : f;
      if (outputFields.includes(field as string)) {
        throw nodeError(ctx.node, `The '${field}' output field is used more than once`, {
          description: 'Please make sure each output field name is unique',
        });
      }
      outputFields.push(field as string);
      const outName = outputFieldName ? outputFieldName : !noDots && f.includes('.') ? (f.split('.').pop() as string) : f;
      if (f === '') continue;
      values[outName] = [];
      for (const item of items) {
        let value = read(item.json, f);
        if (!keepMissing) {
          if (Array.isArray(value)) value = value.filter((e) => e !== null);
          else if (value === null || value === undefined) continue;
        }
        if (Array.isArray(value) && mergeLists) values[outName].push(...value);
        else values[outName].push(value);
      }
    }
    result = { json: {}, pairedItem: pairedRange(items.length) };
    for (const [key, list] of Object.entries(values)) {
      if (noDots) result.json[key] = list;
      else setPath(result.json, key, list);
    }
  } else {
    const destination = ctx.getNodeParameter('destinationFieldName', 0, 'data') as string;
    const include = ctx.getNodeParameter('include', 0, 'allFields') as string;
    const exclude = include === 'allFieldsExcept' ? fieldList(ctx.getNodeParameter('fieldsToExclude', 0, ''), 'Fields To Exclude') : [];
    const only = include === 'specifiedFields' ? fieldList(ctx.getNodeParameter('fieldsToInclude', 0, ''), 'Fields To Include') : [];
    let list: IDataObject[] = items.map((it) => it.json);
    let paired: IPairedItemData[] = [];
    if (exclude.length || only.length) {
      list = [];
      items.forEach((it, index) => {
        const picked: IDataObject = {};
        for (const key of Object.keys(it.json)) {
          if (exclude.includes(key)) continue;
          if (only.length && !only.includes(key)) continue;
          picked[key] = it.json[key];
        }
        if (isEmptyValue(picked)) return;
        paired.push({ item: index });
        list.push(picked);
      });
    } else {
      paired = pairedRange(list.length);
    }
    result = { json: { [destination]: list }, pairedItem: paired };
  }

  if (legacy && mode !== 'aggregateIndividualFields') delete result.pairedItem;
  if (!legacy && ctx.getNodeParameter('options.includeBinaries', 0, false) === true) {
    const uniqueOnly = ctx.getNodeParameter('options.keepOnlyUnique', 0, false) === true;
    result.binary = collectBinaries(items, uniqueOnly);
  }
  return [result];
}

function collectBinaries(items: INodeExecutionData[], uniqueOnly: boolean): Record<string, IBinaryData> | undefined {
  const out: Record<string, IBinaryData> = {};
  const seen: IBinaryData[] = [];
  let n = 0;
  for (const item of items) {
    for (const [key, bin] of Object.entries(item.binary ?? {})) {
      if (uniqueOnly) {
        const dup = seen.some((s) => s.mimeType === bin.mimeType && s.fileType === bin.fileType && s.fileSize === bin.fileSize && s.fileExtension === bin.fileExtension);
        if (dup) continue;
        seen.push(bin);
      }
      const name = out[key] === undefined ? key : `${key}_${++n}`;
      out[name] = bin;
    }
  }
  return Object.keys(out).length ? out : undefined;
}

/** Group-by support (newer Aggregate versions): one aggregate per distinct group value tuple. */
export const aggregateNode: NodeType = {
  type: 'n8n-nodes-base.aggregate',
  versions: [1],
  async execute(ctx) {
    const groupBy = prepareFieldsArray(ctx.getNodeParameter('options.groupByFields', 0, ''), 'Group By Fields');
    if (!groupBy.length) return [aggregateItems(ctx)];
    const items = ctx.getInputData();
    const groups: Array<{ values: unknown[]; indexes: number[] }> = [];
    items.forEach((item, index) => {
      const values = groupBy.map((f) => {
        const v = getPath(item.json, f);
        if (typeof v === 'object' && v !== null) {
          throw nodeError(ctx.node, `Field "${f}" has a non-scalar value which cannot be used for grouping.`);
        }
        return v;
      });
      const g = groups.find((x) => isEqual(x.values, values));
      if (g) g.indexes.push(index);
      else groups.push({ values, indexes: [index] });
    });
    const out: INodeExecutionData[] = [];
    for (const g of groups) {
      const sub: NodeExecuteContext = Object.create(ctx, {
        getInputData: { value: () => g.indexes.map((i) => items[i]) },
      });
      const [agg] = aggregateItems(sub);
      const json: IDataObject = {};
      groupBy.forEach((f, i) => setPath(json, f, g.values[i]));
      Object.assign(json, agg.json);
      out.push({ ...agg, json, pairedItem: g.indexes.map((item) => ({ item })) });
    }
    return [out];
  },
};
