/** n8n expression semantics (evaluated in the sandbox) through a Set v1 node: raw values, no conversion. */
import { describe, it, expect } from 'vitest';
import { runWorkflow } from '../../src/core/engine/index.js';

const NOW = Date.parse('2024-03-10T15:30:00Z');

async function evalAll(exprs: Record<string, string>, items: object[] = [{ a: 1 }], opts: Record<string, unknown> = {}) {
  const wf = {
    nodes: [
      { name: 'Trigger', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, parameters: {}, position: [0, 0] },
      { name: 'Source Data', type: 'n8n-nodes-base.code', typeVersion: 2, parameters: { jsCode: `return ${JSON.stringify(items)}.map(json => ({ json }))` }, position: [200, 0] },
      { name: 'Mid', type: 'n8n-nodes-base.set', typeVersion: 3.4, parameters: { assignments: { assignments: [{ id: 'm', name: 'mid', value: '={{ $json.a * 10 }}', type: 'number' }] }, includeOtherFields: true, options: {} }, position: [400, 0] },
      {
        name: 'Eval',
        type: 'n8n-nodes-base.set',
        typeVersion: 1,
        parameters: { keepOnlySet: true, values: { string: Object.entries(exprs).map(([name, value]) => ({ name, value })) }, options: { dotNotation: false } },
        position: [600, 0],
      },
    ],
    connections: {
      Trigger: { main: [[{ node: 'Source Data', type: 'main', index: 0 }]] },
      'Source Data': { main: [[{ node: 'Mid', type: 'main', index: 0 }]] },
      Mid: { main: [[{ node: 'Eval', type: 'main', index: 0 }]] },
    },
    settings: { executionOrder: 'v1' },
    name: 'Expr WF',
    id: 'wf-123',
  };
  const res = await runWorkflow(wf as any, { now: () => NOW, executionId: 'exec-42', timezone: 'UTC', ...opts });
  expect(res.status, res.error?.message).toBe('success');
  return res.runData.Eval[0].data!.main[0]!.map((i) => i.json);
}

