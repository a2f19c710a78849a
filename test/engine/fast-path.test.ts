/**
 * The host-side expression fast path must give exactly the sandbox's result whenever it
 * accepts an expression, and must never evaluate code: differential test against the isolate.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { Sandbox, sandboxContextsCreated, type SandboxHost } from '../../src/core/engine/sandbox/sandbox.js';
import { parseExpression } from '../../src/core/engine/expressions/compile.js';
import { DECLINE, compileFastExpression, setExpressionFastPath } from '../../src/core/engine/expressions/fast-path.js';
import { runWorkflow } from '../../src/core/engine/index.js';
import { CORPUS } from './helpers/corpus.js';
import { codeWorkflow, exprWorkflow } from './helpers/wf.js';

const host: SandboxHost = {
  getRun: () => '',
  runCount: () => -1,
  connIndex: () => -1,
  nodeParams: () => '{}',
  nodeContext: () => '{}',
  getStaticData: () => '{}',
  log: () => undefined,
};
const sandbox = new Sandbox(host);
afterAll(() => sandbox.dispose());

const withGetter = { plain: 1 };
Object.defineProperty(withGetter, 'secret', { get: () => 'ran a getter', enumerable: true });
const holes = [1, , 3]; // eslint-disable-line no-sparse-arrays

/** Host-side item data, including values JSON cannot carry (the sandbox sees them after JSON). */
const ITEMS: Array<{ json?: unknown }> = [
  { json: { a: { b: 2, c: [10, 20, { d: 'x' }] }, name: 'Ada', x: 3, n: null, t: true, s: '', 'a b': 'spaced', 0: 'zero', empty: {}, list: [] } },
  { json: { a: 'string', name: 42, x: -0, neg: -7.5, big: 1e21, tiny: 5e-7, f: 0.1, list: [null, 'y'], nested: { a: { b: { c: 'deep' } } } } },
  { json: { x: Number.NaN, inf: Infinity, date: new Date('2024-01-02T03:04:05Z'), und: undefined, holes, getter: withGetter } },
  { json: JSON.parse('{"__proto__": {"polluted": 1}, "constructor": "own", "toString": "own too", "length": 5, "valueOf": 1}') },
  { json: { name: 'Ünïcødé ✓', 'ключ': 'значение', x: '7', y: 7, obj: { toJSON: 'not a function' }, arr: [[1, 2], [3]] } },
  { json: undefined },
  {},
];

