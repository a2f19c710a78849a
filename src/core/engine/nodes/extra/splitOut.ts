import type { IBinaryData, IDataObject, INodeExecutionData, NodeExecuteContext, NodeType } from '../../types.js';
import { getPath, unsetPath } from '../shared/path.js';
import { deepCopy } from '../shared/copy.js';
import { nodeError, prepareFieldsArray } from './util.js';

/** Split Out node (and Item Lists v3 "splitOutItems"): one output item per list element. */
export function splitOutItems(ctx: NodeExecuteContext): INodeExecutionData[] {
  const items = ctx.getInputData();
  const out: INodeExecutionData[] = [];
  for (let i = 0; i < items.length; i++) {
    // Not prepareFieldsArray: as in n8n, empty entries stay (and count against destinations).
    const fields = String(ctx.getNodeParameter('fieldToSplitOut', i) ?? '')
      .split(',')
      .map((f) => f.trim().replace(/^\$json\./, ''));
    const options = (ctx.getNodeParameter('options', i, {}) ?? {}) as IDataObject;
    const noDots = options.disableDotNotation === true;
    const destinations = prepareFieldsArray(options.destinationFieldName || '', 'Destination Field Name');
    if (destinations.length && destinations.length !== fields.length) {
      throw nodeError(ctx.node, 'If multiple fields to split out are given, the same number of destination fields must be given');
    }
    const include = ctx.getNodeParameter('include', i, 'noOtherFields') as string;
    const multiSplit = fields.length > 1;
    const item = { ...items[i].json };
    const split: INodeExecutionData[] = [];

    fields.forEach((field, fieldIndex) => {
      const destination = destinations[fieldIndex] || '';
      let entries: unknown[];
      if (field === '$binary') {
        entries = Object.entries(items[i].binary ?? {}).map(([k, v]) => ({ [k]: v }));
      } else {
        let value: unknown = noDots ? item[field] : getPath(item, field);
        if (value === undefined) value = [];
        if (typeof value !== 'object' || value === null) value = [value];
        entries = Array.isArray(value) ? value : Object.values(value as object);
      }
      entries.forEach((element, idx) => {
        split[idx] ??= { json: {}, pairedItem: { item: i } };
        if (field === '$binary') {
          const [k, v] = Object.entries(element as Record<string, IBinaryData>)[0];
          (split[idx].binary ??= {})[k] = v;
          return;
        }
        const name = destination || field;
        if (typeof element === 'object' && element !== null && include === 'noOtherFields' && destination === '' && !multiSplit) {
          split[idx] = { json: { ...split[idx].json, ...(element as IDataObject) }, pairedItem: { item: i } };
        } else {
          split[idx].json[name] = element;
        }
      });
    });

    for (const entry of split) {
      if (!entry) continue;
      if (include === 'allOtherFields') {
        const copy = deepCopy(item);
        for (const f of fields) {
          if (noDots) delete copy[f];
          else unsetPath(copy, f);
        }
        entry.json = { ...copy, ...entry.json };
      } else if (include === 'selectedOtherFields') {
        const toInclude = fieldList(ctx.getNodeParameter('fieldsToInclude', i, ''), 'Fields To Include');
        if (!toInclude.length) throw nodeError(ctx.node, 'No fields specified', { description: 'Please add a field to include' });
        for (const f of toInclude) entry.json[f] = noDots ? item[f] : getPath(item, f);
      }
      if (options.includeBinary === true && items[i].binary && !entry.binary) entry.binary = items[i].binary;
      out.push(entry);
    }
  }
  return out;
}

/** Field lists come as "a, b", ["a","b"] or (Item Lists v1/v2) {fields: [{fieldName}]}. */
export function fieldList(value: unknown, label: string): string[] {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const fields = (value as IDataObject).fields;
    return Array.isArray(fields) ? fields.map((f: IDataObject) => String(f.fieldName ?? '').trim()).filter(Boolean) : [];
  }
  return prepareFieldsArray(value, label);
}

/** Item Lists v1/v2 split-out: strict (the field must exist and be a list). */
export function splitOutItemsLegacy(ctx: NodeExecuteContext): INodeExecutionData[] {
  const items = ctx.getInputData();
  const out: INodeExecutionData[] = [];
  const noDots = ctx.getNodeParameter('options.disableDotNotation', 0, false) === true;
  for (let i = 0; i < items.length; i++) {
    const field = String(ctx.getNodeParameter('fieldToSplitOut', i) ?? '');
    const destination = String(ctx.getNodeParameter('options.destinationFieldName', i, '') ?? '');
    const include = ctx.getNodeParameter('include', i, 'noOtherFields') as string;
    const json = items[i].json;
    const list = noDots ? json[field] : getPath(json, field);
    if (list === undefined) {
      throw nodeError(ctx.node, `Couldn't find the field '${field}' in the input data`, { itemIndex: i });
    }
    if (!Array.isArray(list)) {
      throw nodeError(ctx.node, `The provided field '${field}' is not an array`, { itemIndex: i });
    }
    for (const element of list) {
      let newItem: IDataObject = {};
      if (include === 'selectedOtherFields') {
        const toInclude = fieldList(ctx.getNodeParameter('fieldsToInclude', i, {}), 'Fields To Include');
        if (!toInclude.length) throw nodeError(ctx.node, 'No fields specified', { description: 'Please add a field to include' });
        for (const f of toInclude) if (f !== field) newItem[f] = noDots ? json[f] : getPath(json, f);
      } else if (include === 'allOtherFields') {
        for (const k of Object.keys(json)) newItem[k] = json[k];
        newItem = deepCopy(newItem);
        unsetPath(newItem, field);
      }
      if (typeof element === 'object' && include === 'noOtherFields' && destination === '') {
        newItem = { ...newItem, ...(element as IDataObject) };
      } else {
        newItem = { ...newItem, [destination || field]: element };
      }
      out.push({ json: newItem, pairedItem: { item: i } });
    }
  }
  return out;
}

export const splitOutNode: NodeType = {
  type: 'n8n-nodes-base.splitOut',
  versions: [1],
  async execute(ctx) {
    return [splitOutItems(ctx)];
  },
};
