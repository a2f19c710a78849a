/**
 * The node context's extension points: expressions with extra variables, OAuth2 token
 * persistence through the credentials provider, workflow static data (Function nodes'
 * getWorkflowStaticData) handed back in the run result, and the Code/Function node scope.
 */
import { describe, it, expect } from 'vitest';
import { runWorkflow, registerNodeType, type IDataObject, type INode, type WorkflowDefinition } from '../../src/core/engine/index.js';

type N = WorkflowDefinition['nodes'][number];
const trigger: N = { name: 'T', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, parameters: {}, position: [0, 0] };
function twoNodes(second: Partial<N> & { type: string }, settings: WorkflowDefinition['settings'] = { executionOrder: 'v1' }): WorkflowDefinition {
  return {
    nodes: [trigger, { name: 'N', typeVersion: 1, parameters: {}, position: [200, 0], ...second } as N],
    connections: { T: { main: [[{ node: 'N', type: 'main', index: 0 }]] } },
    settings,
  };
}
const outOf = (res: Awaited<ReturnType<typeof runWorkflow>>) => res.runData.N?.[0]?.data?.main[0]?.map((i) => i.json);

// Evaluates parameter `expr` with the extra variables given as parameter `extra`.
registerNodeType({
  type: 'jobsprint-test.evalExtra',
  async execute(ctx) {
    const expr = ctx.getNodeParameter('expr', 0, '', { rawExpressions: true }) as string;
    const extra = ctx.getNodeParameter('extra', 0, {}, { rawExpressions: true }) as IDataObject;
    const value = ctx.evaluateExpression(expr, 0, extra);
    return [[{ json: { value: value as any, extraAfter: extra } }]];
  },
});

registerNodeType({
  type: 'jobsprint-test.tokenRefresher',
  async execute(ctx) {
    await ctx.updateCredentialsOAuthTokenData('oAuth2Api', { access_token: 'new-token', expires_at: 123 });
    return [ctx.getInputData()];
  },
});

// Reads each of PARAM_PATHS with getNodeParameter (fallback 'FB') for every item; `raw:` reads it with rawExpressions.
const PARAM_PATHS = [
  'plain', 'options.foo[0].bar', 'options.foo[1].bar', 'options["a.b"]', 'dotted.key', 'matrix[1][0]', 'options.foo',
  'options.foo[5].bar', 'options.nil.x', 'missing', 'raw:options.foo[1].bar',
];
registerNodeType({
  type: 'jobsprint-test.readPaths',
  async execute(ctx) {
    return [ctx.getInputData().map((_item, i) => {
      const json: IDataObject = {};
      for (const p of PARAM_PATHS) {
        json[p] = p.startsWith('raw:') ? ctx.getNodeParameter(p.slice(4), i, 'FB', { rawExpressions: true }) : ctx.getNodeParameter(p, i, 'FB');
      }
      return { json };
    })];
  },
});

describe('getNodeParameter reads paths as lodash get (as n8n)', () => {
  it('brackets, quoted keys and a parameter key holding a dot; expressions under an indexed path resolve per item', async () => {
    const parameters = {
      plain: 'p',
      options: { foo: [{ bar: 'deep' }, { bar: '={{ $json.n * 10 }}' }], 'a.b': 'quoted', nil: null },
      'dotted.key': 'whole',
      matrix: [[1, 2], [3, 4]],
    };
    const res = await runWorkflow(twoNodes({ type: 'jobsprint-test.readPaths', parameters }), { input: [{ n: 1 }, { n: 2 }] });
    expect(res.status, JSON.stringify(res.error)).toBe('success');
    const expected = (n: number) => ({
      plain: 'p',
      'options.foo[0].bar': 'deep',
      'options.foo[1].bar': n * 10,
      'options["a.b"]': 'quoted',
      'dotted.key': 'whole',
      'matrix[1][0]': 3,
      'options.foo': [{ bar: 'deep' }, { bar: n * 10 }],
      'options.foo[5].bar': 'FB',
      'options.nil.x': 'FB',
      missing: 'FB',
      'raw:options.foo[1].bar': '={{ $json.n * 10 }}',
    });
    expect(outOf(res)).toEqual([expected(1), expected(2)]);
    expect(parameters.options.foo[1].bar, 'the node’s parameters are not mutated').toBe('={{ $json.n * 10 }}');
  });
});

