/**
 * Sandbox: escape attempts from expressions and Code nodes must end as node errors,
 * leave the host untouched, and not affect the next execution.
 */
import { describe, it, expect, afterEach } from 'vitest';
import { runWorkflow } from '../../src/core/engine/index.js';
import { codeWorkflow, exprWorkflow } from './helpers/wf.js';

process.env.JOBSPRINT_TEST_SECRET = 'host-secret-value';
const sandbox = { memoryLimitMb: 64, expressionTimeoutMs: 300, codeTimeoutMs: 1500 };

async function expectNodeError(wf: any, pattern: RegExp) {
  const t0 = Date.now();
  // memory-limit kills need V8 to give up after GC thrashing (~1.5 s), so allow more wall time there
  const slow = /memory/.test(pattern.source);
  const res = await runWorkflow(wf, { sandbox: slow ? { ...sandbox, codeTimeoutMs: 15000 } : sandbox });
  if (process.env.DEBUG_SANDBOX) console.log(Date.now() - t0, res.error?.message);
  expect(res.status, JSON.stringify(res.runData)).toBe('error');
  expect(res.error?.message ?? '').toMatch(pattern);
  expect(JSON.stringify(res)).not.toContain('host-secret-value');
  return res;
}

function hostIsIntact() {
  expect(typeof process.exit).toBe('function');
  expect(({} as any).polluted).toBeUndefined();
  expect(([] as any).polluted).toBeUndefined();
  expect(typeof Array.prototype.map).toBe('function');
  expect(Object.keys(Object.prototype)).toEqual([]);
}

afterEach(async () => {
  hostIsIntact();
  // the next execution still works normally
  const ok = await runWorkflow(codeWorkflow('return [{ json: { ok: [1,2].map(x => x * 2), polluted: ({}).polluted ?? null } }]'), { sandbox });
  expect(ok.status).toBe('success');
  expect(ok.runData.Code[0].data!.main[0]![0].json).toEqual({ ok: [2, 4], polluted: null });
});

const BLOCKED = /not allowed in the sandbox/;
const NO_PROCESS = /process is not defined|not allowed in the sandbox/;

const expressionAttempts: Array<[string, string, RegExp]> = [
  ['CVE-2025-68613 constructor chain', "={{ this.constructor.constructor('return process')() }}", BLOCKED],
  ['constructor chain in template text', "=x {{ this.constructor.constructor('return process')().env }} y", BLOCKED],
  ['template literal constructor chain', "={{ `${this.constructor.constructor('return process')()}` }}", BLOCKED],
  ['array constructor chain', "={{ [].constructor.constructor('return process')() }}", BLOCKED],
  ['string constructor chain', "={{ ''.constructor.constructor('return globalThis.process')() }}", BLOCKED],
  ['$json constructor chain', "={{ $json.constructor.constructor('return process')() }}", BLOCKED],
  ['computed constructor key', "={{ this['constr' + 'uctor']['constr' + 'uctor']('return process')() }}", BLOCKED],
  ['arrow function constructor', "={{ (() => 1).constructor('return process')() }}", BLOCKED],
  ['async function constructor', "={{ (async () => 1).constructor('return process')() }}", BLOCKED],
  ['generator function constructor', "={{ (function*(){}).constructor('yield process')().next() }}", BLOCKED],
  ['Function global', "={{ Function('return process')() }}", BLOCKED],
  ['eval global', "={{ eval('process') }}", BLOCKED],
  ['Reflect.construct(Function)', "={{ Reflect.construct(Function, ['return process'])() }}", BLOCKED],
  ['$env outside the allowlist', '={{ $env.JOBSPRINT_TEST_SECRET }}', /access to env var "JOBSPRINT_TEST_SECRET" denied/],
  ['infinite loop in an expression', '={{ (() => { while (true) {} })() }}', /timed out/],
  ['deep recursion in an expression', '={{ (function f(n) { return f(n + 1) + 1 })(0) }}', /call stack/],
  ['100 MB string from an expression', "={{ 'x'.repeat(100 * 1024 * 1024) }}", /memory limit|too large|Invalid string length/],
];

