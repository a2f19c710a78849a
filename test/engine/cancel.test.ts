/** Cancellation (AbortSignal) and settings.executionTimeout stop running work within one second. */
import { describe, it, expect, afterAll } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { runWorkflow, registerNodeType, type RunResult } from '../../src/core/engine/index.js';
import { codeWorkflow, waitWorkflow } from './helpers/wf.js';

const hanging = http.createServer(() => {
  /* never responds */
});
await new Promise<void>((r) => hanging.listen(0, '127.0.0.1', () => r()));
const port = (hanging.address() as AddressInfo).port;
afterAll(() => {
  hanging.closeAllConnections();
  hanging.close();
});

registerNodeType({
  type: 'jobsprint-test.slowHttp',
  async execute(ctx) {
    const body = await ctx.helpers.httpRequest({ url: `http://127.0.0.1:${port}/slow`, method: 'GET' });
    return [[{ json: { body } }]];
  },
});

function httpWorkflow(settings: Record<string, unknown> = {}) {
  return {
    nodes: [
      { name: 'Trigger', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, parameters: {}, position: [0, 0] as [number, number] },
      { name: 'HTTP', type: 'jobsprint-test.slowHttp', typeVersion: 1, parameters: {}, position: [200, 0] as [number, number] },
    ],
    connections: { Trigger: { main: [[{ node: 'HTTP', type: 'main', index: 0 }]] } },
    settings: { executionOrder: 'v1' as const, ...settings },
  };
}

/**
 * Runs with a timer due together with the engine's timeout and returns how long the run went
 * on after it fired: the one-second bound applies to this stop latency, not to setup
 * time or to a busy event loop firing both timers late on a loaded CI machine.
 */
async function overrun(limitMs: number, start: () => Promise<RunResult>): Promise<[RunResult, number]> {
  let firedAt = 0;
  const timer = setTimeout(() => (firedAt = Date.now()), limitMs);
  const res = await start();
  clearTimeout(timer);
  return [res, firedAt ? res.stoppedAt - firedAt : Number.NaN];
}

describe('cancellation via AbortSignal', () => {
  const cases: Array<[string, () => any]> = [
    ['infinite loop in a Code node', () => codeWorkflow('while (true) {}')],
    ['infinite loop after await in a Code node', () => codeWorkflow('await null; for (;;) {}')],
    ['long Wait node', () => waitWorkflow(3600)],
    ['hanging HTTP request', () => httpWorkflow()],
  ];
  for (const [name, make] of cases) {
    it(`${name} stops within 1 s of abort`, async () => {
      const ac = new AbortController();
      const events: string[] = [];
      let started: () => void;
      const nodeStarted = new Promise<void>((r) => (started = r));
      const p = runWorkflow(make(), {
        signal: ac.signal,
        onEvent: (e) => {
          events.push(`${e.type}:${e.node}`);
          if (e.type === 'nodeStart' && e.node !== 'Trigger') started();
        },
      });
      // abort once the long-running node is under way (not after a fixed delay, which a loaded machine may not meet)
      await nodeStarted;
      await new Promise((r) => setTimeout(r, 200));
      const t0 = Date.now();
      ac.abort();
      const res = await p;
      expect(Date.now() - t0).toBeLessThan(1000);
      expect(res.status).toBe('canceled');
      const last = Object.values(res.runData).flat().at(-1);
      expect(last?.executionStatus).toBe('canceled');
      expect(events.at(-1)).toMatch(/^nodeEnd:/);
    });
  }
});

describe('settings.executionTimeout (seconds) and timeoutMs', () => {
  it('stops an infinite loop when settings.executionTimeout elapses', async () => {
    const [res, late] = await overrun(1000, () => runWorkflow(codeWorkflow('while (true) {}', 'runOnceForAllItems', { executionTimeout: 1 })));
    expect(res.status).toBe('canceled');
    expect(res.error?.message).toMatch(/timed out/);
    expect(late).toBeLessThan(1000);
  });
  it('stops a long Wait when settings.executionTimeout elapses', async () => {
    const [res, late] = await overrun(1000, () => runWorkflow(waitWorkflow(3600, { executionTimeout: 1 })));
    expect(res.status).toBe('canceled');
    expect(res.error?.message).toMatch(/timed out/);
    expect(late).toBeLessThan(1000);
  });
  it('stops a hanging HTTP request on timeoutMs', async () => {
    const [res, late] = await overrun(500, () => runWorkflow(httpWorkflow(), { timeoutMs: 500 }));
    expect(res.status).toBe('canceled');
    expect(late).toBeLessThan(1000);
  });
  it('an already-aborted signal runs nothing', async () => {
    const ac = new AbortController();
    ac.abort();
    const res = await runWorkflow(waitWorkflow(10), { signal: ac.signal });
    expect(res.status).toBe('canceled');
    expect(res.runData.Wait).toBeUndefined();
  });
  it('a short wait completes normally', async () => {
    const res = await runWorkflow(waitWorkflow(0.05));
    expect(res.status).toBe('success');
    expect(res.runData.Wait[0].data!.main[0]).toHaveLength(1);
  });
});