describe('evaluateExpression with extra variables', () => {
  const run = (expr: string, extra: IDataObject, input: IDataObject[] = [{ n: 1 }]) =>
    runWorkflow(twoNodes({ type: 'jobsprint-test.evalExtra', parameters: { expr, extra } }), { input });

  it('makes $response, $request and $pageCount readable next to the usual variables', async () => {
    const res = await run('={{ $response.body.meta.next + "?page=" + ($pageCount + 1) + "&n=" + $json.n + "&m=" + $request.method }}', {
      $response: { body: { meta: { next: 'https://api.test/items' } }, statusCode: 200 },
      $request: { method: 'GET' },
      $pageCount: 2,
    });
    expect(res.status, JSON.stringify(res.error)).toBe('success');
    expect(outOf(res)?.[0].value).toBe('https://api.test/items?page=3&n=1&m=GET');
  });

  it('keeps nested objects intact (their JSON contains "}}", which broke inlined literals)', async () => {
    const body = { data: { items: [{ id: 1 }, { id: 2 }] }, meta: { cursor: { next: null } } };
    const res = await run('={{ $response.body.meta.cursor.next === null && $response.body.data.items.length === 2 }}', { $response: { body } });
    expect(outOf(res)?.[0].value).toBe(true);
    const text = await run('=pages: {{ $pageCount }}, items: {{ $response.body.data.items.map(i => i.id).join(",") }}', { $response: { body }, $pageCount: 4 });
    expect(outOf(text)?.[0].value).toBe('pages: 4, items: 1,2');
  });

  it('a "$response" inside a string literal stays literal text', async () => {
    const res = await run('={{ "$response is " + typeof $response }}', { $response: { a: 1 } });
    expect(outOf(res)?.[0].value).toBe('$response is object');
  });

  it('extra variables shadow built-in ones of the same name, and are copies the expression cannot change', async () => {
    const res = await run('={{ $json.shadowed }}', { $json: { shadowed: 'from extra' } });
    expect(outOf(res)?.[0].value).toBe('from extra');
    const mutated = await run('={{ ($response.body.x = 99), $response.body.x }}', { $response: { body: { x: 1 } } });
    expect(outOf(mutated)?.[0].value).toBe(99);
    expect(outOf(mutated)?.[0].extraAfter).toEqual({ $response: { body: { x: 1 } } });
  });

  it('without extra variables the names are simply undefined, and a bad name is an expression error', async () => {
    const none = await run('={{ typeof $response }}', {});
    expect(outOf(none)?.[0].value).toBe('undefined');
    const bad = await run('={{ 1 }}', { 'not-a-name': 1 });
    expect(bad.status).toBe('error');
    expect(bad.error?.message).toMatch(/Invalid expression variable name "not-a-name"/);
  });
});

describe('OAuth2 token persistence', () => {
  it('passes refreshed token data to the provider with the node and credential type', async () => {
    const saved: Array<{ type: string; node: INode; data: IDataObject }> = [];
    const res = await runWorkflow(twoNodes({ type: 'jobsprint-test.tokenRefresher', credentials: { oAuth2Api: { id: 'c1', name: 'api' } } }), {
      credentials: {
        getCredentials: async () => ({}),
        updateOAuthTokenData: async (type, node, data) => void saved.push({ type, node, data }),
      },
    });
    expect(res.status).toBe('success');
    expect(saved).toHaveLength(1);
    expect(saved[0].type).toBe('oAuth2Api');
    expect(saved[0].node.name).toBe('N');
    expect(saved[0].node.credentials).toEqual({ oAuth2Api: { id: 'c1', name: 'api' } });
    expect(saved[0].data).toEqual({ access_token: 'new-token', expires_at: 123 });
  });

  it('is a no-op for providers without updateOAuthTokenData', async () => {
    const res = await runWorkflow(twoNodes({ type: 'jobsprint-test.tokenRefresher' }), { credentials: { getCredentials: async () => ({}) } });
    expect(res.status).toBe('success');
  });
});

