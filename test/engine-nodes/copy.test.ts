/** The runner's and the nodes' one deep copy of item data (shared/copy.ts). */
import { describe, expect, it } from 'vitest';
import { type WorkflowDefinition } from '../../src/core/engine/index.js';
import { deepCopy } from '../../src/core/engine/nodes/shared/copy.js';
import * as validate from '../../src/core/engine/nodes/shared/validate.js';
import * as util from '../../src/core/engine/nodes/extra/util.js';
import { afterCode, afterCodeInput, jsonOf, nodeOutput } from './helpers.js';

describe('deepCopy', () => {
  it('copies JSON-like trees: equal, and no object or array is shared', () => {
    const src = { a: { b: [1, { c: 'x' }, [null, true]] }, s: 'str', n: 0, e: {} as object };
    const out = deepCopy(src);
    expect(out).toStrictEqual(src);
    expect(out).not.toBe(src);
    expect(out.a).not.toBe(src.a);
    expect(out.a.b).not.toBe(src.a.b);
    expect(out.a.b[1]).not.toBe(src.a.b[1]);
    expect(out.a.b[2]).not.toBe(src.a.b[2]);
    (out.a.b[1] as { c: string }).c = 'changed';
    expect((src.a.b[1] as { c: string }).c).toBe('x');
  });

  it('keeps undefined values (as keys), array holes, and returns primitives and undefined as they are', () => {
    const out = deepCopy({ u: undefined, arr: [1, , 3] });
    expect(Object.keys(out)).toEqual(['u', 'arr']);
    expect(out.u).toBeUndefined();
    expect(1 in out.arr).toBe(false);
    expect(out.arr.length).toBe(3);
    for (const v of [undefined, null, 0, -0, NaN, '', 'x', true, 10n]) expect(Object.is(deepCopy(v), v)).toBe(true);
  });

  it('copies a value with deeply shared references in time, copying each object once', () => {
    // Each level holds the next one twice: a plain walk would visit 2^24 objects.
    let level: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < 24; i++) level = { a: level, b: level, i };
    const t = Date.now();
    const out = deepCopy(level) as typeof level;
    expect(Date.now() - t).toBeLessThan(1000);
    // Identity checks as booleans: the matchers would walk the 2^24-object tree for a diff.
    expect(out === level).toBe(false);
    expect(out.a === out.b).toBe(true);
    expect(out.a === level.a).toBe(false);
    expect(out.i).toBe(23);
  });

  it('copies large flat data by the walk (no fallback below the object budget)', () => {
    const items = Array.from({ length: 20_000 }, (_, i) => ({ i, tags: ['x'] }));
    const out = deepCopy({ items, fn: () => 1 });
    expect(out.items).toHaveLength(20_000);
    expect(out.items[19_999]).toEqual({ i: 19_999, tags: ['x'] });
    expect(typeof out.fn).toBe('function'); // structuredClone would have thrown on the function
  });

  it('copies Dates as Dates and Buffers as Buffers (not shared)', () => {
    const d = new Date('2024-01-15T12:00:00Z');
    const buf = Buffer.from('héllo');
    const out = deepCopy({ d, buf, bad: new Date(NaN) });
    expect(out.d).toBeInstanceOf(Date);
    expect(out.d).not.toBe(d);
    expect(out.d.getTime()).toBe(d.getTime());
    expect(Number.isNaN(out.bad.getTime())).toBe(true);
    expect(Buffer.isBuffer(out.buf)).toBe(true);
    expect(out.buf).not.toBe(buf);
    expect(out.buf.toString()).toBe('héllo');
    out.buf[0] = 0;
    expect(buf.toString()).toBe('héllo');
  });

  it('an own "__proto__" key (from JSON.parse) stays an own key and never becomes the prototype', () => {
    const src = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}');
    const out = deepCopy(src);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(out.polluted).toBeUndefined();
    expect(Object.keys(out)).toEqual(['__proto__', 'a']);
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).toEqual({ polluted: true });
    expect(JSON.stringify(out)).toBe(JSON.stringify(src));
    expect(({} as any).polluted).toBeUndefined();
  });

  it('null-prototype objects become plain objects; functions are shared; other objects are structured clones', () => {
    const bare = Object.assign(Object.create(null), { k: 1 });
    const fn = () => 1;
    const map = new Map([['k', { v: 1 }]]);
    class Point { constructor(public x = 1) {} }
    const out = deepCopy({ bare, fn, map, re: /a+/gi, point: new Point(), typed: new Uint16Array([1, 2]) });
    expect(Object.getPrototypeOf(out.bare)).toBe(Object.prototype);
    expect(out.bare).toEqual({ k: 1 });
    expect(out.fn).toBe(fn);
    expect(out.map).toBeInstanceOf(Map);
    expect(out.map.get('k')).toEqual({ v: 1 });
    expect(out.map.get('k')).not.toBe(map.get('k'));
    expect(out.re).toEqual(/a+/gi);
    expect(out.point).toEqual({ x: 1 }); // structuredClone: own data, plain object
    expect(out.typed).toEqual(new Uint16Array([1, 2]));
  });

  it('only copies own enumerable string keys', () => {
    const src: any = { own: 1 };
    Object.defineProperty(src, 'hidden', { value: 2, enumerable: false });
    src[Symbol('s')] = 3;
    expect(Reflect.ownKeys(deepCopy(src))).toEqual(['own']);
  });

  it('a cycle is kept (structuredClone fallback) instead of overflowing the stack', () => {
    const src: any = { a: { list: [] as unknown[] } };
    src.a.self = src;
    src.a.list.push(src.a);
    const out = deepCopy(src);
    expect(out).not.toBe(src);
    expect(out.a.self).toBe(out);
    expect(out.a.list[0]).toBe(out.a);
  });

  it('is the only deep copy: the other helper modules offer none', () => {
    for (const mod of [validate, util] as Array<Record<string, unknown>>) expect(mod.deepCopy).toBeUndefined();
  });
});

