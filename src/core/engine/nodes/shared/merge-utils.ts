import type { IDataObject, INodeExecutionData, IPairedItemData } from '../../types.js';
import { deepGet } from './validate.js';

const isPlain = (v: unknown): v is IDataObject => v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date);

/** lodash.merge semantics (deep, arrays merged by index, undefined sources skipped). */
export function lodashMerge(target: any, ...sources: any[]): any {
  for (const src of sources) {
    if (!src || typeof src !== 'object') continue;
    for (const key of Object.keys(src)) {
      if (key === '__proto__' || key === 'constructor') continue;
      const s = src[key];
      const t = target[key];
      if ((isPlain(s) || Array.isArray(s)) && (isPlain(t) || Array.isArray(t)) && Array.isArray(s) === Array.isArray(t)) {
        lodashMerge(t, s);
      } else if (isPlain(s) || Array.isArray(s)) {
        target[key] = lodashMerge(Array.isArray(s) ? [] : {}, s);
      } else if (s !== undefined || !(key in target)) target[key] = s;
    }
  }
  return target;
}

export interface ClashOptions {
  resolveClash?: string;
  mergeMode?: string;
  overrideEmpty?: boolean;
}

export function mergeMethod(o: ClashOptions): (target: IDataObject, ...src: IDataObject[]) => IDataObject {
  const mode = o.mergeMode ?? 'deepMerge';
  if (o.overrideEmpty) {
    const strip = (s: IDataObject) => {
      const out: IDataObject = {};
      for (const [k, v] of Object.entries(s ?? {})) if (!(v === undefined || v === null || v === '')) out[k] = v;
      return out;
    };
    if (mode === 'shallowMerge') return (t, ...s) => Object.assign({}, t, ...s.map(strip));
    return (t, ...s) => lodashMerge({ ...t }, ...s.map(strip));
  }
  if (mode === 'shallowMerge') return (t, ...s) => Object.assign({}, t, ...s);
  return (t, ...s) => lodashMerge({}, t, ...s);
}

export function addSuffix(items: INodeExecutionData[], suffix: string): INodeExecutionData[] {
  return items.map((e) => {
    const json: IDataObject = {};
    for (const k of Object.keys(e.json)) json[`${k}_${suffix}`] = e.json[k];
    return { ...e, json };
  });
}

export function addSourceField(items: INodeExecutionData[], source: string): INodeExecutionData[] {
  return items.map((e) => ({ ...e, json: { _source: source, ...e.json } }));
}

function isEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

function fuzzyEqual(a: unknown, b: unknown): boolean {
  if (isEqual(a, b)) return true;
  const norm = (v: unknown) => (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v).trim().toLowerCase());
  if ((typeof a === 'number' || typeof b === 'number') && !isNaN(Number(a)) && !isNaN(Number(b))) return Number(a) === Number(b);
  return norm(a) === norm(b);
}

export interface Matches {
  matched: Array<{ entry: INodeExecutionData; matches: INodeExecutionData[] }>;
  matched2: INodeExecutionData[];
  unmatched1: INodeExecutionData[];
  unmatched2: INodeExecutionData[];
}

export function findMatches(
  input1: INodeExecutionData[],
  input2: INodeExecutionData[],
  fields: Array<{ field1: string; field2: string }>,
  opts: { fuzzyCompare?: boolean; disableDotNotation?: boolean; multipleMatches?: string },
): Matches {
  const eq = opts.fuzzyCompare ? fuzzyEqual : isEqual;
  const get = (o: IDataObject, k: string) => (opts.disableDotNotation ? o[k] : deepGet(o, k));
  const res: Matches = { matched: [], matched2: [], unmatched1: [], unmatched2: [] };
  const matchedIn2 = new Set<number>();
  outer: for (const e1 of input1) {
    const lookup: Array<[string, unknown]> = fields.map((f) => [f.field2, get(e1.json, f.field1)]);
    for (const [, v] of lookup) {
      if (v === undefined) {
        res.unmatched1.push(e1);
        continue outer;
      }
    }
    const found: INodeExecutionData[] = [];
    input2.forEach((e2, idx) => {
      if (lookup.every(([k, v]) => eq(v, get(e2.json, k)))) {
        matchedIn2.add(idx);
        found.push(e2);
      }
    });
    if (!found.length) {
      res.unmatched1.push(e1);
      continue;
    }
    res.matched.push({ entry: e1, matches: opts.multipleMatches === 'first' ? [found[0]] : found });
  }
  input2.forEach((e2, idx) => (matchedIn2.has(idx) ? res.matched2.push(e2) : res.unmatched2.push(e2)));
  return res;
}

export function mergeMatched(matched: Matches['matched'], o: ClashOptions, joinMode?: string): INodeExecutionData[] {
  const out: INodeExecutionData[] = [];
  const merge = mergeMethod(o);
  let resolve = o.resolveClash;
  if (resolve === undefined) resolve = joinMode !== 'enrichInput2' ? 'preferInput2' : 'preferInput1';
  for (const m of matched) {
    let entry = m.entry;
    let matches = m.matches;
    let json: IDataObject = {};
    let binary: IDataObject = {};
    if (resolve === 'addSuffix') {
      [entry] = addSuffix([entry], '1');
      matches = addSuffix(matches, '2');
      json = merge({ ...entry.json }, ...matches.map((x) => x.json));
      binary = merge({ ...(entry.binary ?? {}) }, ...matches.map((x) => (x.binary ?? {}) as IDataObject));
    } else if (resolve === 'preferInput1') {
      const [first, ...rest] = matches;
      json = merge({ ...first.json }, ...rest.map((x) => x.json), entry.json);
      binary = merge({ ...(first.binary ?? {}) }, ...rest.map((x) => (x.binary ?? {}) as IDataObject), (entry.binary ?? {}) as IDataObject);
    } else {
      json = merge({ ...entry.json }, ...matches.map((x) => x.json));
      binary = merge({ ...(entry.binary ?? {}) }, ...matches.map((x) => (x.binary ?? {}) as IDataObject));
    }
    const item: INodeExecutionData = { json, pairedItem: [entry.pairedItem as IPairedItemData, ...matches.map((x) => x.pairedItem as IPairedItemData)] };
    if (Object.keys(binary).length) item.binary = binary as any;
    out.push(item);
  }
  return out;
}
