/**
 * Small helpers shared by the transformation nodes: deep equality, the field-list parsing
 * n8n's nodes use and the per-item loop. Paths (`a.b[0].c`) are in ../shared/path.ts, deep copies
 * in ../shared/copy.ts.
 */
import { NodeOperationError } from '../../errors.js';
import type { INode, INodeExecutionData, NodeExecuteContext } from '../../types.js';

export function isEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'number' && typeof b === 'number') return Number.isNaN(a) && Number.isNaN(b);
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (a instanceof Date || b instanceof Date) {
    return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  }
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, k)) return false;
    if (!isEqual((a as any)[k], (b as any)[k])) return false;
  }
  return true;
}

/** lodash isEmpty for the value kinds found in items. */
export function isEmptyValue(v: unknown): boolean {
  if (v === null || v === undefined) return true;
  if (typeof v === 'string' || Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v as object).length === 0;
  return true;
}

/**
 * n8n's prepareFieldsArray: a comma-separated string (or already an array) of field
 * names, trimmed, empty entries removed.
 */
export function prepareFieldsArray(fields: unknown, fieldName = 'Fields'): string[] {
  if (typeof fields === 'string') {
    return fields.split(',').map((f) => f.trim()).filter((f) => f !== '');
  }
  if (Array.isArray(fields)) return fields.map((f) => String(f).trim()).filter((f) => f !== '');
  if (fields === undefined || fields === null) return [];
  throw new Error(`The '${fieldName}' parameter must be a string of fields separated by commas or an array of strings.`);
}

export function nodeError(node: INode, message: string, opts: { description?: string; itemIndex?: number } = {}): NodeOperationError {
  return new NodeOperationError(node, message, opts);
}

/** Reads a parameter once for the whole node (index 0), with a fallback. */
export function param<T = any>(ctx: NodeExecuteContext, name: string, fallback?: T, itemIndex = 0): T {
  return ctx.getNodeParameter(name, itemIndex, fallback) as T;
}

export function pairedRange(n: number): Array<{ item: number }> {
  return Array.from({ length: n }, (_, item) => ({ item }));
}

/** Input item with its index as pairedItem, as n8n sets when a node keeps items unchanged. */
export function withPaired(item: INodeExecutionData, index: number): INodeExecutionData {
  return { ...item, pairedItem: { item: index } };
}

export function typeVersion(ctx: NodeExecuteContext): number {
  return Number(ctx.node.typeVersion ?? 1);
}

/**
 * Runs a per-item body with n8n's continueOnFail handling: a failing item becomes
 * `{json: {error: message}}` when the node continues on fail, otherwise the error propagates.
 */
export async function perItem(
  ctx: NodeExecuteContext,
  items: INodeExecutionData[],
  body: (item: INodeExecutionData, i: number) => Promise<INodeExecutionData | INodeExecutionData[] | null> | INodeExecutionData | INodeExecutionData[] | null,
): Promise<INodeExecutionData[]> {
  const out: INodeExecutionData[] = [];
  for (let i = 0; i < items.length; i++) {
    try {
      const r = await body(items[i], i);
      if (r === null) continue;
      if (Array.isArray(r)) out.push(...r);
      else out.push(r);
    } catch (err) {
      if (ctx.continueOnFail()) {
        out.push({ json: { error: (err as Error)?.message ?? String(err) }, pairedItem: { item: i } });
        continue;
      }
      if (err && typeof err === 'object' && (err as any).itemIndex === undefined) (err as any).itemIndex = i;
      throw err;
    }
  }
  return out;
}
