import type { IDataObject, INodeExecutionData, NodeExecuteContext, NodeType } from '../../types.js';
import { fieldList } from './splitOut.js';
import { lt } from './sort.js';
import { getPath, setPath } from '../shared/path.js';
import { isEqual, nodeError, typeVersion } from './util.js';

/** n8n's flattenKeys: leaf values keyed by dotted path (arrays by index). */
export function flattenKeys(obj: unknown, prefix: string[] = []): IDataObject {
  if (obj === null || typeof obj !== 'object') return { [prefix.join('.')]: obj };
  const out: IDataObject = {};
  for (const [k, v] of Object.entries(obj as object)) Object.assign(out, flattenKeys(v, [...prefix, k]));
  return out;
}

function pick(json: IDataObject, keys: string[]): IDataObject {
  const out: IDataObject = {};
  for (const k of keys) {
    const v = getPath(json, k);
    if (v !== undefined || Object.prototype.hasOwnProperty.call(json, k)) setPath(out, k, v);
  }
  return out;
}

/** Remove Duplicates v1/v1.1/v2 (input items) and Item Lists "removeDuplicates". */
export function removeDuplicateInputItems(ctx: NodeExecuteContext, items: INodeExecutionData[]): INodeExecutionData[] {
  if (!items.length) return [];
  const compare = ctx.getNodeParameter('compare', 0, 'allFields') as string;
  const noDots = ctx.getNodeParameter('options.disableDotNotation', 0, false) === true;
  const removeOtherFields = ctx.getNodeParameter('options.removeOtherFields', 0, false) === true;
  const keysOf = (json: IDataObject) => Object.keys(noDots ? json : flattenKeys(json));
  const read = (json: IDataObject, k: string) => (noDots ? json[k] : getPath(json, k));

  let keys = keysOf(items[0].json);
  for (const item of items) for (const k of keysOf(item.json)) if (!keys.includes(k)) keys.push(k);
  if (compare === 'allFieldsExcept') {
    const exclude = fieldList(ctx.getNodeParameter('fieldsToExclude', 0, ''), 'Fields To Exclude');
    if (!exclude.length) throw nodeError(ctx.node, 'No fields specified. Please add a field to exclude from comparison');
    if (!noDots) keys = keysOf(items[0].json);
    keys = keys.filter((k) => !exclude.includes(k));
  } else if (compare === 'selectedFields') {
    const fields = fieldList(ctx.getNodeParameter('fieldsToCompare', 0, ''), 'Fields To Compare');
    if (!fields.length) throw nodeError(ctx.node, 'No fields specified. Please add a field to compare on');
    keys = fields.map((k) => k.trim());
  }

  const version = typeVersion(ctx);
  for (const key of keys) {
    if (key === '') throw nodeError(ctx.node, 'Name of field to compare is blank');
    let type: string | undefined;
    for (const item of items) {
      const value = read(item.json, key);
      if (value === null && version > 1) continue;
      if (value === undefined) {
        throw nodeError(ctx.node, `'${key}' field is missing from some input items`, noDots && key.includes('.')
          ? { description: "If you're trying to use a nested field, make sure you turn off 'disable dot notation' in the node options" }
          : {});
      }
      if (type !== undefined && type !== typeof value) {
        throw nodeError(ctx.node, `'${key}' isn't always the same type`, { description: 'The type of this field varies between items' });
      }
      type = typeof value;
    }
  }

  // Same result as n8n's sort-then-scan: the first item of each group of equal keys survives.
  const order = items.map((_, i) => i).sort((a, b) => {
    for (const k of keys) {
      const va = read(items[a].json, k);
      const vb = read(items[b].json, k);
      if (!isEqual(va, vb)) return lt(va, vb) ? -1 : 1;
    }
    return 0;
  });
  const removed = new Set<number>();
  let kept = order[0];
  for (let n = 1; n < order.length; n++) {
    const idx = order[n];
    if (keys.every((k) => isEqual(read(items[idx].json, k), read(items[kept].json, k)))) removed.add(idx);
    else kept = idx;
  }
  let out = items.map((item, i) => ({ ...item, pairedItem: item.pairedItem ?? { item: i } })).filter((_, i) => !removed.has(i));
  if (removeOtherFields) out = out.map((item, index) => ({ json: pick(item.json, keys), pairedItem: { item: index } }));
  return out;
}

