/** Execution model: events, disabled nodes, error handling modes, retries, flags, pinData, order, sub-workflows. */
import { describe, it, expect } from 'vitest';
import { runWorkflow, validateWorkflow, registerNodeType, type EngineEvent, type WorkflowDefinition } from '../../src/core/engine/index.js';
import { runFixture } from './helpers/corpus.js';
import { freezeDefinition, graphOf } from '../../src/core/engine/runner/graph.js';

type N = WorkflowDefinition['nodes'][number];
const node = (name: string, type: string, parameters: Record<string, unknown> = {}, extra: Partial<N> = {}, typeVersion = 1, position: [number, number] = [0, 0]): N => ({
  name, type: type.includes('.') ? type : `n8n-nodes-base.${type}`, typeVersion, parameters, position, ...extra,
});
const chain = (...names: string[]) => {
  const c: WorkflowDefinition['connections'] = {};
  for (let i = 0; i + 1 < names.length; i++) {
    const [from, out = '0'] = names[i].split(':');
    const to = names[i + 1].split(':')[0];
    c[from] ??= { main: [] };
    const o = Number(out);
    while (c[from].main.length <= o) c[from].main.push([]);
    c[from].main[o]!.push({ node: to, type: 'main', index: 0 });
  }
  return c;
};
const code = (name: string, jsCode: string, extra: Partial<N> = {}, position: [number, number] = [0, 0]) => node(name, 'code', { jsCode }, extra, 2, position);
const out = (res: any, name: string, output = 0, run = 0) => res.runData[name]?.[run]?.data?.main?.[output]?.map((i: any) => i.json);

let fails = 0;
registerNodeType({
  type: 'jobsprint-test.flaky',
  async execute(ctx) {
    if (fails-- > 0) throw new Error('flaky failure');
    return [ctx.getInputData()];
  },
});

