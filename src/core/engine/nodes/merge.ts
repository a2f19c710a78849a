import type { IDataObject, INode, INodeExecutionData, NodeExecuteContext, NodeType } from '../types.js';
import { NodeOperationError } from '../errors.js';
import { addSourceField, addSuffix, findMatches, lodashMerge, mergeMatched, mergeMethod, type ClashOptions } from './shared/merge-utils.js';
import { getPath } from './shared/path.js';
import { deepCopy } from './shared/copy.js';

const nInputs = (node: INode) => (node.typeVersion >= 3 ? Number(node.parameters?.numberInputs ?? 2) : 2);

/** Merge v1 (legacy modes), v2/v2.1 (append, combine, chooseBranch) and v3.x (numberInputs, combineBy*). */
export const mergeNode: NodeType = {
  type: 'n8n-nodes-base.merge',
  versions: [1, 2, 2.1, 3, 3.1, 3.2],
  inputs: nInputs,
  requiredInputs: (node) => {
    if (node.typeVersion < 2.1) return undefined;
    if (node.parameters?.mode === 'chooseBranch') return Array.from({ length: nInputs(node) }, (_, i) => i);
    return 1;
  },
  async execute(ctx) {
    if (ctx.node.typeVersion < 2) return v1(ctx);
    return v2v3(ctx);
  },
};

function clash(ctx: NodeExecuteContext): ClashOptions {
  return (ctx.getNodeParameter('options.clashHandling.values', 0, {}) ?? {}) as ClashOptions;
}

async function v2v3(ctx: NodeExecuteContext): Promise<INodeExecutionData[][]> {
  const v = ctx.node.typeVersion;
  const mode = ctx.getNodeParameter('mode', 0, 'append');
  const count = nInputs(ctx.node);
  const inputs = Array.from({ length: count }, (_, i) => ctx.getInputData(i));
  const [input1, input2] = inputs;
  if (mode === 'append') return [inputs.flat()];
  if (mode === 'combineBySql') throw new NodeOperationError(ctx.node, 'Merge mode "SQL Query" (combineBySql) is not supported by the Jobsprint engine');
  if (mode === 'chooseBranch') {
    if (v < 3) {
      const output = ctx.getNodeParameter('output', 0, 'input1');
      if (output === 'input1') return [input1];
      if (output === 'input2') return [input2];
    } else {
      const output = ctx.getNodeParameter('output', 0, 'specifiedInput');
      if (output === 'specifiedInput') {
        const which = Number(ctx.getNodeParameter('useDataOfInput', 0, 1));
        if (which < 1 || which > count) throw new NodeOperationError(ctx.node, `The input ${which} is not allowed.`);
        return [inputs[which - 1]];
      }
    }
    const pairedItem = inputs.flatMap((inp, input) => inp.map((_, item) => ({ item, input })));
    return [[{ json: {}, pairedItem }]];
  }
  // combine
  let how: string = v >= 3 ? ctx.getNodeParameter('combineBy', 0, 'combineByFields') : ctx.getNodeParameter('combinationMode', 0, 'mergeByFields');
  how = { combineByFields: 'mergeByFields', combineByPosition: 'mergeByPosition', combineAll: 'multiplex' }[how] ?? how;
  if (how === 'mergeByPosition') return [byPosition(ctx, inputs)];
  if (how === 'multiplex') return [multiplex(ctx, input1, input2)];
  return byFields(ctx, input1, input2);
}

function byPosition(ctx: NodeExecuteContext, inputs: INodeExecutionData[][]): INodeExecutionData[] {
  const c = clash(ctx);
  const includeUnpaired = !!ctx.getNodeParameter('options.includeUnpaired', 0, false);
  const out: INodeExecutionData[] = [];
  // n8n: when an input has no data, combine-by-position returns whatever arrived
  if (inputs.some((i) => i.length === 0)) return inputs.flat();
  const lens = inputs.map((i) => i.length);
  const n = includeUnpaired ? Math.max(...lens) : Math.min(...lens);
  const merge = mergeMethod(c);
  for (let i = 0; i < n; i++) {
    let entries = inputs.map((inp) => inp[i]).filter((e): e is INodeExecutionData => e !== undefined);
    if (entries.length === 1) {
      out.push(entries[0]);
      continue;
    }
    if (c.resolveClash === 'addSuffix') entries = entries.map((e, k) => addSuffix([e], String(k + 1))[0]);
    const ordered = c.resolveClash === 'preferInput1' ? [...entries].reverse() : entries;
    const json = merge({ ...ordered[0].json }, ...ordered.slice(1).map((e) => ({ ...e.json })));
    const binary = merge({ ...(ordered[0].binary ?? {}) }, ...ordered.slice(1).map((e) => ({ ...(e.binary ?? {}) })));
    const item: INodeExecutionData = { json, pairedItem: entries.map((e) => e.pairedItem as any) };
    if (Object.keys(binary).length) item.binary = binary as any;
    out.push(item);
  }
  return out;
}