/**
 * "Remove items processed in previous executions": seen keys live in the workflow's
 * static data (scope node or workflow), which the execution pipeline persists.
 */
function removeSeenInPreviousExecutions(ctx: NodeExecuteContext, items: INodeExecutionData[]): INodeExecutionData[][] {
  const logic = ctx.getNodeParameter('logic', 0, 'removeItemsWithAlreadySeenKeyValues') as string;
  const scope = ctx.getNodeParameter('options.scope', 0, 'node') as string;
  if (!['node', 'workflow'].includes(scope)) {
    throw nodeError(ctx.node, `The scope '${scope}' is not supported. Please select either "node" or "workflow".`);
  }
  const store = ctx.getWorkflowStaticData(scope === 'node' ? 'node' : 'global');
  const key = `__dedupe_${logic}`;
  const kept: INodeExecutionData[] = [];
  const discarded: INodeExecutionData[] = [];
  if (logic === 'removeItemsWithAlreadySeenKeyValues') {
    const max = Number(ctx.getNodeParameter('options.historySize', 0, 10000));
    const seen: string[] = Array.isArray(store[key]) ? (store[key] as string[]) : [];
    const seenSet = new Set(seen);
    items.forEach((item, i) => {
      const value = String(ctx.getNodeParameter('dedupeField', i, '') ?? '');
      if (seenSet.has(value)) discarded.push(item);
      else {
        seenSet.add(value);
        seen.push(value);
        kept.push(item);
      }
    });
    store[key] = max > 0 ? seen.slice(-max) : seen;
  } else {
    const dateMode = logic === 'removeItemsUpToStoredDate';
    const param = dateMode ? 'dateDedupeField' : 'incrementalDedupeField';
    const previous = store[key] as number | undefined;
    let highest = previous;
    items.forEach((item, i) => {
      const raw = ctx.getNodeParameter(param, i, '');
      const value = dateMode ? new Date(String(raw ?? '')).getTime() : Number(raw);
      if (Number.isNaN(value)) {
        throw nodeError(ctx.node, dateMode ? `The value '${raw}' is not a valid date. Please provide a valid date.` : `The value '${raw}' is not a number. Please provide a number.`);
      }
      if (previous !== undefined && value <= previous) discarded.push(item);
      else kept.push(item);
      if (highest === undefined || value > highest) highest = value;
    });
    if (highest !== undefined) store[key] = highest;
  }
  return [kept, discarded];
}

export const removeDuplicatesNode: NodeType = {
  type: 'n8n-nodes-base.removeDuplicates',
  versions: [1, 1.1, 2],
  outputs: (node) => (Number(node.typeVersion) >= 2 && node.parameters?.operation === 'removeItemsSeenInPreviousExecutions' ? 2 : 1),
  async execute(ctx) {
    const items = ctx.getInputData();
    const operation = typeVersion(ctx) >= 2 ? (ctx.getNodeParameter('operation', 0, 'removeDuplicateInputItems') as string) : 'removeDuplicateInputItems';
    if (operation === 'removeDuplicateInputItems') return [removeDuplicateInputItems(ctx, items)];
    if (operation === 'removeItemsSeenInPreviousExecutions') return removeSeenInPreviousExecutions(ctx, items);
    if (operation === 'clearDeduplicationHistory') {
      const scope = ctx.getNodeParameter('options.scope', 0, 'node') as string;
      const store = ctx.getWorkflowStaticData(scope === 'node' ? 'node' : 'global');
      for (const k of Object.keys(store)) if (k.startsWith('__dedupe_')) delete store[k];
    }
    return [items];
  },
};
