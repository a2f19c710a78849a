import type { IDataObject, INodeExecutionData, IPairedItemData, ISourceData, RunOptions, WorkflowDefinition } from '../types.js';
import type { ExecuteData } from './execute.js';
import { getNodeType } from '../nodes/registry.js';

/** Item bookkeeping shared by the execution loop (ports of n8n WorkflowExecute helpers). */

/** n8n records 0 as absent (`outputIndex || undefined`). */
export function srcOf(previousNode: string, output: number, run: number): ISourceData {
  const s: ISourceData = { previousNode };
  if (output) s.previousNodeOutput = output;
  if (run) s.previousNodeRun = run;
  return s;
}

export function computeTimeout(def: WorkflowDefinition, o: RunOptions): number | undefined {
  const s = def.settings?.executionTimeout;
  const fromSettings = typeof s === 'number' && s > 0 ? s * 1000 : undefined;
  const vals = [fromSettings, o.timeoutMs && o.timeoutMs > 0 ? o.timeoutMs : undefined].filter((v): v is number => v !== undefined);
  return vals.length ? Math.min(...vals) : undefined;
}

export function safeParse(s: string): IDataObject {
  try {
    const v = JSON.parse(s);
    return v && typeof v === 'object' ? v : {};
  } catch {
    return {};
  }
}

export function addPairedItemLineage(data: ExecuteData['data']): ExecuteData['data'] {
  return {
    main: data.main.map((input, inputIndex) =>
      input === null ? null : input.map((item, itemIndex) => ({ ...item, pairedItem: inputIndex ? { item: itemIndex, input: inputIndex } : { item: itemIndex } })),
    ),
  };
}

export function assignPairedItems(out: INodeExecutionData[][] | null | undefined, ed: ExecuteData): INodeExecutionData[][] | null {
  if (out?.length) {
    const main = ed.data.main;
    const single = main.length === 1 && main[0]?.length === 1;
    const same = out.length === 1 && main.length === 1 && main[0]?.length === out[0]?.length;
    outer: for (const o of out) {
      if (!o) continue;
      for (let i = 0; i < o.length; i++) {
        if (o[i].pairedItem === undefined) {
          if (single) o[i].pairedItem = { item: 0 };
          else if (same) o[i].pairedItem = { item: i };
          else break outer;
        }
      }
    }
  }
  return out ?? null;
}

export function ensureAlwaysOutputData(out: INodeExecutionData[][] | null, ed: ExecuteData): INodeExecutionData[][] | null {
  if (out?.[0]?.[0]) return out;
  if (ed.node.alwaysOutputData !== true) return out;
  const pairedItem: IPairedItemData[] = [];
  ed.data.main.forEach((inp, inputIndex) => inp?.forEach((_x, item) => pairedItem.push({ item, input: inputIndex })));
  out ??= [];
  out[0] = [{ json: {}, pairedItem }];
  return out;
}

export function normalizeNodeErrors(out: INodeExecutionData[][]): void {
  for (const o of out) {
    for (const r of o ?? []) {
      if (r.json && (r.json as any).$error !== undefined && (r.json as any).$json !== undefined) {
        r.error = (r.json as any).$error;
        r.json = { error: (r.error as any).message };
      } else if (r.error !== undefined) {
        r.json = { error: (r.error as any)?.message ?? String(r.error) };
      }
    }
  }
}

/** onError=continueErrorOutput: move items that carry an error to the extra last output. */
export function routeErrorOutput(ed: ExecuteData, out: INodeExecutionData[][]): void {
  const nt = getNodeType(ed.node.type);
  const nOut = (nt?.outputs?.(ed.node) ?? 1) + 1;
  const errorItems: INodeExecutionData[] = [];
  for (let o = 0; o < nOut - 1; o++) {
    const items = out[o]?.length ? out[o] : [];
    const ok: INodeExecutionData[] = [];
    while (items.length) {
      const item = items.pop()!;
      let errorData: unknown;
      if (item.error) errorData = item.error;
      else if (item.json?.error && Object.keys(item.json).every((k) => ['error', 'message', 'details'].includes(k))) errorData = item.json.error;
      if (errorData) {
        const p = item.pairedItem && typeof item.pairedItem === 'object' ? (Array.isArray(item.pairedItem) ? item.pairedItem[0] : item.pairedItem) : undefined;
        const orig = p && ed.source ? ed.data.main[p.input || 0]?.[p.item] : undefined;
        errorItems.push(orig ? { ...item, json: { ...orig.json, ...item.json } } : item);
      } else ok.push(item);
    }
    out[o] = ok;
  }
  out[nOut - 1] = errorItems;
}
