import type { IDataObject, INode, INodeExecutionData, NodeExecuteContext, NodeType } from '../types.js';
import { NodeOperationError } from '../errors.js';
import { executeFilter, type FilterValue } from './shared/filter.js';
import { compareV1 } from './shared/compareV1.js';

function numOutputs(node: INode): number {
  const p = node.parameters ?? {};
  const mode = p.mode ?? 'rules';
  const v = node.typeVersion;
  if (v < 2) return 4;
  if (v < 3) {
    if (mode === 'expression') return Number(p.outputsAmount ?? 4);
    const rules = ((p.rules as IDataObject)?.rules as IDataObject[]) ?? [];
    let max = -1;
    for (const r of rules) max = Math.max(max, Number(r.output ?? 0));
    const fb = Number(p.fallbackOutput ?? -1);
    return Math.max(max, fb) + 1;
  }
  if (mode === 'expression') return Number(p.numberOutputs ?? 4);
  const rules = ((p.rules as IDataObject)?.values as IDataObject[]) ?? [];
  const fb = (p.options as IDataObject)?.fallbackOutput;
  return rules.length + (fb === 'extra' ? 1 : 0);
}

/** Switch v1/v2 (value1 + typed rules, first match) and v3.x (filter rules, fallback, allMatchingOutputs). */
export const switchNode: NodeType = {
  type: 'n8n-nodes-base.switch',
  versions: [1, 2, 3, 3.1, 3.2, 3.3],
  outputs: numOutputs,
  async execute(ctx) {
    const items = ctx.getInputData();
    const n = numOutputs(ctx.node);
    const out: INodeExecutionData[][] = Array.from({ length: n }, () => []);
    const mode = ctx.getNodeParameter('mode', 0, 'rules');
    for (let i = 0; i < items.length; i++) {
      const item = { ...items[i], pairedItem: { item: i } } as INodeExecutionData;
      try {
        if (mode === 'expression') {
          const idx = Number(ctx.getNodeParameter('output', i, 0));
          if (!Number.isInteger(idx) || idx < 0 || idx >= n)
            throw new NodeOperationError(ctx.node, `The output ${idx} is not allowed. It has to be between 0 and ${n - 1}!`, { itemIndex: i });
          out[idx].push(item);
        } else if (ctx.node.typeVersion < 3) rulesV1(ctx, i, item, out);
        else rulesV3(ctx, i, item, out);
      } catch (e) {
        if (ctx.continueOnFail()) {
          out[0].push({ json: { error: (e as Error).message }, pairedItem: { item: i } });
          continue;
        }
        if (e instanceof NodeOperationError) throw e;
        throw new NodeOperationError(ctx.node, (e as Error).message, { itemIndex: i, description: (e as any).description });
      }
    }
    return out;
  },
};

function rulesV1(ctx: NodeExecuteContext, i: number, item: INodeExecutionData, out: INodeExecutionData[][]): void {
  const dataType = String(ctx.getNodeParameter('dataType', i, 'number'));
  const value1 = ctx.getNodeParameter('value1', i, dataType === 'number' ? 0 : dataType === 'boolean' ? false : '');
  const rules = (ctx.getNodeParameter('rules.rules', i, []) ?? []) as IDataObject[];
  const fallback = Number(ctx.getNodeParameter('fallbackOutput', i, -1));
  for (const r of rules) {
    const def = dataType === 'number' ? 0 : dataType === 'boolean' ? false : '';
    if (compareV1(dataType, { value1, value2: r.value2 ?? def, operation: r.operation ?? 'equal' })) {
      const o = Number(r.output ?? 0);
      if (out[o]) out[o].push(item);
      return;
    }
  }
  if (fallback !== -1 && out[fallback]) out[fallback].push(item);
}

function rulesV3(ctx: NodeExecuteContext, i: number, item: INodeExecutionData, out: INodeExecutionData[][]): void {
  const rules = (ctx.getNodeParameter('rules.values', i, []) ?? []) as IDataObject[];
  if (!rules.length) return;
  const options = (ctx.getNodeParameter('options', i, {}) ?? {}) as IDataObject;
  const loose = !!options.looseTypeValidation || !!ctx.getNodeParameter('looseTypeValidation', i, false);
  const fallback = options.fallbackOutput;
  let matched = false;
  for (let r = 0; r < rules.length; r++) {
    const cond = { ...((rules[r].conditions as FilterValue) ?? {}) };
    if (options.ignoreCase !== undefined) cond.options = { ...cond.options, caseSensitive: !options.ignoreCase };
    let pass: boolean;
    try {
      pass = executeFilter(cond, i, loose);
    } catch (e) {
      if (!loose) (e as any).description = "Try to change the operator, switch ON the option 'Less Strict Type Validation', or change the type with an expression";
      throw e;
    }
    if (pass) {
      matched = true;
      out[r].push(item);
      if (!options.allMatchingOutputs) break;
    }
  }
  if (fallback !== undefined && fallback !== 'none' && !matched) {
    if (fallback === 'extra') out[out.length - 1].push(item);
    else if (out[Number(fallback)]) out[Number(fallback)].push(item);
  }
}