describe('expressions', () => {
  it('$json, bracket access, $input, $itemIndex, $runIndex', async () => {
    const out = await evalAll(
      {
        a: '={{ $json.a }}',
        b: "={{ $json['mid'] }}",
        c: '={{ $input.item.json.a + 1 }}',
        d: '={{ $input.all().length }}',
        e: '={{ $input.first().json.a }}',
        f: '={{ $input.last().json.a }}',
        g: '={{ $itemIndex }}',
        h: '={{ $runIndex }}',
      },
      [{ a: 1 }, { a: 2 }],
    );
    expect(out).toEqual([
      { a: 1, b: 10, c: 2, d: 2, e: 1, f: 2, g: 0, h: 0 },
      { a: 2, b: 20, c: 3, d: 2, e: 1, f: 2, g: 1, h: 0 },
    ]);
  });

  it("$('Node') item / first / last / all, $node[...] and $items()", async () => {
    const out = await evalAll(
      {
        item: "={{ $('Source Data').item.json.a }}",
        first: "={{ $('Source Data').first().json.a }}",
        last: "={{ $('Source Data').last().json.a }}",
        all: "={{ $('Source Data').all().map(i => i.json.a).join(',') }}",
        node: '={{ $node["Mid"].json.mid }}',
        items: "={{ $items('Source Data').length }}",
        executed: "={{ $('Mid').isExecuted }}",
      },
      [{ a: 5 }, { a: 7 }],
    );
    expect(out[1]).toEqual({ item: 7, first: 5, last: 7, all: '5,7', node: 70, items: 2, executed: true });
  });

  it('templates: text around expressions, literal without =, n8n string conversion', async () => {
    const out = await evalAll({
      t: '=Value: {{ $json.a }} and {{ $json.missing }}!',
      lit: 'plain {{ $json.a }}',
      obj: '=obj {{ { x: 1 } }}',
      arr: '=arr {{ [1, 2] }}',
      raw: '={{ { x: $json.a } }}',
      esc: '=\\{{ not code }}',
      none: '=just text',
    });
    expect(out[0]).toEqual({ t: 'Value: 1 and !', lit: 'plain {{ $json.a }}', obj: 'obj [object Object]', arr: 'arr 1,2', raw: { x: 1 }, esc: '{{ not code }}', none: 'just text' });
  });

  it('$now / $today / DateTime with Luxon in the workflow timezone', async () => {
    const out = await evalAll({
      now: "={{ $now.toFormat('yyyy-MM-dd HH:mm') }}",
      today: '={{ $today.toISO() }}',
      plus: "={{ $now.plus({ days: 1 }).toFormat('yyyy-MM-dd') }}",
      dt: "={{ DateTime.fromISO('2024-01-02T03:04:05Z').toUTC().toFormat('dd LLL yyyy') }}",
      fmt: "={{ $now.format('yyyy') }}",
      minus: "={{ $now.minus(2, 'hours').hour }}",
      str: "={{ '2024-05-06'.toDateTime().year }}",
    });
    expect(out[0]).toEqual({ now: '2024-03-10 15:30', today: '2024-03-10T00:00:00.000Z', plus: '2024-03-11', dt: '02 Jan 2024', fmt: '2024', minus: 13, str: 2024 });
  });

  it('$workflow, $execution.id, $jmespath, $if, $ifEmpty, $env (allowlisted)', async () => {
    process.env.JOBSPRINT_EXPR_VAR = 'visible';
    const out = await evalAll(
      {
        wf: '={{ $workflow.name }}/{{ $workflow.id }}',
        ex: '={{ $execution.id }}',
        jp: "={{ $jmespath({ people: [{ n: 'a' }, { n: 'b' }] }, 'people[*].n') }}",
        iff: "={{ $if($json.a > 0, 'pos', 'neg') }}",
        empty: "={{ $ifEmpty($json.nothing, 'dflt') }}",
        env: '={{ $env.JOBSPRINT_EXPR_VAR }}',
      },
      [{ a: 1 }],
      { envAllowlist: ['JOBSPRINT_EXPR_VAR'] },
    );
    expect(out[0]).toEqual({ wf: 'Expr WF/wf-123', ex: 'exec-42', jp: ['a', 'b'], iff: 'pos', empty: 'dflt', env: 'visible' });
  });

  it('string / array / number / object extension helpers', async () => {
    const out = await evalAll({
      dom: "={{ 'jane@example.com'.extractDomain() }}",
      email: "={{ 'write to jane@example.com today'.extractEmail() }}",
      empty: "={{ ''.isEmpty() }}",
      title: "={{ 'hello big world'.toTitleCase() }}",
      num: "={{ '42'.toNumber() + 1 }}",
      sum: '={{ [1, 2, 3].sum() }}',
      uniq: '={{ [1, 1, 2].unique() }}',
      first: '={{ [4, 5].first() }}',
      last: '={{ [4, 5].last() }}',
      chunk: '={{ [1, 2, 3].chunk(2) }}',
      pluck: "={{ [{ a: 1 }, { a: 2 }].pluck('a') }}",
      round: '={{ (3.14159).round(2) }}',
      objEmpty: '={{ ({}).isEmpty() }}',
      keys: '={{ ({ a: 1, b: 2 }).keys() }}',
      hasField: "={{ $json.hasField('a') }}",
      native: "={{ 'a-b'.split('-').join('+') }}",
      url: "={{ 'https://n8n.io/a/b?x=1'.extractUrlPath() }}",
      b64: "={{ 'hi'.base64Encode() }}",
      hash: "={{ 'abc'.hash('sha256').slice(0, 8) }}",
      jsonStr: "={{ JSON.stringify({ a: [1] }) }}",
      math: '={{ Math.max(1, 9, 3) }}',
      opt: '={{ $json.missing?.isEmpty() }}',
    });
    expect(out[0]).toEqual({
      dom: 'example.com', email: 'jane@example.com', empty: true, title: 'Hello Big World', num: 43, sum: 6, uniq: [1, 2], first: 4, last: 5,
      chunk: [[1, 2], [3]], pluck: [1, 2], round: 3.14, objEmpty: true, keys: ['a', 'b'], hasField: true, native: 'a+b', url: '/a/b', b64: 'aGk=',
      hash: 'ba7816bf', jsonStr: '{"a":[1]}', math: 9, opt: undefined,
    });
  });

  it('ordinary JS errors inside {{ }} evaluate to empty (as n8n does); proxy errors fail the node', async () => {
    const out = await evalAll({ e: '={{ $json.nothing.deeper }}', t: '=x{{ $json.nothing.deeper }}y' });
    expect(out[0]).toEqual({ e: undefined, t: 'xy' });
    const wfErr = await runWorkflow(
      {
        nodes: [
          { name: 'T', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, parameters: {}, position: [0, 0] },
          { name: 'S', type: 'n8n-nodes-base.set', typeVersion: 1, parameters: { values: { string: [{ name: 'x', value: "={{ $('Nope').item.json }}" }] } }, position: [1, 0] },
        ],
        connections: { T: { main: [[{ node: 'S', type: 'main', index: 0 }]] } },
      },
      {},
    );
    expect(wfErr.status).toBe('error');
    expect(wfErr.error?.message).toMatch(/Referenced node doesn't exist/);
  });
});

describe('Code node globals', () => {
  it('Buffer, URL, btoa/atob, legacy items/$item, static data, console', async () => {
    const code =
      "const b = Buffer.from('héllo').toString('base64'); const back = Buffer.from(b, 'base64').toString();" +
      "const u = new URL('https://x.io/p/q?a=1&b=two'); const st = $getWorkflowStaticData('global'); st.n = (st.n || 0) + 1;" +
      "console.log('hello from code');" +
      "return [{ json: { b, back, host: u.hostname, b2: u.searchParams.get('b'), btoa: btoa('hi'), atob: atob('aGk='), n: items.length, st: st.n } }];";
    const wf = {
      nodes: [
        { name: 'T', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, parameters: {}, position: [0, 0] },
        { name: 'C', type: 'n8n-nodes-base.code', typeVersion: 2, parameters: { jsCode: code }, position: [1, 0] },
        { name: 'FI', type: 'n8n-nodes-base.functionItem', typeVersion: 1, parameters: { functionCode: 'item.extra = item.n * 10; return item;' }, position: [2, 0] },
        { name: 'F', type: 'n8n-nodes-base.function', typeVersion: 1, parameters: { functionCode: "return items.map(i => ({ json: { ...i.json, fromNode: $node['C'].json.host } }));" }, position: [3, 0] },
      ],
      connections: {
        T: { main: [[{ node: 'C', type: 'main', index: 0 }]] },
        C: { main: [[{ node: 'FI', type: 'main', index: 0 }]] },
        FI: { main: [[{ node: 'F', type: 'main', index: 0 }]] },
      },
    };
    const logs: string[] = [];
    const logger = { debug() {}, info: (m: string) => logs.push(m), warn() {}, error() {} };
    const res = await runWorkflow(wf as any, { logger });
    expect(res.status, res.error?.message).toBe('success');
    expect(res.runData.F[0].data!.main[0]![0].json).toEqual({ b: 'aMOpbGxv', back: 'héllo', host: 'x.io', b2: 'two', btoa: 'aGk=', atob: 'hi', n: 1, st: 1, extra: 10, fromNode: 'x.io' });
    expect(logs.join('\n')).toContain('hello from code');
  });
});