const codeAttempts: Array<[string, string, RegExp]> = [
  ['process global', 'return [{ json: { env: process.env } }]', NO_PROCESS],
  ['require child_process', "const cp = require('child_process'); return [{ json: { out: cp.execSync('id').toString() } }]", /Module 'child_process' is disallowed/],
  ['require fs', "return [{ json: { f: require('fs').readFileSync('/etc/passwd', 'utf8') } }]", /Module 'fs' is disallowed/],
  ['dynamic import()', "const fs = await import('fs'); return [{ json: { f: fs.readFileSync('/etc/passwd', 'utf8') } }]", /import|module|not supported|Not supported/i],
  ['globalThis.process', 'return [{ json: { v: globalThis.process.version } }]', /Cannot read properties of undefined/],
  ['constructor chain in code', "return [{ json: { p: this.constructor.constructor('return process')().pid } }]", BLOCKED],
  ['template-literal constructor chain in code', "const p = `${[].constructor.constructor('return process')()}`; return [{ json: { p } }]", BLOCKED],
  ['Error.prepareStackTrace frame walk', "Error.prepareStackTrace = (e, s) => s; const fr = new Error().stack; const fn = fr[0].getFunction(); return [{ json: { p: fn.constructor('return process')() } }]", /not allowed in the sandbox|Cannot read|not a function|getFunction/],
  ['new Function', "const f = new Function('return process'); return [{ json: { p: f() } }]", BLOCKED],
  ['setTimeout escape', 'setTimeout(() => {}, 1); return [{ json: {} }]', /setTimeout is not defined/],
  ['host callback probing', 'return [{ json: { h: __h_getRun("x", 0) } }]', /__h_getRun is not defined/],
  ['infinite loop in code', 'while (true) {} ', /timed out/],
  ['infinite loop after await', 'await null; for (;;) {}', /timed out/],
  ['deep recursion in code', 'function f(n) { return f(n + 1) + 1 } return [{ json: { v: f(0) } }]', /Maximum call stack size exceeded/],
  ['memory bomb (array growth)', 'const a = []; while (true) a.push(new Array(1e6).fill(Math.random())); return []', /memory limit/],
  ['100 MB string output', "return [{ json: { big: 'x'.repeat(100 * 1024 * 1024) } }]", /memory limit|too large|Invalid string length/],
  ['prototype pollution of Object (then throw)', "Object.prototype.polluted = 'yes'; Array.prototype.polluted = 'yes'; throw new Error('polluted and failed')", /polluted and failed/],
  ['Array.prototype.map hijack (then throw)', "Array.prototype.map = function () { return ['hijacked'] }; throw new Error('map hijacked')", /map hijacked/],
  ['$env secret in code', 'return [{ json: { s: $env.JOBSPRINT_TEST_SECRET } }]', /access to env var "JOBSPRINT_TEST_SECRET" denied/],
];

describe('sandbox escapes from expressions', () => {
  for (const [name, expr, pattern] of expressionAttempts) {
    it(name, async () => {
      await expectNodeError(exprWorkflow(expr), pattern);
    });
  }
});

describe('sandbox escapes from Code nodes', () => {
  for (const [name, code, pattern] of codeAttempts) {
    it(name, async () => {
      await expectNodeError(codeWorkflow(code), pattern);
    });
  }
});

describe('isolation between executions', () => {
  it('prototype pollution in one execution does not leak into the next', async () => {
    const a = await runWorkflow(codeWorkflow("Object.prototype.polluted = 'yes'; Array.prototype.includes = () => true; return [{ json: { p: ({}).polluted } }]"), { sandbox });
    expect(a.status).toBe('success');
    expect(a.runData.Code[0].data!.main[0]![0].json).toEqual({ p: 'yes' });
    const b = await runWorkflow(codeWorkflow('return [{ json: { p: ({}).polluted ?? null, inc: [1].includes(2) } }]'), { sandbox });
    expect(b.runData.Code[0].data!.main[0]![0].json).toEqual({ p: null, inc: false });
  });
  it('allowlisted env vars are visible, others are not', async () => {
    const res = await runWorkflow(exprWorkflow('={{ $env.JOBSPRINT_TEST_SECRET }}'), { sandbox, envAllowlist: ['JOBSPRINT_TEST_SECRET'] });
    expect(res.runData.Set[0].data!.main[0]![0].json.out).toBe('host-secret-value');
  });
  it('a failed node can continue (continueOnFail) after the isolate was killed by the memory limit', async () => {
    const wf = codeWorkflow('const a = []; while (true) a.push(new Array(1e6).fill(Math.random()));');
    wf.nodes[1].continueOnFail = true;
    wf.nodes.push({ name: 'After', type: 'n8n-nodes-base.set', typeVersion: 3.4, parameters: { assignments: { assignments: [{ id: '1', name: 'after', value: '={{ 1 + 1 }}', type: 'number' }] }, options: {} }, position: [400, 0] });
    wf.connections.Code = { main: [[{ node: 'After', type: 'main', index: 0 }]] };
    const res = await runWorkflow(wf, { sandbox: { ...sandbox, codeTimeoutMs: 15000 } });
    expect(res.status).toBe('success');
    expect(String(res.runData.Code[0].data!.main[0]![0].json.error)).toMatch(/memory limit/);
    expect(res.runData.After[0].data!.main[0]![0].json.after).toBe(2);
  });
  it('counts at least 30 escape attempts', () => {
    expect(expressionAttempts.length + codeAttempts.length).toBeGreaterThanOrEqual(30);
  });
});