function multiplex(ctx: NodeExecuteContext, input1: INodeExecutionData[], input2: INodeExecutionData[]): INodeExecutionData[] {
  const c = clash(ctx);
  const out: INodeExecutionData[] = [];
  if (c.resolveClash === 'addSuffix') {
    input1 = addSuffix(input1, '1');
    input2 = addSuffix(input2, '2');
  }
  const merge = mergeMethod(c);
  if (c.resolveClash === 'preferInput1') [input1, input2] = [input2, input1];
  for (const e1 of input1) {
    for (const e2 of input2) {
      const [a, b] = [e1, e2];
      const item: INodeExecutionData = { json: merge({ ...a.json }, { ...b.json }), pairedItem: [e1.pairedItem as any, e2.pairedItem as any] };
      const binary = merge({ ...(a.binary ?? {}) }, { ...(b.binary ?? {}) });
      if (Object.keys(binary).length) item.binary = binary as any;
      out.push(item);
    }
  }
  return out;
}

function byFields(ctx: NodeExecuteContext, input1: INodeExecutionData[], input2: INodeExecutionData[]): INodeExecutionData[][] {
  const v = ctx.node.typeVersion;
  let fields: Array<{ field1: string; field2: string }>;
  if (v >= 3 && !ctx.getNodeParameter('advanced', 0, false)) {
    fields = String(ctx.getNodeParameter('fieldsToMatchString', 0, ''))
      .split(',')
      .map((f) => f.trim())
      .filter(Boolean)
      .map((f) => ({ field1: f, field2: f }));
  } else {
    fields = ((ctx.getNodeParameter('mergeByFields.values', 0, []) ?? []) as IDataObject[]).map((f) => ({ field1: String(f.field1 ?? ''), field2: String(f.field2 ?? '') }));
  }
  const joinMode = ctx.getNodeParameter('joinMode', 0, 'keepMatches');
  const outputDataFrom = ctx.getNodeParameter('outputDataFrom', 0, 'both');
  const options = (ctx.getNodeParameter('options', 0, {}) ?? {}) as IDataObject;
  fields = fields.filter((f) => f.field1 && f.field2);
  if (!fields.length) throw new NodeOperationError(ctx.node, 'You need to define at least one pair of fields in "Fields to Match" to match on');
  if (!input1.length && !input2.length) return [[]];
  if (!input2.length || !input1.length) {
    // nothing can match: non-matches are simply the inputs as they arrived
    if (joinMode === 'keepNonMatches') return [outputDataFrom === 'input1' ? input1 : outputDataFrom === 'input2' ? input2 : [...input1, ...input2]];
    if (joinMode === 'keepMatches' || (joinMode === 'enrichInput1' && !input1.length) || (joinMode === 'enrichInput2' && !input2.length)) return [[]];
  }
  const m = findMatches(input1, input2, fields, {
    fuzzyCompare: options.fuzzyCompare === true,
    disableDotNotation: options.disableDotNotation === true,
    multipleMatches: options.multipleMatches as string | undefined,
    joinMode,
    outputDataFrom,
  });
  const c = clash(ctx);
  if (joinMode === 'keepMatches' || joinMode === 'keepEverything') {
    let out: INodeExecutionData[] = [];
    if (outputDataFrom === 'input1') out = m.matched.map((x) => x.entry);
    if (outputDataFrom === 'input2') out = m.matched2;
    if (outputDataFrom === 'both') out = mergeMatched(m.matched, c);
    if (joinMode === 'keepEverything') {
      let u1 = m.unmatched1;
      let u2 = m.unmatched2;
      if (c.resolveClash === 'addSuffix') {
        u1 = addSuffix(u1, '1');
        u2 = addSuffix(u2, '2');
      }
      out = [...out, ...u1, ...u2];
    }
    return [out];
  }
  if (joinMode === 'keepNonMatches') {
    if (outputDataFrom === 'input1') return [m.unmatched1];
    if (outputDataFrom === 'input2') return [m.unmatched2];
    return [[...addSourceField(m.unmatched1, 'input1'), ...addSourceField(m.unmatched2, 'input2')]];
  }
  const merged = mergeMatched(m.matched, c, joinMode);
  const rest = joinMode === 'enrichInput1' ? m.unmatched1 : m.unmatched2;
  return [[...merged, ...(c.resolveClash === 'addSuffix' ? addSuffix(rest, joinMode === 'enrichInput1' ? '1' : '2') : rest)]];
}

