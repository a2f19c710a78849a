/**
 * Path cases for the nodes' get/set/unset (src/core/engine/nodes/shared/path.ts). Every
 * expectation is what lodash 4.17 `_.toPath` / `_.get` / `_.set` / `_.unset` give, which is
 * what n8n's nodes call. Kept apart from the test so the table can be checked against lodash.
 */

/** A sparse array: `holes(3, [2, 'V'])` is `[ , , 'V']`. */
export function holes(length: number, ...entries: Array<[number, unknown]>): unknown[] {
  const a: unknown[] = new Array(length);
  for (const [i, v] of entries) a[i] = v;
  return a;
}

const sample = () => ({
  a: { b: { c: 1 }, 0: { b: 'zero' }, 'x.y': { z: 2 } },
  'x.y': 'literal',
  arr: [1, 2, 3],
  s: 'str',
  n: null,
  '': { a: 'empty key' },
  'a\\': { b: 'backslash key' },
  q: { 'x"y': 'quote', 'x\\y': 'backslash' },
});

export const TO_PATH: Array<[string, string[]]> = [
  ['a', ['a']],
  ['a.b.c', ['a', 'b', 'c']],
  ['a.b[0].c', ['a', 'b', '0', 'c']],
  ['a[0][1]', ['a', '0', '1']],
  ['[0]', ['0']],
  ['a["x.y"]', ['a', 'x.y']],
  ["a['x.y'].z", ['a', 'x.y', 'z']],
  ['a["b"][\'c\']', ['a', 'b', 'c']],
  ['a[b].c', ['a', 'b', 'c']],
  ['a[-1]', ['a', '-1']],
  ['a[1.5]', ['a', '1.5']],
  ['.a', ['', 'a']],
  ['a.', ['a', '']],
  ['a..b', ['a', '', 'b']],
  ['a[]', ['a', '']],
  // a backslash escapes only inside quotes; there is no escaped dot
  ['a["x\\"y"]', ['a', 'x"y']],
  ['a["x\\\\y"]', ['a', 'x\\y']],
  ['a\\.b', ['a\\', 'b']],
  ['a b.c d', ['a b', 'c d']],
];

export const GET: Array<{ path: string | string[]; expected: unknown; note?: string }> = [
  { path: 'a.b.c', expected: 1 },
  { path: 'a[0].b', expected: 'zero', note: 'index into an object key' },
  { path: 'a.0.b', expected: 'zero' },
  { path: 'arr[1]', expected: 2 },
  { path: 'arr.2', expected: 3 },
  { path: 'a["x.y"].z', expected: 2 },
  { path: "a['x.y'].z", expected: 2 },
  { path: 'x.y', expected: 'literal', note: 'a key of the object itself is used whole' },
  { path: ['x.y'], expected: 'literal' },
  { path: ['a', 'b', 'c'], expected: 1 },
  { path: 'a.missing.deep', expected: undefined, note: 'missing intermediate' },
  { path: 'n.x', expected: undefined, note: 'null intermediate' },
  { path: 's.length', expected: 3 },
  { path: 'arr.length', expected: 3 },
  { path: '.a', expected: 'empty key' },
  { path: '', expected: { a: 'empty key' } },
  { path: 'a\\.b', expected: 'backslash key' },
  { path: 'q["x\\"y"]', expected: 'quote' },
  { path: 'q["x\\\\y"]', expected: 'backslash' },
  { path: 'arr[5]', expected: undefined },
  { path: [], expected: undefined, note: 'empty key list' },
];

export function getSample(): Record<string, any> {
  return sample();
}

