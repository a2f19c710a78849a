import type { IDataObject, INodeExecutionData, IPairedItemData } from '../../types.js';
import { getPath } from './path.js';
import { isEqual } from '../extra/util.js';

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

const isNull = (v: unknown) => v === null;
/** n8n's isFalsy (utilities.ts): null, '' and [] (undefined is handled separately). */
const isFalsy = (v: unknown) => v === null || v === '' || (Array.isArray(v) && v.length === 0);

function jsonEquals(str: string, value: unknown): boolean {
  try {
    return isEqual(JSON.parse(str), value);
  } catch {
    return false;
  }
}

export type CompareFunction = (a: unknown, b: unknown) => boolean;

/**
 * n8n's fuzzyCompare (nodes-base utilities): without fuzzy it is lodash isEqual (deep,
 * independent of key order); with fuzzy, values of different types are converted before
 * comparing: 3 == '3', true == 'true'/'TRUE'/1/'1', null == '' == [] (and == a missing
 * value), a JSON string == the object/array it encodes. compareVersion >= 2 also treats
 * null as equal to 0 and '0'. Used by every node that matches items on field values.
 */
export function fuzzyCompare(useFuzzyCompare: boolean, compareVersion = 1): CompareFunction {
  if (!useFuzzyCompare) return isEqual;
  return (a, b) => {
    // same type: strict (deep) comparison
    if (!isNull(a) && !isNull(b) && typeof a === typeof b) return isEqual(a, b);
    if (compareVersion >= 2) {
      if (isNull(a) && (isNull(b) || b === 0 || b === '0')) return true;
      if (isNull(b) && (a === 0 || a === '0')) return true;
    }
    if (isFalsy(a) && isFalsy(b)) return true;
    if ((isFalsy(a) && b === undefined) || (a === undefined && isFalsy(b))) return true;
    if (typeof a === 'number' && typeof b === 'string') return a.toString() === b;
    if (typeof a === 'string' && typeof b === 'number') return a === b.toString();
    if (!isNull(a) && typeof a === 'object' && typeof b === 'string') return jsonEquals(b, a);
    if (!isNull(b) && typeof b === 'object' && typeof a === 'string') return jsonEquals(a, b);
    const boolEq = (x: boolean, y: unknown) =>
      (typeof y === 'string' && (y.toLocaleLowerCase() === String(x) || y === (x ? '1' : '0'))) || (typeof y === 'number' && y === (x ? 1 : 0));
    if (typeof a === 'boolean' && boolEq(a, b)) return true;
    if (typeof b === 'boolean' && boolEq(b, a)) return true;
    return isEqual(a, b);
  };
}

export interface Matches {
  matched: Array<{ entry: INodeExecutionData; matches: INodeExecutionData[] }>;
  matched2: INodeExecutionData[];
  unmatched1: INodeExecutionData[];
  unmatched2: INodeExecutionData[];
}

export interface MatchOptions {
  fuzzyCompare?: boolean;
  disableDotNotation?: boolean;
  multipleMatches?: string;
  joinMode?: string;
  outputDataFrom?: string;
}

/**
 * n8n's findMatches: an input 1 item matches the input 2 items whose fields equal its own
 * (fuzzyCompare); an item missing a field never matches. When the matches are merged into
 * the output (output from both inputs, enrich modes) each pair is its own entry, so an
 * item with two matches yields two output items.
 */
export function findMatches(
  input1: INodeExecutionData[],
  input2: INodeExecutionData[],
  fields: Array<{ field1: string; field2: string }>,
  opts: MatchOptions,
): Matches {
  const eq = fuzzyCompare(!!opts.fuzzyCompare);
  const get = (o: IDataObject, k: string) => (opts.disableDotNotation ? o[k] : getPath(o, k));
  const perPair = (opts.outputDataFrom ?? 'both') === 'both' || opts.joinMode === 'enrichInput1' || opts.joinMode === 'enrichInput2';
  const res: Matches = { matched: [], matched2: [], unmatched1: [], unmatched2: [] };
  const matchedIn2 = new Set<number>();
  for (const e1 of input1) {
    const lookup: Array<[string, unknown]> = fields.map((f) => [f.field2, get(e1.json, f.field1)]);
    if (lookup.some(([, v]) => v === undefined)) {
      res.unmatched1.push(e1);
      continue;
    }
    const found: INodeExecutionData[] = [];
    for (let idx = 0; idx < input2.length; idx++) {
      const e2 = input2[idx];
      if (e2 === undefined || !lookup.every(([k, v]) => eq(v, get(e2.json, k)))) continue;
      matchedIn2.add(idx);
      found.push(e2);
      if (opts.multipleMatches === 'first') break;
    }
    if (!found.length) res.unmatched1.push(e1);
    else if (perPair) for (const m of found) res.matched.push({ entry: e1, matches: [m] });
    else res.matched.push({ entry: e1, matches: found });
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
