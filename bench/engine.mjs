#!/usr/bin/env node
// Engine throughput benchmark. Needs `npm run build` (imports dist/). Runs without
// --no-node-snapshot, as bin/jobsprint does (test/engine/isolate-stress.test.ts keeps that safe).
// Prints one JSON object.
import { isolatesCreated, runWorkflow, sandboxContextsCreated } from '../dist/core/engine/index.js';

const N = Number(process.env.BENCH_ITEMS ?? 10_000);
const input = Array.from({ length: N }, (_, i) => ({ id: i, name: `user${i}`, score: i % 100 }));

const pipeline = {
  nodes: [
    { name: 'Trigger', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, parameters: {}, position: [0, 0] },
    {
      name: 'Set', type: 'n8n-nodes-base.set', typeVersion: 3.4, position: [200, 0],
      parameters: {
        assignments: { assignments: [
          { id: '1', name: 'double', value: '={{ $json.score * 2 }}', type: 'number' },
          { id: '2', name: 'label', value: '={{ $json.name.toUpperCase() }}-{{ $json.id }}', type: 'string' },
        ] },
        includeOtherFields: true, options: {},
      },
    },
    {
      name: 'If', type: 'n8n-nodes-base.if', typeVersion: 2.2, position: [400, 0],
      parameters: { conditions: { options: { caseSensitive: true, typeValidation: 'strict', version: 2 }, combinator: 'and',
        conditions: [{ id: 'c', leftValue: '={{ $json.double }}', rightValue: 50, operator: { type: 'number', operation: 'gte' } }] }, options: {} },
    },
    {
      name: 'Code', type: 'n8n-nodes-base.code', typeVersion: 2, position: [600, 0],
      parameters: { jsCode: 'return $input.all().map(i => ({ json: { ...i.json, tag: i.json.label.length } }));' },
    },
  ],
  connections: {
    Trigger: { main: [[{ node: 'Set', type: 'main', index: 0 }]] },
    Set: { main: [[{ node: 'If', type: 'main', index: 0 }]] },
    If: { main: [[{ node: 'Code', type: 'main', index: 0 }]] },
  },
  settings: { executionOrder: 'v1' },
};

const EXPRS = 10;
const exprWorkflow = {
  nodes: [
    pipeline.nodes[0],
    {
      name: 'Set', type: 'n8n-nodes-base.set', typeVersion: 3.4, position: [200, 0],
      parameters: { assignments: { assignments: Array.from({ length: EXPRS }, (_, k) => ({ id: String(k), name: `f${k}`, value: `={{ $json.score + ${k} }}`, type: 'number' })) }, options: {} },
    },
  ],
  connections: { Trigger: { main: [[{ node: 'Set', type: 'main', index: 0 }]] } },
  settings: { executionOrder: 'v1' },
};

async function time(fn) {
  const t0 = process.hrtime.bigint();
  const r = await fn();
  return [r, Number(process.hrtime.bigint() - t0) / 1e6];
}

// warm-up (JIT, module caches)
await runWorkflow(pipeline, { input: input.slice(0, 200) });

const [res, pipeMs] = await time(() => runWorkflow(pipeline, { input }));
if (res.status !== 'success') throw new Error(`pipeline failed: ${res.error?.message}`);
const perNode = Object.fromEntries(Object.entries(res.runData).map(([k, v]) => [k, v[0].executionTime]));

const [res2, exprMs] = await time(() => runWorkflow(exprWorkflow, { input }));
if (res2.status !== 'success') throw new Error(`expression run failed: ${res2.error?.message}`);
const setMs = res2.runData.Set[0].executionTime;

// Many one-item executions of the throughput workflow (manual trigger → Set → If), as a
// worker runs them: per-execution overhead, and how many needed an isolate.
const small = {
  nodes: [
    pipeline.nodes[0],
    { name: 'Set', type: 'n8n-nodes-base.set', typeVersion: 3.4, position: [200, 0],
      parameters: { assignments: { assignments: [{ id: '1', name: 'doubled', value: '={{ $json.x * 2 }}', type: 'number' }] }, includeOtherFields: true, options: {} } },
    { name: 'If', type: 'n8n-nodes-base.if', typeVersion: 2.2, position: [400, 0],
      parameters: { conditions: { options: { caseSensitive: true, typeValidation: 'strict', version: 2 }, combinator: 'and',
        conditions: [{ leftValue: '={{ $json.doubled }}', rightValue: 3, operator: { type: 'number', operation: 'gt' } }] }, options: {} } },
  ],
  connections: { Trigger: { main: [[{ node: 'Set', type: 'main', index: 0 }]] }, Set: { main: [[{ node: 'If', type: 'main', index: 0 }]] } },
  settings: { executionOrder: 'v1' },
};
async function sequential(wf, n) {
  const iso0 = isolatesCreated();
  const ctx0 = sandboxContextsCreated();
  const [, ms] = await time(async () => {
    for (let i = 0; i < n; i++) {
      const r = await runWorkflow(wf, { input: [{ x: i }] });
      if (r.status !== 'success') throw new Error(`small run failed: ${r.error?.message}`);
    }
  });
  return { executions: n, msPerExecution: +(ms / n).toFixed(3), executionsPerSecond: Math.round(n / (ms / 1000)), isolatesCreated: isolatesCreated() - iso0, sandboxContexts: sandboxContextsCreated() - ctx0 };
}
const SMALL = Number(process.env.BENCH_EXECUTIONS ?? 1000);
await sequential(small, 50);
const smallFast = await sequential(small, SMALL);
const sandboxed = structuredClone(small);
sandboxed.nodes[1].parameters.assignments.assignments[0].value = '={{ Math.max($json.x, 0) * 2 }}';
const smallSandbox = await sequential(sandboxed, Math.max(20, Math.round(SMALL / 10)));

const [, emptyMs] = await time(() => runWorkflow({ nodes: [pipeline.nodes[0]], connections: {} }));
const [, smallMs] = await time(() => runWorkflow(exprWorkflow, { input: [{ score: 1 }] }));

console.log(JSON.stringify({
  items: N,
  pipeline: { nodes: 'Set -> If -> Code', ms: Math.round(pipeMs), itemsPerSecond: Math.round(N / (pipeMs / 1000)), perNodeMs: perNode },
  expressions: { evaluations: N * EXPRS, ms: Math.round(setMs), evaluationsPerSecond: Math.round((N * EXPRS) / (setMs / 1000)), wallMs: Math.round(exprMs) },
  smallExecutions: { fastPath: smallFast, sandboxed: smallSandbox },
  overheadMs: { triggerOnlyWorkflow: Math.round(emptyMs), oneItemTenExpressions: Math.round(smallMs) },
  node: process.version,
}, null, 2));