export const SET: Array<{ start: Record<string, unknown>; path: string; expected: Record<string, unknown>; note?: string }> = [
  { start: {}, path: 'a', expected: { a: 'V' } },
  { start: {}, path: 'a.b.c', expected: { a: { b: { c: 'V' } } }, note: 'missing intermediates become objects' },
  { start: {}, path: 'a[0].b', expected: { a: [{ b: 'V' }] }, note: 'an index creates an array' },
  { start: {}, path: 'a.0.b', expected: { a: [{ b: 'V' }] } },
  { start: {}, path: 'a[2]', expected: { a: holes(3, [2, 'V']) } },
  { start: {}, path: '[0]', expected: { 0: 'V' } },
  { start: {}, path: 'a[0][1]', expected: { a: [holes(2, [1, 'V'])] } },
  { start: {}, path: 'a.01', expected: { a: { '01': 'V' } }, note: 'a leading zero is not an index' },
  { start: {}, path: 'a[-1]', expected: { a: { '-1': 'V' } } },
  { start: {}, path: 'a[1.5].b', expected: { a: { '1.5': { b: 'V' } } } },
  { start: {}, path: 'a["x.y"].z', expected: { a: { 'x.y': { z: 'V' } } } },
  { start: {}, path: "a['x.y']", expected: { a: { 'x.y': 'V' } } },
  { start: {}, path: 'x.y', expected: { x: { y: 'V' } } },
  { start: { 'x.y': 1 }, path: 'x.y', expected: { 'x.y': 'V' }, note: 'an existing dotted key is set whole' },
  { start: { a: 5 }, path: 'a.b', expected: { a: { b: 'V' } }, note: 'a primitive in the way is replaced' },
  { start: { a: null }, path: 'a.b', expected: { a: { b: 'V' } } },
  { start: { a: 'str' }, path: 'a[0]', expected: { a: ['V'] } },
  { start: { a: [1] }, path: 'a[1]', expected: { a: [1, 'V'] } },
  { start: { a: {} }, path: 'a[0]', expected: { a: { 0: 'V' } }, note: 'an existing object stays an object' },
  { start: { a: [{ b: 1 }] }, path: 'a[0].c', expected: { a: [{ b: 1, c: 'V' }] } },
  { start: {}, path: '.a', expected: { '': { a: 'V' } } },
  { start: {}, path: 'a[]', expected: { a: { '': 'V' } } },
  { start: {}, path: 'a\\.b', expected: { 'a\\': { b: 'V' } } },
  { start: {}, path: '', expected: { '': 'V' } },
  { start: {}, path: '__proto__.polluted', expected: {} },
  { start: {}, path: 'constructor.prototype.polluted', expected: {} },
  { start: {}, path: 'a.__proto__.polluted', expected: { a: {} }, note: 'stops at the unsafe key' },
  { start: {}, path: 'constructor', expected: {} },
];

export const UNSET: Array<{ start: Record<string, unknown>; path: string; expected: Record<string, unknown>; note?: string }> = [
  { start: { a: { b: 1, c: 2 } }, path: 'a.b', expected: { a: { c: 2 } } },
  { start: { a: 1, b: 2 }, path: 'a', expected: { b: 2 } },
  { start: { 'a.b': 1, a: { b: 2 } }, path: 'a.b', expected: { a: { b: 2 } }, note: 'an existing dotted key is removed whole' },
  { start: { a: { 'x.y': 1, z: 2 } }, path: 'a["x.y"]', expected: { a: { z: 2 } } },
  { start: { a: [1, 2] }, path: 'a[0]', expected: { a: holes(2, [1, 2]) }, note: 'leaves a hole, as delete does' },
  { start: { a: [{ b: 1, c: 2 }] }, path: 'a[0].b', expected: { a: [{ c: 2 }] } },
  { start: { a: 1 }, path: 'x.y.z', expected: { a: 1 }, note: 'missing intermediate' },
  { start: { a: null }, path: 'a.b', expected: { a: null } },
  { start: { a: 'str' }, path: 'a.length', expected: { a: 'str' } },
  { start: { arr: [1] }, path: 'arr.length', expected: { arr: [1] }, note: 'non-configurable: stays, no throw' },
  { start: { a: 1 }, path: '__proto__.toString', expected: { a: 1 } },
  { start: { a: 1 }, path: 'constructor.prototype.toString', expected: { a: 1 } },
];