describe('nodes copy items with it', () => {
  /** Manual trigger → Code node returning one item parsed from `json` (so `__proto__` is an own key) → `under`. */
  const parsedInput = (json: string, under: WorkflowDefinition['nodes'][number]) => afterCode(`return [{ json: JSON.parse(${JSON.stringify(json)}) }];`, under);
  const firstJson = async (def: WorkflowDefinition, name: string) => (await nodeOutput(def, name))[0]!.json;
  const INPUT = '{"__proto__": {"x": 1}, "a": {"b": 2}}';

  it('Set (include all) and Rename Keys keep an own "__proto__" key as data', async () => {
    const set = { name: 'Set', type: 'n8n-nodes-base.set', typeVersion: 3.4, parameters: { assignments: { assignments: [{ id: '1', name: 'c', value: 3, type: 'number' }] }, includeOtherFields: true, options: {} } };
    const setOut = await firstJson(parsedInput(INPUT, set as any), 'Set');
    expect(Object.keys(setOut)).toEqual(['__proto__', 'a', 'c']);
    expect(Object.getPrototypeOf(setOut)).toBe(Object.prototype);
    expect((setOut as any).x).toBeUndefined();

    const rename = { name: 'Rename', type: 'n8n-nodes-base.renameKeys', typeVersion: 1, parameters: { keys: { key: [{ currentKey: 'a.b', newKey: 'z' }] } } };
    const renameOut = await firstJson(parsedInput(INPUT, rename as any), 'Rename');
    expect(Object.keys(renameOut)).toEqual(['__proto__', 'a', 'z']);
    expect(renameOut.a).toEqual({});
    expect(Object.getOwnPropertyDescriptor(renameOut, '__proto__')?.value).toEqual({ x: 1 });
  });

  it('Split Out (all other fields) copies the other fields, not shares them', async () => {
    const split = { name: 'Split', type: 'n8n-nodes-base.splitOut', typeVersion: 1, parameters: { fieldToSplitOut: 'list', include: 'allOtherFields', options: {} } };
    const items = jsonOf(await nodeOutput(afterCodeInput([{ list: [1, 2], shared: { k: 1 } }], split as any), 'Split'));
    expect(items).toEqual([{ shared: { k: 1 }, list: 1 }, { shared: { k: 1 }, list: 2 }]);
    expect(items[0].shared).not.toBe(items[1].shared);
  });
});
