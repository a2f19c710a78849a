/**
 * Merge node item matching, as n8n's: deep equality that ignores key order (lodash isEqual),
 * the fuzzyCompare option's type conversions, one output item per matched pair, and the
 * v1 key modes' string-keyed lookup.
 */
import { describe, expect, it } from 'vitest';
import { registerNodeType, runWorkflow } from '../../src/core/engine/index.js';
import { fuzzyCompare } from '../../src/core/engine/nodes/shared/merge-utils.js';
import type { IDataObject, INode, INodeExecutionData, WorkflowDefinition } from '../../src/core/engine/types.js';

// emits the items given in its parameters (no sandbox needed)
registerNodeType({
  type: 'jobsprint-test.emitItems',
  async execute(ctx) {
    return [(ctx.node.parameters.items as INodeExecutionData[]).map((i, item) => ({ ...i, pairedItem: { item } }))];
  },
});

const emit = (name: string, items: Array<IDataObject | INodeExecutionData>): INode => ({
  name, type: 'jobsprint-test.emitItems', typeVersion: 1, position: [0, 0],
  parameters: { items: items.map((i) => ('json' in i && typeof i.json === 'object' ? i : { json: i })) },
});

async function merge(parameters: IDataObject, in1: Array<IDataObject | INodeExecutionData>, in2: Array<IDataObject | INodeExecutionData>, typeVersion = 3) {
  const wf: WorkflowDefinition = {
    nodes: [
      { name: 'T', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
      emit('A', in1),
      emit('B', in2),
      { name: 'Merge', type: 'n8n-nodes-base.merge', typeVersion, position: [0, 0], parameters },
    ],
    connections: {
      T: { main: [[{ node: 'A', type: 'main', index: 0 }, { node: 'B', type: 'main', index: 0 }]] },
      A: { main: [[{ node: 'Merge', type: 'main', index: 0 }]] },
      B: { main: [[{ node: 'Merge', type: 'main', index: 1 }]] },
    },
    settings: { executionOrder: 'v1' },
  };
  const res = await runWorkflow(wf);
  expect(res.status, res.error?.message).toBe('success');
  const items = res.runData.Merge[0].data!.main[0]!;
  return { json: items.map((i) => i.json), items };
}

const byFields = (extra: IDataObject = {}, options: IDataObject = {}) => ({
  mode: 'combine', combineBy: 'combineByFields', fieldsToMatchString: 'key', joinMode: 'keepMatches', ...extra, options,
});

describe('Merge: combine by matching fields', () => {
  it('matches object and array values regardless of key order (deep equality)', async () => {
    const { json } = await merge(
      byFields(),
      [{ key: { a: 1, b: 2 }, x: 1 }, { key: [{ p: 1, q: [1, { r: 1, s: 2 }] }], x: 2 }, { key: { a: 1, b: 3 }, x: 3 }],
      [{ key: { b: 2, a: 1 }, y: 1 }, { key: [{ q: [1, { s: 2, r: 1 }], p: 1 }], y: 2 }, { key: { a: 1 }, y: 3 }],
    );
    expect(json).toEqual([
      { key: { a: 1, b: 2 }, x: 1, y: 1 },
      { key: [{ p: 1, q: [1, { r: 1, s: 2 }] }], x: 2, y: 2 },
    ]);
  });

  it('keep non-matches and enrich use the same equality', async () => {
    const in1 = [{ key: { a: 1, b: 2 }, x: 1 }, { key: { a: 9 }, x: 2 }];
    const in2 = [{ key: { b: 2, a: 1 }, y: 1 }];
    const non = await merge(byFields({ joinMode: 'keepNonMatches', outputDataFrom: 'input1' }), in1, in2);
    expect(non.json).toEqual([{ key: { a: 9 }, x: 2 }]);
    const enrich = await merge(byFields({ joinMode: 'enrichInput1' }), in1, in2);
    expect(enrich.json).toEqual([{ key: { a: 1, b: 2 }, x: 1, y: 1 }, { key: { a: 9 }, x: 2 }]);
  });

  it('without fuzzy compare, values of different types never match', async () => {
    const { json } = await merge(byFields(), [{ key: 1 }, { key: true }, { key: null }], [{ key: '1' }, { key: 'true' }, { key: '' }]);
    expect(json).toEqual([]);
  });

  it('fuzzy compare converts types as n8n does, and compares same-type values strictly', async () => {
    const in1 = [
      { key: 3, n: 'number-string' },
      { key: true, n: 'bool-string' },
      { key: false, n: 'bool-number' },
      { key: null, n: 'null-empty' },
      { key: { b: 2, a: 1 }, n: 'object-json' },
      { key: 'Abc', n: 'case' },
      { key: ' x', n: 'space' },
    ];
    const in2 = [
      { key: '3', m: 1 },
      { key: 'TRUE', m: 2 },
      { key: 0, m: 3 },
      { key: '', m: 4 },
      { key: '{"a":1,"b":2}', m: 5 },
      { key: 'abc', m: 6 },
      { key: 'x', m: 7 },
    ];
    const { json } = await merge(byFields({}, { fuzzyCompare: true }), in1, in2);
    expect(json.map((j) => [j.n, j.m])).toEqual([
      ['number-string', 1],
      ['bool-string', 2],
      ['bool-number', 3],
      ['null-empty', 4],
      ['object-json', 5],
    ]);
  });

  it('with output from both inputs, each matched pair is its own item; "first" keeps one', async () => {
    const in1 = [{ key: 1, a: 'x' }];
    const in2 = [{ key: 1, b: 1 }, { key: 2, b: 2 }, { key: 1, b: 3 }];
    const all = await merge(byFields(), in1, in2);
    expect(all.json).toEqual([{ key: 1, a: 'x', b: 1 }, { key: 1, a: 'x', b: 3 }]);
    expect(all.items.map((i) => i.pairedItem)).toEqual([
      [{ item: 0 }, { item: 0, input: 1 }],
      [{ item: 0 }, { item: 2, input: 1 }],
    ]);
    const first = await merge(byFields({}, { multipleMatches: 'first' }), in1, in2);
    expect(first.json).toEqual([{ key: 1, a: 'x', b: 1 }]);
    // output from input 1: the entry once, however many matches it has
    const only1 = await merge(byFields({ outputDataFrom: 'input1' }), in1, in2);
    expect(only1.json).toEqual([{ key: 1, a: 'x' }]);
  });

  it('v2 (mergeByFields) matches the same way', async () => {
    const { json } = await merge(
      { mode: 'combine', mergeByFields: { values: [{ field1: 'k1', field2: 'k2' }] }, joinMode: 'keepMatches', options: {} },
      [{ k1: { a: 1, b: [1, 2] } }],
      [{ k2: { b: [1, 2], a: 1 }, z: 1 }],
      2.1,
    );
    expect(json).toEqual([{ k1: { a: 1, b: [1, 2] }, k2: { b: [1, 2], a: 1 }, z: 1 }]);
  });
});

describe('fuzzyCompare (shared by the nodes that match on field values)', () => {
  it('strict: lodash isEqual', () => {
    const eq = fuzzyCompare(false);
    expect(eq({ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 })).toBe(true);
    expect(eq({ a: 1 }, { a: 1, b: undefined })).toBe(false);
    expect(eq([1, 2], [2, 1])).toBe(false);
    expect(eq([], {})).toBe(false);
    expect(eq(NaN, NaN)).toBe(true);
    expect(eq(1, '1')).toBe(false);
  });

  it('fuzzy: conversions between types, strict within a type', () => {
    const eq = fuzzyCompare(true);
    const yes: Array<[unknown, unknown]> = [
      [1, '1'], ['1', 1], [true, 'true'], ['False', false], [true, 1], [0, false], [true, '1'], ['0', false],
      [null, ''], ['', []], [[], null], ['', undefined], [undefined, null],
      [{ b: 2, a: 1 }, '{"a":1,"b":2}'], ['[1,{"x":1}]', [1, { x: 1 }]], [{ a: 1 }, { a: 1 }],
    ];
    const no: Array<[unknown, unknown]> = [
      ['a', 'A'], [' a', 'a'], [1, '1.0'], [true, 'yes'], [true, 2], [null, 0], [null, '0'], [{ a: 1 }, 'not json'], [{}, null], [0, ''],
    ];
    for (const [a, b] of yes) expect(eq(a, b), `${JSON.stringify(a)} ~ ${JSON.stringify(b)}`).toBe(true);
    for (const [a, b] of no) expect(eq(a, b), `${JSON.stringify(a)} !~ ${JSON.stringify(b)}`).toBe(false);
    // compareVersion 2 also treats null as 0 / '0'
    expect(fuzzyCompare(true, 2)(null, 0)).toBe(true);
    expect(fuzzyCompare(true, 2)('0', null)).toBe(true);
  });
});

describe('Merge v1 key modes (n8n MergeV1)', () => {
  const v1 = (mode: string, extra: IDataObject = {}) => ({ mode, propertyName1: 'id', propertyName2: 'id', ...extra });

  it('mergeByKey: string-form keys, the last input 2 item per key wins, the key field is not copied, binary is kept', async () => {
    const bin = { data: { data: 'aGk=', mimeType: 'text/plain' } };
    const { json, items } = await merge(
      v1('mergeByKey'),
      [{ json: { id: 1, a: 'one' }, binary: bin }, { id: 'x', a: 'x' }],
      [{ id: '1', b: 'first' }, { id: '1', b: 'last' }, { id: 'x', b: 'xx' }],
      1,
    );
    expect(json).toEqual([{ id: 1, a: 'one', b: 'last' }, { id: 'x', a: 'x', b: 'xx' }]);
    expect(items[0].binary).toEqual(bin);
  });

  it('items whose key is missing or not a string/number never match (objects are not all equal)', async () => {
    const in1 = [{ id: { k: 1 }, n: 'object' }, { n: 'missing' }, { id: true, n: 'bool' }, { id: 2, n: 'two' }];
    const in2 = [{ id: { k: 2 } }, { id: true }, { id: 2, m: 1 }];
    expect((await merge(v1('keepKeyMatches'), in1, in2, 1)).json).toEqual([{ id: 2, n: 'two' }]);
    expect((await merge(v1('removeKeyMatches'), in1, in2, 1)).json.map((j) => j.n)).toEqual(['object', 'missing', 'bool']);
    // mergeByKey drops items without a comparable key, keeps unmatched comparable ones
    expect((await merge(v1('mergeByKey'), [...in1, { id: 3, n: 'three' }], in2, 1)).json).toEqual([{ id: 2, n: 'two', m: 1 }, { id: 3, n: 'three' }]);
  });

  it('input 2 items with a falsy key are not indexed; overwrite "undefined" only fills absent keys', async () => {
    const { json } = await merge(v1('mergeByKey', { overwrite: 'undefined' }), [{ id: 0, a: 1 }, { id: 5, a: null, c: 1 }], [{ id: 0, b: 1 }, { id: 5, a: 'new', b: 2, c: 9 }], 1);
    expect(json).toEqual([{ id: 0, a: 1 }, { id: 5, a: null, b: 2, c: 1 }]);
  });
});