const HANDWRITTEN = [
  '={{ $json }}', '={{ $json.a }}', '={{ $json.a.b }}', '={{ $json.a.c }}', '={{ $json.a.c[0] }}', '={{ $json.a.c[2].d }}',
  '={{ $json.a.c[5] }}', '={{ $json["a b"] }}', "={{ $json['a b'] }}", '={{ $json[0] }}', '={{ $json["0"] }}', '={{ $json.name }}',
  '={{ $json.missing }}', '={{ $json.missing.deeper }}', '={{ $json.missing?.deeper }}', '={{ $json.missing?.deeper.more }}',
  '={{ $json.a?.b }}', '={{ $json.a?.["b"] }}', '={{ $json.n }}', '={{ $json.n.x }}', '={{ $json.t }}', '={{ $json.s }}',
  '={{ $json.x }}', '={{ $json.x * 2 }}', '={{ $json.x + 1 }}', '={{ $json.x - 1 }}', '={{ $json.x / 0 }}', '={{ $json.x % 2 }}',
  '={{ $json.x > 2 }}', '={{ $json.x >= 3 }}', '={{ $json.x < 3 }}', '={{ $json.x <= 2 }}', '={{ $json.x === 3 }}', '={{ $json.x !== 3 }}',
  '={{ $json.name + "!" }}', '={{ $json.name === "Ada" }}', '={{ $json.n === null }}', '={{ $json.missing === undefined }}',
  '={{ $json.a === $json.a }}', '={{ $json.x - -5 }}', '={{ $json.x * $json.y }}', '={{ $json.neg }}', '={{ $json.big }}',
  '={{ $json.tiny }}', '={{ $json.f + 0.2 }}', '={{ $json.list }}', '={{ $json.list[0] }}', '={{ $json.list.length }}',
  '={{ $json.nested.a.b.c }}', '={{ $json.empty }}', '={{ $json.inf }}', '={{ $json.date }}', '={{ $json.date.length }}',
  '={{ $json.und }}', '={{ $json.holes }}', '={{ $json.holes[1] }}', '={{ $json.holes[2] }}', '={{ $json.getter }}',
  '={{ $json.getter.secret }}', '={{ $json.getter.plain }}', '={{ $json.constructor }}', '={{ $json.toString }}',
  '={{ $json.valueOf }}', '={{ $json.length }}', '={{ $json.hasOwnProperty }}', '={{ $json.__proto__ }}', '={{ $json.polluted }}',
  '={{ $json.a.constructor }}', '={{ $json.a.c.map }}', '={{ $json.a.c.length }}', '={{ $json.name.length }}', '={{ $json.obj }}',
  '={{ $json.arr }}', '={{ $json.arr[0][1] }}', '={{ $json.ключ }}', '={{ $json["ключ"] }}',
  '={{ 5 }}', '={{ -5 }}', '={{ -0 }}', '={{ 0.5 }}', '={{ 012 }}', '={{ 1e3 }}', '={{ "text" }}', "={{ 'single' }}", '={{ true }}',
  '={{ false }}', '={{ null }}', '={{ }}', '={{ $json.x; }}', '={{ $json.x;; }}', '={{\n  $json.a.b\n}}', '={{ $json . a . b }}',
  '={{ $json.x // comment }}', '={{ $json.x /* c */ }}', '={{ $json.x ** 2 }}', '={{ $json.x == 3 }}', '={{ $json.x++ }}',
  '=Hello {{ $json.name }}!', '= {{ $json.x }}', '={{ $json.x }} and {{ $json.a.b }}', '=[{{ $json.a }}]', '=[{{ $json.list }}]',
  '=null: {{ $json.n }}, missing: {{ $json.missing }}, bool: {{ $json.t }}', '={{ $json.x }}{{ $json.x }}', '=\\{{ $json.x }}',
  '={{ $json.x }', '=id-{{ $json.neg * 2 }}', '=x{{ $json.missing.deeper }}y', '={{ $json.a.c[0] + $json.a.b }}',
  '={{ $jsonx }}', '={{ $json.a() }}', '={{ $json.name.toUpperCase() }}', '={{ $json["a" + "b"] }}', '={{ $json[$json.x] }}',
  '={{ this.constructor.constructor("return process")() }}', '={{ $json.__x_isEmpty }}', '={{ $json.a.__x_keys }}',
  '={{ $json.missing || 5 }}', '={{ $json.x || 5 }}', '={{ $json.s || "default" }}', '={{ $json.n ?? "nullish" }}', '={{ $json.s ?? 1 }}',
  '={{ $json.a && $json.a.b }}', '={{ $json.missing && $json.missing.b }}', '={{ $json.name || $json.missing.deep }}',
  '={{ $json.missing.deep || 1 }}', '={{ $json.t && $json.missing.deep }}', '={{ $json.list || [] }}', '={{ $json.empty || 0 }}',
  '={{ $json.x ||= 1 }}', '={{ $json.x | 1 }}', '={{ $json.x ??= 1 }}', '={{ $json.x & 1 }}',
];