describe('engine', () => {
  it('reports node start/end events with items in/out, duration and status', async () => {
    const events: EngineEvent[] = [];
    const wf: WorkflowDefinition = {
      nodes: [node('T', 'manualTrigger'), code('Make', 'return [{json:{a:1}},{json:{a:2}},{json:{a:3}}]'), node('If', 'if', { conditions: { number: [{ value1: '={{ $json.a }}', operation: 'larger', value2: 1 }] } })],
      connections: chain('T', 'Make', 'If'),
    };
    const res = await runWorkflow(wf, { onEvent: (e) => events.push(e) });
    expect(res.status).toBe('success');
    const ends = events.filter((e): e is Extract<EngineEvent, { type: 'nodeEnd' }> => e.type === 'nodeEnd');
    expect(ends.map((e) => [e.node, e.status, e.itemsIn, e.itemsOut])).toEqual([
      ['T', 'success', [1], [1]],
      ['Make', 'success', [1], [3]],
      ['If', 'success', [3], [2, 1]],
    ]);
    expect(events.filter((e) => e.type === 'nodeStart').map((e) => e.node)).toEqual(['T', 'Make', 'If']);
    for (const e of ends) expect(e.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('disabled nodes pass their input through', async () => {
    const wf: WorkflowDefinition = {
      nodes: [node('T', 'manualTrigger'), code('Make', 'return [{json:{a:1}}]'), code('Off', 'throw new Error("must not run")', { disabled: true }), code('After', 'return $input.all()')],
      connections: chain('T', 'Make', 'Off', 'After'),
    };
    const res = await runWorkflow(wf);
    expect(res.status).toBe('success');
    expect(out(res, 'After')).toEqual([{ a: 1 }]);
  });

  it('onError: stopWorkflow, continueRegularOutput, continueErrorOutput and legacy continueOnFail', async () => {
    const mk = (extra: Partial<N>) => ({
      nodes: [node('T', 'manualTrigger'), code('Fail', 'throw new Error("boom")', extra), code('Next', 'return $input.all()'), code('ErrBranch', 'return $input.all()')],
      connections: { ...chain('T', 'Fail', 'Next'), Fail: { main: [[{ node: 'Next', type: 'main', index: 0 }], [{ node: 'ErrBranch', type: 'main', index: 0 }]] } },
    });
    const stop = await runWorkflow(mk({}));
    expect(stop.status).toBe('error');
    expect(stop.error?.message).toMatch(/boom \[line 1\]/);
    expect(stop.runData.Fail[0].executionStatus).toBe('error');
    expect(stop.runData.Next).toBeUndefined();
    const regular = await runWorkflow(mk({ onError: 'continueRegularOutput' }));
    expect(regular.status).toBe('success');
    expect(out(regular, 'Next')).toEqual([{ error: 'boom [line 1]' }]);
    const errOut = await runWorkflow(mk({ onError: 'continueErrorOutput' }));
    expect(errOut.status).toBe('success');
    expect(out(errOut, 'ErrBranch')).toEqual([{ error: 'boom [line 1]' }]);
    expect(errOut.runData.Next).toBeUndefined();
    const legacy = await runWorkflow(mk({ continueOnFail: true }));
    expect(out(legacy, 'Next')).toEqual([{ error: 'boom [line 1]' }]);
  });

  it('retryOnFail retries up to maxTries with waitBetweenTries', async () => {
    const mk = (maxTries: number) => ({
      nodes: [node('T', 'manualTrigger'), node('Flaky', 'jobsprint-test.flaky', {}, { retryOnFail: true, maxTries, waitBetweenTries: 10 })],
      connections: chain('T', 'Flaky'),
    });
    fails = 2;
    const ok = await runWorkflow(mk(3));
    expect(ok.status).toBe('success');
    fails = 5;
    const bad = await runWorkflow(mk(2));
    expect(bad.status).toBe('error');
    expect(fails).toBe(3);
  });

  it('alwaysOutputData emits one empty item; executeOnce uses only the first item', async () => {
    const wf: WorkflowDefinition = {
      nodes: [
        node('T', 'manualTrigger'),
        code('Make', 'return [{json:{a:1}},{json:{a:2}}]'),
        node('None', 'filter', { conditions: { conditions: [{ leftValue: '={{ $json.a }}', rightValue: 9, operator: { type: 'number', operation: 'gt' } }] } }, { alwaysOutputData: true }, 2),
        code('Once', 'return [{json:{n: $input.all().length}}]', { executeOnce: true }),
      ],
      connections: { ...chain('T', 'Make', 'None'), Make: { main: [[{ node: 'None', type: 'main', index: 0 }, { node: 'Once', type: 'main', index: 0 }]] } },
    };
    const res = await runWorkflow(wf);
    expect(out(res, 'None')).toEqual([{}]);
    expect(out(res, 'Once')).toEqual([{ n: 1 }]);
  });

  it('pinData is ignored by default and replaces output with usePinData', async () => {
    const wf: WorkflowDefinition = {
      nodes: [node('T', 'manualTrigger'), code('Make', 'return [{json:{real:true}}]'), code('After', 'return $input.all()')],
      connections: chain('T', 'Make', 'After'),
      pinData: { Make: [{ json: { pinned: true } }] },
    };
    expect(out(await runWorkflow(wf), 'After')).toEqual([{ real: true }]);
    expect(out(await runWorkflow(wf, { usePinData: true }), 'After')).toEqual([{ pinned: true }]);
  });

  it('v1 runs a branch to completion (top branch first); v0 runs breadth-first', async () => {
    const wf = (order?: 'v1') => ({
      nodes: [
        node('T', 'manualTrigger', {}, {}, 1, [0, 0]),
        code('Bottom', 'return $input.all()', {}, [200, 200]),
        code('Top', 'return $input.all()', {}, [200, -200]),
        code('TopNext', 'return $input.all()', {}, [400, -200]),
        code('BottomNext', 'return $input.all()', {}, [400, 200]),
      ],
      connections: {
        T: { main: [[{ node: 'Bottom', type: 'main', index: 0 }, { node: 'Top', type: 'main', index: 0 }]] },
        Top: { main: [[{ node: 'TopNext', type: 'main', index: 0 }]] },
        Bottom: { main: [[{ node: 'BottomNext', type: 'main', index: 0 }]] },
      },
      settings: order ? { executionOrder: order } : {},
    });
    const order = async (w: any) => {
      const seen: string[] = [];
      await runWorkflow(w, { onEvent: (e) => e.type === 'nodeEnd' && seen.push(e.node) });
      return seen;
    };
    expect(await order(wf('v1'))).toEqual(['T', 'Top', 'TopNext', 'Bottom', 'BottomNext']);
    expect(await order(wf())).toEqual(['T', 'Bottom', 'Top', 'BottomNext', 'TopNext']);
  });

  it('the Merge fixtures that differ between v0 and v1 produce each order\'s n8n output', async () => {
    // v0 fixture: Merge nodes behind an IF branch without data still run (forceInputNodeExecution)
    const v0 = await runFixture('Merge__workflow.mixed.forceInputNodeExecution.json');
    const v0AsV1 = await runFixture('Merge__workflow.mixed.forceInputNodeExecution.json', { executionOrder: 'v1' });
    const counts = (r: any) => Object.fromEntries(Object.keys(v0.pin).map((n) => [n, r.runData[n]?.[0]?.data?.main?.[0]?.length ?? null]));
    expect(counts(v0.res)).toEqual(Object.fromEntries(Object.entries<any[]>(v0.pin).map(([n, v]) => [n, v.length])));
    expect(counts(v0AsV1.res)).not.toEqual(counts(v0.res));
    const v1 = await runFixture('Merge__workflow.mixed.not.forceInputNodeExecution.json');
    for (const [n, items] of Object.entries<any[]>(v1.pin)) expect(v1.res.runData[n][0].data!.main[0]!.map((i) => i.json)).toEqual(items.map((i) => i.json));
  });

  it('workflows without a trigger start at their root nodes', async () => {
    const res = await runWorkflow({ nodes: [code('A', 'return [{json:{x:1}}]'), code('B', 'return $input.all().map(i => ({json:{y:i.json.x+1}}))')], connections: chain('A', 'B') });
    expect(res.status).toBe('success');
    expect(out(res, 'B')).toEqual([{ y: 2 }]);
  });

  it('executeWorkflow runs a sub-workflow from a parameter, a file id loader, and per item', async () => {
    const sub: WorkflowDefinition = {
      nodes: [node('In', 'executeWorkflowTrigger'), code('Double', 'return $input.all().map(i => ({json:{v: i.json.v * 2}}))')],
      connections: chain('In', 'Double'),
    };
    const parent = (params: Record<string, unknown>) => ({
      nodes: [node('T', 'manualTrigger'), code('Make', 'return [{json:{v:1}},{json:{v:2}}]'), node('Exec', 'executeWorkflow', params, {}, 1.2)],
      connections: chain('T', 'Make', 'Exec'),
    });
    const a = await runWorkflow(parent({ source: 'parameter', workflowJson: JSON.stringify(sub) }));
    expect(out(a, 'Exec')).toEqual([{ v: 2 }, { v: 4 }]);
    const b = await runWorkflow(parent({ workflowId: { __rl: true, value: 'sub1', mode: 'id' }, mode: 'each' }), { loadWorkflow: async (id) => (id === 'sub1' ? sub : Promise.reject(new Error('nope'))) });
    expect(out(b, 'Exec')).toEqual([{ v: 2 }, { v: 4 }]);
    expect(b.runData.Exec[0].data!.main[0]!.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
  });

  it('validateWorkflow reports unknown node types and bad connections', () => {
    const problems = validateWorkflow({
      nodes: [node('A', 'manualTrigger'), node('B', 'n8n-nodes-base.notARealNode')],
      connections: { A: { main: [[{ node: 'Missing', type: 'main', index: 0 }]] } },
    });
    expect(problems.map((p) => p.kind).sort()).toEqual(['badConnection', 'unknownNodeType']);
    expect(validateWorkflow({ nope: 1 })[0].kind).toBe('invalid');
  });

  it('stopAndError fails with its message; Wait until a past date continues; webhook resume is reported unsupported', async () => {
    const stop = await runWorkflow({ nodes: [node('T', 'manualTrigger'), node('Stop', 'stopAndError', { errorMessage: '=bad {{ 1 + 1 }}' })], connections: chain('T', 'Stop') });
    expect(stop.status).toBe('error');
    expect(stop.error?.message).toBe('bad 2');
    const past = await runWorkflow({ nodes: [node('T', 'manualTrigger'), node('W', 'wait', { resume: 'specificTime', dateTime: '2020-01-01T00:00:00Z' }, {}, 1.1)], connections: chain('T', 'W') });
    expect(past.status).toBe('success');
    const hook = await runWorkflow({ nodes: [node('T', 'manualTrigger'), node('W', 'wait', { resume: 'webhook' }, {}, 1.1)], connections: chain('T', 'W') });
    expect(hook.error?.message).toMatch(/not supported/);
  });

  it('entry nodes emit the caller\'s input items (webhook, errorTrigger, scheduleTrigger)', async () => {
    for (const type of ['webhook', 'errorTrigger', 'scheduleTrigger', 'executeWorkflowTrigger']) {
      const res = await runWorkflow({ nodes: [node('Entry', type), code('After', 'return $input.all()')], connections: chain('Entry', 'After') }, { input: [{ body: { a: 1 } }, { body: { a: 2 } }] });
      expect(out(res, 'After'), type).toEqual([{ body: { a: 1 } }, { body: { a: 2 } }]);
    }
    const sched = await runWorkflow({ nodes: [node('S', 'scheduleTrigger', {}, {}, 1.2)], connections: {} });
    expect(Object.keys(out(sched, 'S')[0])).toContain('timestamp');
  });
});

describe('definitions frozen for reuse (freezeDefinition)', () => {
  const wf = (): WorkflowDefinition => ({
    nodes: [node('Start', 'manualTrigger'), node('A', 'noOp'), node('B', 'noOp')],
    connections: chain('Start', 'A'),
  });

  it('runs a frozen definition the same way every time and shares its graph', async () => {
    const def = freezeDefinition(wf());
    expect(Object.isFrozen(def.nodes) && Object.isFrozen(def.nodes[0]) && Object.isFrozen(def.connections.Start.main[0])).toBe(true);
    expect(graphOf(def)).toBe(graphOf(def));
    // A copy that only adds static data (as the worker makes per execution) shares it too.
    expect(graphOf({ ...def, staticData: { x: 1 } })).toBe(graphOf(def));
    for (let i = 0; i < 3; i++) {
      const res = await runWorkflow(def, { input: [{ i }] });
      expect(res.status).toBe('success');
      expect(Object.keys(res.runData)).toEqual(['Start', 'A']);
      expect(out(res, 'A')).toEqual([{ i }]);
    }
  });

  it('indexes an unfrozen definition on every run, so changes between runs count', async () => {
    const def = wf();
    expect(graphOf(def)).not.toBe(graphOf(def));
    expect(Object.keys((await runWorkflow(def)).runData)).toEqual(['Start', 'A']);
    def.connections = chain('Start', 'B');
    expect(Object.keys((await runWorkflow(def)).runData)).toEqual(['Start', 'B']);
    def.nodes.push(node('C', 'no-such-type'));
    await expect(runWorkflow(def)).rejects.toThrow(/does not support: n8n-nodes-base.no-such-type/);
  });

  it('still validates a frozen definition, with or without connections: an unsupported node type is refused every time', async () => {
    const def = freezeDefinition({ ...wf(), nodes: [...wf().nodes, node('C', 'no-such-type')] });
    await expect(runWorkflow(def)).rejects.toThrow(/no-such-type/);
    await expect(runWorkflow(def)).rejects.toThrow(/no-such-type/);
    const unconnected = freezeDefinition({ nodes: [node('Start', 'manualTrigger'), node('X', 'no-such-type')] } as WorkflowDefinition);
    await expect(runWorkflow(unconnected)).rejects.toThrow(/does not support: n8n-nodes-base.no-such-type/);
    await expect(runWorkflow(unconnected)).rejects.toThrow(/does not support: n8n-nodes-base.no-such-type/);
    const fine = freezeDefinition({ nodes: [node('Start', 'manualTrigger')] } as WorkflowDefinition);
    expect((await runWorkflow(fine)).status).toBe('success');
    expect((await runWorkflow(fine)).status).toBe('success');
  });

  it('shares nothing for a definition frozen by someone else (its nodes may still change)', () => {
    const def = wf();
    Object.freeze(def.nodes);
    Object.freeze(def.connections);
    expect(graphOf(def)).not.toBe(graphOf(def));
  });
});
