/** The nodes' one get/set/unset-by-path implementation: lodash path semantics (as n8n's nodes). */
import { describe, expect, it } from 'vitest';
import type { WorkflowDefinition } from '../../src/core/engine/index.js';
import * as path from '../../src/core/engine/nodes/shared/path.js';
import * as validate from '../../src/core/engine/nodes/shared/validate.js';
import * as util from '../../src/core/engine/nodes/extra/util.js';
import { GET, SET, TO_PATH, UNSET, getSample } from './path-cases.js';
import { afterCodeInput, jsonOf, nodeOutput } from './helpers.js';

describe('path helpers (lodash semantics)', () => {
  it.each(TO_PATH)('toPath(%j)', (p, expected) => {
    expect(path.toPath(p)).toStrictEqual(expected);
  });

  it.each(GET)('get $path', ({ path: p, expected }) => {
    expect(path.getPath(getSample(), p)).toStrictEqual(expected);
  });

  it.each(SET)('set $path on $start', ({ start, path: p, expected }) => {
    const obj = structuredClone(start);
    path.setPath(obj, p, 'V');
    expect(obj).toStrictEqual(expected);
    expect(({} as any).polluted).toBeUndefined();
  });

  it.each(UNSET)('unset $path on $start', ({ start, path: p, expected }) => {
    const obj = structuredClone(start);
    path.unsetPath(obj, p);
    expect(obj).toStrictEqual(expected);
    expect(typeof Object.prototype.toString).toBe('function');
  });

  it('get/set/unset on null, undefined and primitives do nothing', () => {
    for (const v of [null, undefined]) {
      expect(path.getPath(v, 'a.b')).toBeUndefined();
      expect(() => path.setPath(v, 'a.b', 1)).not.toThrow();
      expect(() => path.unsetPath(v, 'a.b')).not.toThrow();
    }
    expect(path.getPath('abc', 'length')).toBe(3);
    expect(() => path.setPath('abc', 'a', 1)).not.toThrow();
  });

  it('a path reused across items is parsed once and not corrupted by callers', () => {
    const keys = path.toPath('a.b[0]');
    keys.push('mutated');
    expect(path.toPath('a.b[0]')).toEqual(['a', 'b', '0']);
    const o = {};
    path.setPath(o, 'a.b[0]', 1);
    path.setPath(o, 'a.b[1]', 2);
    expect(o).toEqual({ a: { b: [1, 2] } });
  });

  it('is the only path implementation: the other helper modules offer none', () => {
    for (const mod of [validate, util] as Array<Record<string, unknown>>) {
      for (const name of ['toPath', 'getPath', 'setPath', 'unsetPath', 'deepGet', 'deepSet', 'deepUnset']) expect(mod[name], name).toBeUndefined();
    }
  });
});

describe('nodes use the lodash paths', () => {
  const wf = (node: WorkflowDefinition['nodes'][number], input: unknown[]) => afterCodeInput(input, node);
  const out = async (def: WorkflowDefinition, name: string) => jsonOf(await nodeOutput(def, name));

  it('Set: brackets create arrays, quoted keys keep dots, an existing dotted key is set whole', async () => {
    const assignments = [
      { id: '1', name: 'list[0].x', value: 1, type: 'number' },
      { id: '2', name: 'obj["a.b"]', value: 'q', type: 'string' },
      { id: '3', name: 'has.dot', value: 'new', type: 'string' },
    ];
    const node = { name: 'Set', type: 'n8n-nodes-base.set', typeVersion: 3.4, parameters: { assignments: { assignments }, includeOtherFields: true, options: {} } };
    expect(await out(wf(node as any, [{ 'has.dot': 'old' }]), 'Set')).toEqual([{ 'has.dot': 'new', list: [{ x: 1 }], obj: { 'a.b': 'q' } }]);
  });

  it('Set: excluding an existing dotted key removes that key, not a nested one', async () => {
    const node = {
      name: 'Set', type: 'n8n-nodes-base.set', typeVersion: 3.4,
      parameters: { assignments: { assignments: [] }, includeOtherFields: true, include: 'except', excludeFields: 'a.b, c[0]', options: {} },
    };
    expect(await out(wf(node as any, [{ 'a.b': 1, a: { b: 2 }, c: [1, 2] }]), 'Set')).toEqual([{ a: { b: 2 }, c: [undefined, 2] }]);
  });

  it('Rename Keys: a quoted key with a dot moves under a bracket path', async () => {
    const node = {
      name: 'Rename', type: 'n8n-nodes-base.renameKeys', typeVersion: 1,
      parameters: { keys: { key: [{ currentKey: 'src["k.1"]', newKey: 'dst[0]' }] } },
    };
    expect(await out(wf(node as any, [{ src: { 'k.1': 'v', other: 1 } }]), 'Rename')).toEqual([{ src: { other: 1 }, dst: ['v'] }]);
  });
});