describe('Function / Function Item nodes: n8n globals and workflow static data', () => {
  // zie619__0939's "Checks IP if new": remembers the IPs it saw in the global static data
  const dedupe = `const staticData = getWorkflowStaticData('global');
const ips = items.map(item => item.json.ip);
const seen = staticData.seen || [];
staticData.seen = [...new Set([...seen, ...ips])];
return items.filter(item => !seen.includes(item.json.ip));`;

  it('getWorkflowStaticData persists through RunResult.staticData into the next run', async () => {
    const wf = twoNodes({ type: 'n8n-nodes-base.function', parameters: { functionCode: dedupe } });
    const first = await runWorkflow(wf, { input: [{ ip: '1.1.1.1' }, { ip: '2.2.2.2' }] });
    expect(first.status, JSON.stringify(first.error)).toBe('success');
    expect(outOf(first)).toEqual([{ ip: '1.1.1.1' }, { ip: '2.2.2.2' }]);
    expect(first.staticData).toEqual({ global: { seen: ['1.1.1.1', '2.2.2.2'] } });

    const second = await runWorkflow({ ...wf, staticData: first.staticData }, { input: [{ ip: '2.2.2.2' }, { ip: '3.3.3.3' }] });
    expect(outOf(second)).toEqual([{ ip: '3.3.3.3' }]);
    expect(second.staticData).toEqual({ global: { seen: ['1.1.1.1', '2.2.2.2', '3.3.3.3'] } });
    expect(wf.staticData, 'the caller’s definition is not mutated').toBeUndefined();

    const unchanged = await runWorkflow(twoNodes({ type: 'n8n-nodes-base.noOp' }));
    expect(unchanged.staticData).toBeUndefined();
  });

  it('node static data is per node, and Function Item has getWorkflowStaticData, getNodeParameter and set/getBinaryData', async () => {
    const count = (name: string, position: [number, number]): N => ({
      name, type: 'n8n-nodes-base.functionItem', typeVersion: 1, position,
      parameters: { functionCode: "const s = getWorkflowStaticData('node'); s.n = (s.n || 0) + 1; item.n = s.n; item.p = getNodeParameter('functionCode').length > 0; setBinaryData({ f: { data: 'aGk=', mimeType: 'text/plain' } }); item.had = Object.keys(getBinaryData()); return item;" },
    });
    const wf: WorkflowDefinition = {
      nodes: [trigger, count('A', [200, 0]), count('B', [400, 0])],
      connections: { T: { main: [[{ node: 'A', type: 'main', index: 0 }]] }, A: { main: [[{ node: 'B', type: 'main', index: 0 }]] } },
    };
    const res = await runWorkflow(wf, { input: [{}, {}] });
    expect(res.status, JSON.stringify(res.error)).toBe('success');
    expect(res.runData.B[0].data!.main[0]!.map((i) => i.json.n)).toEqual([1, 2]);
    expect(res.runData.B[0].data!.main[0]![0].json).toMatchObject({ p: true, had: ['f'] });
    expect(res.runData.B[0].data!.main[0]![0].binary?.f.mimeType).toBe('text/plain');
    expect(res.staticData).toEqual({ 'node:A': { n: 2 }, 'node:B': { n: 2 } });
  });

  it("Function and Function Item code's getNodeParameter reads paths as lodash get does (as the host's)", async () => {
    const extra = { opts: { list: [{ x: 'first' }, { x: 'second' }], 'a.b': 'dotted key' }, 'top.level': 'key with a dot' };
    const reads =
      "[getNodeParameter('opts.list[1].x', 0), getNodeParameter('opts[\"a.b\"]', 0), getNodeParameter('top.level', 0), getNodeParameter('opts.list[5].x', 0, 'fallback'), getNodeParameter('opts.list', 0).length]";
    const fnItem = await runWorkflow(twoNodes({ type: 'n8n-nodes-base.functionItem', parameters: { functionCode: `item.r = ${reads}; return item;`, ...extra } }));
    expect(fnItem.status, JSON.stringify(fnItem.error)).toBe('success');
    const expected = ['second', 'dotted key', 'key with a dot', 'fallback', 2];
    expect(outOf(fnItem)?.[0]?.r).toEqual(expected);
    const fn = await runWorkflow(
      twoNodes({ type: 'n8n-nodes-base.function', parameters: { functionCode: `return [{ json: { r: ${reads.replaceAll('getNodeParameter', 'this.getNodeParameter')} } }];`, ...extra } }),
    );
    expect(fn.status, JSON.stringify(fn.error)).toBe('success');
    expect(outOf(fn)?.[0]?.r).toEqual(expected);
  });

  it('Function Item with continueOnFail keeps its own semantics (item is the json) and reports failing items', async () => {
    const res = await runWorkflow(
      twoNodes({ type: 'n8n-nodes-base.functionItem', continueOnFail: true, parameters: { functionCode: "if (item.bad) throw new Error('bad item'); item.ok = getWorkflowStaticData('global') !== undefined; return item;" } }),
      { input: [{ v: 1 }, { bad: true }] },
    );
    expect(res.status).toBe('success');
    expect(outOf(res)).toEqual([{ v: 1, ok: true }, { error: 'bad item [line 1, for item 1]' }]);
  });

  it('the Code node does not get the legacy globals, but sees $json of the first item in "all items" mode', async () => {
    const res = await runWorkflow(twoNodes({ type: 'n8n-nodes-base.code', typeVersion: 2, parameters: { jsCode: 'return [{ json: { first: $json.v, idx: $itemIndex, legacy: typeof getWorkflowStaticData, sd: typeof $getWorkflowStaticData } }]' } }), {
      input: [{ v: 'a' }, { v: 'b' }],
    });
    expect(res.status, JSON.stringify(res.error)).toBe('success');
    expect(outOf(res)).toEqual([{ first: 'a', idx: 0, legacy: 'undefined', sd: 'function' }]);
  });
});