// ---- Merge v1 ----
async function v1(ctx: NodeExecuteContext): Promise<INodeExecutionData[][] | null> {
  const mode = ctx.getNodeParameter('mode', 0, 'append');
  const input1 = ctx.getInputData(0);
  const input2 = ctx.getInputData(1);
  switch (mode) {
    case 'append':
      return [[...input1, ...input2]];
    case 'passThrough':
      return [ctx.getNodeParameter('output', 0, 'input1') === 'input2' ? input2 : input1];
    case 'wait':
      return [[{ json: {} }]];
    case 'multiplex': {
      const out: INodeExecutionData[] = [];
      for (const a of input1) for (const b of input2) out.push({ json: { ...a.json, ...b.json }, pairedItem: [a.pairedItem as any, b.pairedItem as any] });
      return [out];
    }
    case 'mergeByIndex': {
      const join = ctx.getNodeParameter('join', 0, 'left');
      const out: INodeExecutionData[] = [];
      const n = join === 'inner' ? Math.min(input1.length, input2.length) : join === 'outer' ? Math.max(input1.length, input2.length) : input1.length;
      for (let i = 0; i < n; i++) {
        const a = input1[i];
        const b = input2[i];
        if (!a) out.push({ json: deepCopy(b.json), pairedItem: b.pairedItem });
        else if (!b) out.push({ json: deepCopy(a.json), pairedItem: a.pairedItem });
        else out.push({ json: { ...deepCopy(a.json), ...deepCopy(b.json) }, pairedItem: [a.pairedItem as any, b.pairedItem as any] });
      }
      return [out];
    }
    case 'mergeByKey':
    case 'keepKeyMatches':
    case 'removeKeyMatches':
      return [byKey(ctx, mode, input1, input2)];
  }
  throw new NodeOperationError(ctx.node, `The merge mode "${mode}" is not supported`);
}

/**
 * Merge v1 key modes, as n8n's MergeV1: input 2 items are indexed by the string form of their
 * key (items with a falsy key are left out; a later item with the same key replaces an earlier
 * one). An input 1 item is looked up only when its key is a string, a number (compared as its
 * string form) or null; any other key (missing, object, array, boolean) finds no match, and
 * such items are dropped except by "remove key matches".
 */
function byKey(ctx: NodeExecuteContext, mode: string, input1: INodeExecutionData[], input2: INodeExecutionData[]): INodeExecutionData[] {
  const p1 = String(ctx.getNodeParameter('propertyName1', 0, '') ?? '');
  const p2 = String(ctx.getNodeParameter('propertyName2', 0, '') ?? '');
  const overwrite = ctx.getNodeParameter('overwrite', 0, 'always');
  if (!p1 || !p2) return mode === 'keepKeyMatches' ? [] : input1;
  const index = new Map<string, INodeExecutionData>();
  for (const b of input2) {
    const k = b.json ? getPath(b.json, p2) : undefined;
    if (k) index.set(String(k), b);
  }
  const out: INodeExecutionData[] = [];
  for (const a of input1) {
    const ref = getPath(a.json, p1);
    const comparable = typeof ref === 'string' || typeof ref === 'number' || ref === null;
    const match = comparable ? index.get(String(ref)) : undefined;
    if (!comparable) {
      if (mode === 'removeKeyMatches') out.push(a);
      continue;
    }
    if (!match) {
      if (mode !== 'keepKeyMatches') out.push(a);
      continue;
    }
    if (mode === 'keepKeyMatches') out.push(a);
    if (mode !== 'mergeByKey') continue;
    const item = deepCopy(a);
    for (const [key, val] of Object.entries(match.json)) {
      if (key === p2) continue;
      const cur = item.json[key];
      const write =
        overwrite === 'always' ||
        (overwrite === 'undefined' && !Object.prototype.hasOwnProperty.call(item.json, key)) ||
        (overwrite === 'blank' && (cur === undefined || cur === null || cur === ''));
      if (write) item.json[key] = deepCopy(val);
    }
    out.push(item);
  }
  return out;
}