function corpusExpressions(): string[] {
  const out = new Set<string>();
  const walk = (v: unknown): void => {
    if (typeof v === 'string') {
      if (v.startsWith('=') && v.includes('{{')) out.add(v);
    } else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  for (const dir of ['public', 'n8n-fixtures']) {
    const d = path.join(CORPUS, dir);
    if (!existsSync(d)) continue;
    for (const f of readdirSync(d).filter((x) => x.endsWith('.json'))) {
      const wf = JSON.parse(readFileSync(path.join(d, f), 'utf8'));
      for (const n of wf.nodes ?? []) walk(n.parameters);
    }
  }
  return [...out];
}

function frame(items: unknown[]): string {
  return JSON.stringify({
    node: { name: 'Eval', type: 'n8n-nodes-base.set', typeVersion: 3.4, parameters: {} },
    runIndex: 0, inputs: [items], inputIndex: 0, source: [], workflow: { id: 'w', name: 'w', active: false },
    executionId: 'e', mode: 'manual', env: {}, timezone: 'UTC', fixedNow: 0,
  });
}

function sandboxValue(expr: string, i: number): { ok: true; value: unknown } | { ok: false } {
  try {
    const p = parseExpression(expr);
    if (p.kind === 'literal') return { ok: true, value: p.value };
    return { ok: true, value: sandbox.evaluate(sandbox.compileExpression(p.body), i) };
  } catch {
    return { ok: false };
  }
}

describe('expression fast path', () => {
  it('gives exactly the sandbox result for every expression and item it accepts', () => {
    const exprs = [...HANDWRITTEN, ...corpusExpressions()];
    sandbox.useFrame('diff', () => frame(ITEMS));
    let accepted = 0;
    const mismatches: string[] = [];
    for (const expr of exprs) {
      const fast = compileFastExpression(expr);
      if (!fast) continue;
      for (let i = 0; i < ITEMS.length; i++) {
        const v = fast({ item: ITEMS[i], ref: () => DECLINE });
        if (v === DECLINE) continue;
        accepted++;
        const sb = sandboxValue(expr, i);
        if (!sb.ok) mismatches.push(`${expr} item ${i}: fast path gave ${String(v)}, sandbox threw`);
        else {
          try {
            expect(v).toStrictEqual(sb.value);
          } catch {
            mismatches.push(`${expr} item ${i}: fast ${JSON.stringify(v)} !== sandbox ${JSON.stringify(sb.value)}`);
          }
        }
      }
    }
    expect(mismatches).toEqual([]);
    expect(accepted).toBeGreaterThan(300);
  });

  it('accepts the common forms and declines code, calls and unsafe keys', () => {
    for (const e of ['={{ $json.a.b }}', '={{ $json["a b"] }}', '={{ $json.a[0] }}', '={{ 1 }}', '={{ "s" }}', '={{ true }}', '=Hi {{ $json.name }}!', '={{ $json.x * 2 }}', '={{ $json.n || 5 }}']) {
      expect(compileFastExpression(e), e).not.toBeNull();
    }
    for (const e of [
      '={{ $json.name.toUpperCase() }}', '={{ $json.__proto__ }}', '={{ $json.constructor }}', '={{ $json["prototype"] }}',
      '={{ this.constructor.constructor("return process")() }}', '={{ $json.a }}{{ process }}', '={{ `${$json.a}` }}',
      '={{ $json.x ? 1 : 2 }}', '={{ $json.a && $json.b && $json.c }}', '={{ $json.x | 1 }}', "={{ $('Node').first().json.x }}",
      "={{ $('Node').item.binary }}", '={{ $node["Node"].parameter }}', '={{ $node[$json.name].json }}', '={{ $now }}', '={{ $json.x + $json.y + 1 }}',
    ]) {
      expect(compileFastExpression(e), e).toBeNull();
    }
    // getters are never run, inherited names are left to the sandbox
    const f = compileFastExpression('={{ $json.g.secret }}')!;
    let ran = false;
    const g = {};
    Object.defineProperty(g, 'secret', { get: () => ((ran = true), 'x') });
    expect(f({ item: { json: { g } }, ref: () => DECLINE })).toBe(DECLINE);
    expect(ran).toBe(false);
    expect(compileFastExpression('={{ $json.toString }}')!({ item: { json: {} }, ref: () => DECLINE })).toBe(DECLINE);
  });
});

describe('lazy sandbox', () => {
  it('a workflow whose expressions the host answers runs without creating an isolate', async () => {
    const created = await isolatesCreatedBy(() => runWorkflow(exprWorkflow('={{ $json.name }}-{{ $json.id }}'), { input: [{ name: 'a', id: 1 }] }));
    expect(created.result.runData.Set[0].data!.main[0]![0].json).toEqual({ out: 'a-1' });
    expect(created.isolates).toBe(0);
  });

  it('an expression the fast path declines still runs in the sandbox', async () => {
    const created = await isolatesCreatedBy(() => runWorkflow(exprWorkflow('={{ $json.name.toUpperCase() }}'), { input: [{ name: 'a' }] }));
    expect(created.result.runData.Set[0].data!.main[0]![0].json).toEqual({ out: 'A' });
    expect(created.isolates).toBe(1);
  });

  it('an item the fast path declines falls back to the sandbox for that item', async () => {
    const created = await isolatesCreatedBy(() => runWorkflow(exprWorkflow('={{ $json.a.length }}', 'number'), { input: [{ a: [1, 2] }, { a: 'text' }, {}] }));
    expect(created.result.runData.Set[0].data!.main[0]!.map((i) => i.json.out)).toEqual([2, 4, null]);
    expect(created.isolates).toBe(1);
  });
});

async function isolatesCreatedBy<T>(fn: () => Promise<T>): Promise<{ result: T; isolates: number }> {
  const before = sandboxContextsCreated();
  const result = await fn();
  return { result, isolates: sandboxContextsCreated() - before };
}

describe('fast path for other nodes ($node["Name"], $(\'Name\').item)', () => {
  const REFS = [
    "={{ $('Source').item.json.a }}", "={{ $('Source').item.json }}", "={{ $('Source').item.json.missing.deep }}",
    "={{ $('Source').item.json.nested.list[1] }}", '={{ $node["Source"].json.a }}', '={{ $node.Source.json.name }}',
    "={{ $node['Mid'].json.mid * 2 }}", "=Name: {{ $('Source').item.json.name }} / {{ $('Mid').item.json.mid }}",
    "={{ $('Mid').item.json.mid > 15 }}", '={{ $json.mid }}', "={{ $('Source').item.json.a || 'none' }}",
    "={{ $( 'Source' ) . item . json [ 'name' ] }}",
  ];

  /** Trigger → Source (Code: 4 items) → Mid (Set) → Keep (If: drops items, so pairedItem matters) → Eval (Set v1). */
  function refWorkflow(exprs: string[], keepOnly = true): any {
    return {
      nodes: [
        { name: 'Trigger', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, parameters: {}, position: [0, 0] },
        { name: 'Source', type: 'n8n-nodes-base.code', typeVersion: 2, position: [200, 0],
          parameters: { jsCode: "return [1, 2, 3, 4].map(a => ({ json: { a, name: 'n' + a, nested: { list: [a, a * 10] } } }))" } },
        { name: 'Mid', type: 'n8n-nodes-base.set', typeVersion: 3.4, position: [400, 0],
          parameters: { assignments: { assignments: [{ id: 'm', name: 'mid', value: '={{ $json.a * 5 }}', type: 'number' }] }, includeOtherFields: false, options: {} } },
        { name: 'Keep', type: 'n8n-nodes-base.if', typeVersion: 2.2, position: [600, 0],
          parameters: { conditions: { options: { caseSensitive: true, typeValidation: 'strict', version: 2 }, combinator: 'and',
            conditions: [{ leftValue: '={{ $json.mid }}', rightValue: keepOnly ? 10 : 0, operator: { type: 'number', operation: 'gt' } }] }, options: {} } },
        { name: 'Eval', type: 'n8n-nodes-base.set', typeVersion: 1, position: [800, 0],
          parameters: { keepOnlySet: true, values: { string: exprs.map((value, i) => ({ name: `e${i}`, value })) }, options: { dotNotation: false } } },
      ],
      connections: {
        Trigger: { main: [[{ node: 'Source', type: 'main', index: 0 }]] },
        Source: { main: [[{ node: 'Mid', type: 'main', index: 0 }]] },
        Mid: { main: [[{ node: 'Keep', type: 'main', index: 0 }]] },
        Keep: { main: [[{ node: 'Eval', type: 'main', index: 0 }]] },
      },
      settings: { executionOrder: 'v1' },
    };
  }

  async function both(wf: any) {
    const fast = await runWorkflow(wf);
    setExpressionFastPath(false);
    try {
      const slow = await runWorkflow(wf);
      return { fast, slow };
    } finally {
      setExpressionFastPath(true);
    }
  }
  const outOf = (r: any) => ({ status: r.status, error: r.error?.message, out: r.runData.Eval?.[0]?.data?.main });

  it('gives the same output as the sandbox, through a node that drops items', async () => {
    for (const e of REFS) expect(compileFastExpression(e), e).not.toBeNull();
    const { fast, slow } = await both(refWorkflow(REFS));
    expect(fast.status).toBe('success');
    expect(outOf(fast)).toStrictEqual(outOf(slow));
    expect(fast.runData.Eval[0].data!.main[0]!.map((i) => i.json.e0)).toEqual([3, 4]);
  });

  it('leaves errors to the sandbox (unknown or unexecuted node)', async () => {
    for (const e of ["={{ $('Nope').item.json.a }}", '={{ $node["Nope"].json.a }}', "={{ $('Eval').item.json.a }}"]) {
      const { fast, slow } = await both(refWorkflow([e]));
      expect(fast.status, e).toBe('error');
      expect(outOf(fast)).toStrictEqual(outOf(slow));
    }
  });

  it('resolves $(\'Name\').item on the host without an isolate', async () => {
    const wf = refWorkflow(["={{ $('Mid').item.json.mid }}"], false);
    wf.nodes[1] = { name: 'Source', type: 'n8n-nodes-base.noOp', typeVersion: 1, parameters: {}, position: [200, 0] };
    const created = await isolatesCreatedBy(() => runWorkflow(wf, { input: [{ a: 1 }, { a: 2 }] }));
    expect(created.result.runData.Eval[0].data!.main[0]!.map((i) => i.json.e0)).toEqual([5, 10]);
    expect(created.isolates).toBe(0);
  });
});

describe('warm isolate reuse', () => {
  it('the next execution reuses the isolate with a fresh context: no prototype pollution leaks', async () => {
    const { isolatesCreated } = await import('../../src/core/engine/sandbox/sandbox.js');
    const pollute = codeWorkflow("Object.prototype.polluted = 'yes'; Array.prototype.extra = 1; String.prototype.trim = () => 'hacked'; globalThis.leak = 42; return [{ json: { ok: ({}).polluted } }];");
    const first = await runWorkflow(pollute);
    expect(first.runData.Code[0].data!.main[0]![0].json).toEqual({ ok: 'yes' });
    const before = isolatesCreated();
    const check = await runWorkflow(codeWorkflow("return [{ json: { p: ({}).polluted ?? null, e: [].extra ?? null, t: ' x '.trim(), l: typeof globalThis.leak } }];"));
    expect(check.runData.Code[0].data!.main[0]![0].json).toEqual({ p: null, e: null, t: 'x', l: 'undefined' });
    expect(isolatesCreated() - before).toBe(0);
  });

  it('an isolate stopped by a limit is not reused', async () => {
    const { isolatesCreated } = await import('../../src/core/engine/sandbox/sandbox.js');
    const bomb = await runWorkflow(codeWorkflow('const a = []; for (;;) a.push(new Array(1e6).fill(1));'));
    expect(bomb.status).toBe('error');
    const before = isolatesCreated();
    const next = await runWorkflow(codeWorkflow('return [{ json: { ok: true } }];'));
    expect(next.status).toBe('success');
    expect(isolatesCreated() - before).toBe(1);
  });
});
