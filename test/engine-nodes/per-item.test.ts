/** Nodes on the shared per-item loop (perItem) and field-list parser (prepareFieldsArray). */
import { describe, expect, it } from 'vitest';
import { runWorkflow, type WorkflowDefinition } from '../../src/core/engine/index.js';
import { prepareFieldsArray } from '../../src/core/engine/nodes/extra/util.js';
import { afterCodeInput, nodeOutput } from './helpers.js';

type N = WorkflowDefinition['nodes'][number];
const node = (name: string, type: string, parameters: Record<string, unknown>, typeVersion = 1, extra: Partial<N> = {}): N => ({
  name, type: `n8n-nodes-base.${type}`, typeVersion, parameters, position: [0, 0], ...extra,
});
const chain = afterCodeInput;
const output = nodeOutput;

describe('prepareFieldsArray', () => {
  it.each([
    ['a, b ,c', ['a', 'b', 'c']],
    [' a,, ,b ', ['a', 'b']],
    ['', []],
    [undefined, []],
    [null, []],
    [[' a', 'b '], ['a', 'b']],
  ])('%j', (input, expected) => {
    expect(prepareFieldsArray(input)).toEqual(expected);
  });
  it('rejects what is neither a list nor a string', () => {
    expect(() => prepareFieldsArray({ a: 1 }, 'Fields to Include')).toThrow(/'Fields to Include' parameter must be a string/);
  });
});

describe('Set v3 on the shared per-item loop', () => {
  const set = (extra: Partial<N> = {}, parameters: Record<string, unknown> = {}) =>
    node('Set', 'set', {
      assignments: { assignments: [{ id: '1', name: 'n', value: '={{ $json.v }}', type: 'number' }] },
      options: {},
      ...parameters,
    }, 3.4, extra);

  it('continueOnFail turns a failing item into an error item and keeps going', async () => {
    const items = await output(chain([{ v: '1' }, { v: 'x' }, { v: '3' }], set({ continueOnFail: true })), 'Set');
    expect(items.map((i) => i.json)).toEqual([{ n: 1 }, { error: "'n' expects a number but we got 'x' [item 1]" }, { n: 3 }]);
    expect(items.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
  });

  it('without it the node fails on that item', async () => {
    const res = await runWorkflow(chain([{ v: '1' }, { v: 'x' }], set()));
    expect(res.status).toBe('error');
    expect(res.error?.message).toBe("'n' expects a number but we got 'x' [item 1]");
    expect(res.runData.Set[0].error?.itemIndex).toBe(1);
  });

  it('"Fields to Include" is a comma-separated list (spaces and empty entries ignored)', async () => {
    const items = await output(
      chain([{ a: 1, b: { c: 2 }, d: 3 }], set({}, { assignments: { assignments: [] }, includeOtherFields: true, include: 'selected', includeFields: ' a, ,b.c ' })),
      'Set',
    );
    expect(items.map((i) => i.json)).toEqual([{ a: 1, c: 2 }]);
  });
});

describe('field lists of the other nodes', () => {
  it('Summarize: fields to split by', async () => {
    const items = await output(
      chain([{ g: 'x', h: 'p', v: 1 }, { g: 'x', h: 'p', v: 2 }, { g: 'y', h: 'p', v: 5 }], node('S', 'summarize', {
        fieldsToSplitBy: ' g , h,',
        fieldsToSummarize: { values: [{ aggregation: 'sum', field: 'v' }] },
      }, 1.1)),
      'S',
    );
    expect(items.map((i) => i.json)).toEqual([{ g: 'x', h: 'p', sum_v: 3 }, { g: 'y', h: 'p', sum_v: 5 }]);
  });

  it('Split Out: destination field names', async () => {
    const items = await output(
      chain([{ a: [1, 2], b: ['x', 'y'] }], node('Split', 'splitOut', { fieldToSplitOut: 'a, b', options: { destinationFieldName: ' first , second ' } })),
      'Split',
    );
    expect(items.map((i) => i.json)).toEqual([{ first: 1, second: 'x' }, { first: 2, second: 'y' }]);
  });

  it('Compare Datasets: fields to skip comparing', async () => {
    const wf: WorkflowDefinition = {
      nodes: [
        node('T', 'manualTrigger', {}),
        node('A', 'code', { jsCode: 'return [{ json: { id: 1, v: 1, t: "a" } }];' }, 2),
        node('B', 'code', { jsCode: 'return [{ json: { id: 1, v: 1, t: "b" } }];' }, 2),
        node('Cmp', 'compareDatasets', { mergeByFields: { values: [{ field1: 'id', field2: 'id' }] }, options: { skipFields: ' t, ' } }, 2.3),
      ],
      connections: {
        T: { main: [[{ node: 'A', type: 'main', index: 0 }, { node: 'B', type: 'main', index: 0 }]] },
        A: { main: [[{ node: 'Cmp', type: 'main', index: 0 }]] },
        B: { main: [[{ node: 'Cmp', type: 'main', index: 1 }]] },
      },
    };
    const res = await runWorkflow(wf);
    expect(res.error).toBeUndefined();
    const [onlyA, same, different, onlyB] = res.runData.Cmp[0].data!.main;
    expect([onlyA, same, different, onlyB].map((o) => o?.length ?? 0)).toEqual([0, 1, 0, 0]);
  });
});

describe('Execute Workflow "each" on the shared per-item loop', () => {
  const sub: WorkflowDefinition = {
    nodes: [
      node('In', 'executeWorkflowTrigger', {}),
      node('Check', 'code', { mode: 'runOnceForEachItem', jsCode: 'if ($json.v === 2) throw new Error("bad item"); return { json: { v: $json.v * 10 } };' }, 2),
    ],
    connections: { In: { main: [[{ node: 'Check', type: 'main', index: 0 }]] } },
  };
  const exec = (extra: Partial<N> = {}) =>
    node('Exec', 'executeWorkflow', { source: 'parameter', workflowJson: JSON.stringify(sub), mode: 'each' }, 1.2, extra);

  it('one sub-run per item, outputs paired to their item; continueOnFail gives an error item', async () => {
    const items = await output(chain([{ v: 1 }, { v: 2 }, { v: 3 }], exec({ continueOnFail: true })), 'Exec');
    expect(items.map((i) => i.json)).toEqual([{ v: 10 }, { error: expect.stringContaining('bad item') }, { v: 30 }]);
    expect(items.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
  });

  it('without continueOnFail the node fails on the item', async () => {
    const res = await runWorkflow(chain([{ v: 1 }, { v: 2 }], exec()));
    expect(res.status).toBe('error');
    expect(res.error?.message).toContain('bad item');
    expect(res.runData.Exec[0].error?.itemIndex).toBe(1);
  });
});
