/**
 * isolated-vm's README asks for `node --no-node-snapshot` on Node >= 20 (V8's shared heap can
 * crash a process whose isolates come from different snapshots). bin/jobsprint runs without
 * the flag; this keeps that verified: isolate churn, memory-limit kills, CPU timeouts and
 * concurrent executions in ONE plain `node` process (no flags, no NODE_OPTIONS), exactly as the
 * binary runs, and the same mix through the engine in this test process. A crash shows up as
 * the child dying by a signal (SIGSEGV/SIGABRT) instead of printing its summary.
 */
import { describe, it, expect } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runWorkflow, type RunResult } from '../../src/core/engine/index.js';
import { codeWorkflow, exprWorkflow } from './helpers/wf.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const distEngine = path.join(root, 'dist/core/engine/index.js');
const ivmPath = createRequire(import.meta.url).resolve('isolated-vm');

const BOMB = 'const a = []; for (;;) a.push("x".repeat(1e5) + Math.random());';
const LOOP = 'for (;;) {}';
const OK = 'return $input.all().map((i) => ({ json: { v: i.json.v * 2, y: DateTime.fromISO("2024-05-01").year } }))';

/** Runs in the child: raw isolated-vm churn, then the engine mix; prints one JSON summary line. */
const CHILD = `
import ivm from ${JSON.stringify(pathToFileURL(ivmPath).href)};
const { runWorkflow } = await import(${JSON.stringify(pathToFileURL(distEngine).href)});
const summary = { execArgv: process.execArgv, nodeOptions: process.env.NODE_OPTIONS ?? '', created: 0, memoryKills: 0, timeouts: 0, runs: {} };

// 1. churn: isolates created, used and disposed, up to 8 alive at once, code cache shared across them
const keep = [];
let cached;
for (let i = 0; i < 60; i++) {
  const iso = new ivm.Isolate({ memoryLimit: 16 });
  const ctx = iso.createContextSync();
  const script = iso.compileScriptSync('const o = { a: [1, 2, 3] }; JSON.stringify(o) + ' + (i % 7), cached ? { cachedData: cached } : { produceCachedData: true });
  if (!cached && script.cachedData) cached = script.cachedData;
  script.runSync(ctx);
  await ctx.eval('new Promise((r) => r(1))', { promise: true });
  summary.created++;
  keep.push(iso);
  if (keep.length > 8) keep.shift().dispose();
  if (i % 10 === 0) new Array(2e5).fill({ host: 'garbage' }); // host GC pressure between isolates
}
for (const iso of keep) iso.dispose();

// 2. memory-limit kills and 3. CPU timeouts, synchronous and asynchronous
for (let i = 0; i < 2; i++) {
  const iso = new ivm.Isolate({ memoryLimit: 8 });
  try {
    iso.compileScriptSync(${JSON.stringify(BOMB)}).runSync(iso.createContextSync());
  } catch (e) {
    if (!/memory|disposed/i.test(String(e && e.message))) throw e;
    summary.memoryKills++;
  }
  if (!iso.isDisposed) iso.dispose();
}
for (let i = 0; i < 4; i++) {
  const iso = new ivm.Isolate({ memoryLimit: 16 });
  const ctx = iso.createContextSync();
  try {
    if (i % 2) ctx.evalSync('for (;;) {}', { timeout: 20 });
    else await ctx.eval('for (;;) {}', { timeout: 20 });
  } catch (e) {
    if (!/timed out/i.test(String(e && e.message))) throw e;
    summary.timeouts++;
  }
  iso.dispose();
}

// 4. the engine: every kind of run, six at a time
const wf = (jsCode) => ({ nodes: [
  { name: 'T', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, parameters: {}, position: [0, 0] },
  { name: 'Code', type: 'n8n-nodes-base.code', typeVersion: 2, parameters: { jsCode }, position: [200, 0] }],
  connections: { T: { main: [[{ node: 'Code', type: 'main', index: 0 }]] } } });
const kinds = [[${JSON.stringify(OK)}, {}], [${JSON.stringify(BOMB)}, { memoryLimitMb: 8, codeTimeoutMs: 10000 }], [${JSON.stringify(LOOP)}, { codeTimeoutMs: 150 }]];
for (let batch = 0; batch < 3; batch++) {
  const results = await Promise.all(Array.from({ length: 6 }, (_, k) => {
    const [code, sandbox] = kinds[(batch + k) % 3];
    return runWorkflow(wf(code), { input: [{ v: k }], sandbox }).then((r) => [code === kinds[0][0] ? 'ok' : code === kinds[1][0] ? 'bomb' : 'loop', r.status, r.error?.message ?? '']);
  }));
  for (const [kind, status, msg] of results) {
    const key = kind + ':' + status + ':' + (msg.match(/memory limit|timed out/)?.[0] ?? msg.slice(0, 40));
    summary.runs[key] = (summary.runs[key] ?? 0) + 1;
  }
}
console.log(JSON.stringify(summary));
`;

function runChild(file: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    const child = spawn(process.execPath, [file], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

describe('isolated-vm without --no-node-snapshot', () => {
  it('survives isolate churn, memory-limit kills, timeouts and concurrent engine runs in one plain node process', async () => {
    expect(existsSync(distEngine), 'build first: npx tsc -p tsconfig.build.json').toBe(true);
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'jobsprint-ivm-stress-')), 'stress.mjs');
    writeFileSync(file, CHILD);
    const r = await runChild(file);
    expect(r.signal, `the process crashed:\n${r.stderr}`).toBeNull();
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(summary.execArgv).not.toContain('--no-node-snapshot');
    expect(summary.nodeOptions).not.toContain('--no-node-snapshot');
    expect(summary).toMatchObject({ created: 60, memoryKills: 2, timeouts: 4 });
    expect(summary.runs).toEqual({
      'ok:success:': 6,
      'bomb:error:memory limit': 6,
      'loop:error:timed out': 6,
    });
  }, 60_000);

  it('the engine in this process: kills and timeouts leave the next executions working', async () => {
    const all: Array<Promise<[string, RunResult]>> = [];
    for (let i = 0; i < 12; i++) {
      const kind = ['ok', 'bomb', 'loop', 'expr'][i % 4];
      const run =
        kind === 'ok' ? runWorkflow(codeWorkflow(OK), { input: [{ v: i }] })
        : kind === 'bomb' ? runWorkflow(codeWorkflow(BOMB), { sandbox: { memoryLimitMb: 8, codeTimeoutMs: 10_000 } })
        : kind === 'loop' ? runWorkflow(codeWorkflow(LOOP), { sandbox: { codeTimeoutMs: 150 } })
        : runWorkflow(exprWorkflow('={{ (() => { for (;;) {} })() }}'), { sandbox: { expressionTimeoutMs: 100 } });
      all.push(run.then((r) => [kind, r]));
    }
    for (const [kind, r] of await Promise.all(all)) {
      if (kind === 'ok') expect(r.status, r.error?.message).toBe('success');
      else expect(r.error?.message, kind).toMatch(kind === 'bomb' ? /memory limit/ : /timed out/);
    }
    const after = await runWorkflow(codeWorkflow(OK), { input: [{ v: 21 }] });
    expect(after.runData.Code[0].data!.main[0]![0].json).toEqual({ v: 42, y: 2024 });
  }, 60_000);
});
