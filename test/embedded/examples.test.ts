import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { runWorkflow, validateWorkflow } from '../../src/core/engine/index.js';
import type { WorkflowDefinition } from '../../src/core/engine/types.js';
import { EXAMPLE_ORDERS, exampleFiles, startExampleApi, QUICKSTART_WORKFLOW } from '../../src/core/quickstart.js';

/** The shipped examples/ run on the engine as they are: what quickstart and the README promise. */
const load = (name: string) => JSON.parse(readFileSync(exampleFiles().find((f) => basename(f) === name)!, 'utf8')) as WorkflowDefinition & { name: string };
const out = (r: Awaited<ReturnType<typeof runWorkflow>>, node: string, output = 0, run = 0) =>
  (r.runData[node]?.[run]?.data?.main[output] ?? []).map((i) => i.json);

let api: Awaited<ReturnType<typeof startExampleApi>>;
beforeAll(async () => {
  api = await startExampleApi();
});
afterAll(async () => api?.close());

describe('examples/', () => {
  it('ships valid n8n workflows with unique names, one of them the quickstart workflow', () => {
    const docs = exampleFiles().map((f) => JSON.parse(readFileSync(f, 'utf8')));
    expect(docs.length).toBeGreaterThanOrEqual(3);
    for (const d of docs) expect(validateWorkflow(d), d.name).toEqual([]);
    expect(new Set(docs.map((d) => d.name)).size).toBe(docs.length);
    expect(docs.map((d) => d.name)).toContain(QUICKSTART_WORKFLOW);
    const types = new Set(docs.flatMap((d) => d.nodes.map((n: { type: string }) => n.type)));
    for (const t of ['n8n-nodes-base.if', 'n8n-nodes-base.splitInBatches', 'n8n-nodes-base.code', 'n8n-nodes-base.httpRequest']) expect(types).toContain(t);
  });

  it('orders-api: fetches the local endpoint, splits orders in a Code node and branches on the amount', async () => {
    const r = await runWorkflow(load('orders-api.json'), { input: [{ api_url: api.url }] });
    expect(r.status, JSON.stringify(r.error)).toBe('success');
    expect(out(r, 'One item per order')).toHaveLength(EXAMPLE_ORDERS.length);
    expect(out(r, 'Needs review').map((o) => [o.id, o.route])).toEqual([
      [1002, 'review'],
      [1004, 'review'],
    ]);
    expect(out(r, 'Auto-approve').map((o) => [o.id, o.amount, o.route])).toEqual([
      [1001, 39, 'approved'],
      [1003, 7.25, 'approved'],
    ]);
  });

  it('orders-api: fails clearly without an api_url', async () => {
    const r = await runWorkflow(load('orders-api.json'), {});
    expect(r.status).toBe('error');
    expect(r.lastNodeExecuted).toBe('Fetch orders');
  });

  it('batch-loop: loops over ten items three at a time and totals them', async () => {
    const r = await runWorkflow(load('batch-loop.json'), {});
    expect(r.status, JSON.stringify(r.error)).toBe('success');
    expect(r.runData['Square']).toHaveLength(4);
    expect(out(r, 'Total')).toEqual([{ items: 10, sum_of_squares: 385 }]);
  });

  it('greeting-branch: takes the branch its input selects', async () => {
    const morning = await runWorkflow(load('greeting-branch.json'), { input: [{ hour: 9 }] });
    expect(out(morning, 'Good morning')).toEqual([{ greeting: 'Good morning' }]);
    expect(morning.runData['Good evening']).toBeUndefined();
    const evening = await runWorkflow(load('greeting-branch.json'), { input: [{ hour: 20 }] });
    expect(out(evening, 'Good evening')).toEqual([{ greeting: 'Good evening' }]);
  });
});
