/**
 * Host-side lookups behind the expression fast path's `$node["Name"]` and `$('Name').item`:
 * the same walk as the sandbox's data runtime (runtime-data.ts nodeOutput / pairedFor /
 * getPairedItem), over plain run data, returning DECLINE wherever the sandbox would throw
 * or needs its more general handling (several paired items), so the sandbox answers those.
 */
import type { INodeExecutionData, IPairedItemData, ISourceData } from '../types.js';
import { DECLINE } from '../expressions/fast-path.js';
import type { ExecContext } from './context.js';

type Paired = IPairedItemData & { sourceOverwrite?: ISourceData | null };

const isIndex = (v: unknown, len: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < len;

function run(ctx: ExecContext, node: string, runIndex: number) {
  const t = ctx.ex.runData[node]?.[runIndex];
  return t ? { source: t.source ?? [], main: t.data?.main ?? [] } : undefined;
}

/** `$node[name]`'s item for `itemIndex`: last run, the branch connected to this node (else 0). */
export function nodeItem(ctx: ExecContext, name: string, itemIndex: number): INodeExecutionData | typeof DECLINE {
  if (!ctx.ex.graph.nodes.has(name)) return DECLINE;
  const count = ctx.ex.runData[name]?.length ?? 0;
  if (count === 0) return DECLINE;
  const r = run(ctx, name, count - 1);
  if (!r || !r.main.length || r.main[0] === null) return DECLINE;
  const ci = ctx.ex.graph.getConnectionIndexes(ctx.node.name, name)?.sourceIndex ?? -1;
  const branch = ci >= 0 ? ci : 0;
  if (r.main.length <= branch) return DECLINE;
  const o = r.main[branch] ?? [];
  return isIndex(itemIndex, o.length) ? o[itemIndex] : DECLINE;
}

/** `$('name').item` for `itemIndex`: follows pairedItem links back to the node. */
export function pairedItem(ctx: ExecContext, name: string, itemIndex: number): INodeExecutionData | typeof DECLINE {
  if (!ctx.ex.graph.nodes.has(name) || !(ctx.ex.runData[name]?.length)) return DECLINE;
  const input = ctx.inputData.main[ctx.inputIndex]?.[itemIndex];
  if (!input) return DECLINE;
  const raw = input.pairedItem;
  if (Array.isArray(raw) || (raw !== undefined && raw !== null && typeof raw !== 'number' && typeof raw !== 'object')) return DECLINE;
  let pi: Paired = typeof raw === 'number' ? { item: raw } : (raw as Paired | null | undefined) ?? { item: itemIndex };
  const frameSource = ctx.executeData.source?.main ?? [];
  let src: ISourceData | null | undefined = frameSource[pi.input || 0] || frameSource[0];
  if (!src) return DECLINE;
  if (pi.sourceOverwrite) src = pi.sourceOverwrite;
  for (let guard = 0; src.previousNode !== name; guard++) {
    if (guard > 10000) return DECLINE;
    const r = run(ctx, src.previousNode, src.previousNodeRun || 0);
    if (!r) return DECLINE;
    const out = r.main[src.previousNodeOutput || 0];
    const prev = out && isIndex(pi.item, out.length) ? out[pi.item] : undefined;
    if (!prev) return DECLINE;
    let next = prev.pairedItem;
    if (Array.isArray(next)) {
      if (next.length !== 1) return DECLINE; // several candidates: the sandbox resolves (or reports) them
      next = next[0];
    }
    if (next === undefined || next === null) return DECLINE;
    const cur: Paired = typeof next === 'number' ? { item: next } : (next as Paired);
    if (typeof cur !== 'object') return DECLINE;
    const inp = cur.input || 0;
    if (inp >= r.source.length) return DECLINE;
    const s: ISourceData | null | undefined = cur.sourceOverwrite || r.source[inp];
    if (!s) return DECLINE;
    src = s;
    pi = cur;
  }
  const r = run(ctx, src.previousNode, src.previousNodeRun || 0);
  if (!r) return DECLINE;
  const out = r.main[src.previousNodeOutput || 0] ?? [];
  return isIndex(pi.item, out.length) ? out[pi.item] : DECLINE;
}
