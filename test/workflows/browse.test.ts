import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActingAs } from '../../src/core/actor.js';
import type { Core } from '../../src/core/context.js';
import { buildListQuery, listWorkflows, showWorkflow } from '../../src/core/workflows/browse.js';
import { importWorkflows } from '../../src/core/workflows/import.js';
import type { WorkflowSource } from '../../src/core/workflows/sources.js';
import { createTestEnv, type TestEnv } from '../helpers/env.js';
import { createTenant, testCore } from './helpers.js';

let t: TestEnv;
let core: Core;
let ada: ActingAs;
let bob: ActingAs;

function doc(name: string, description?: string, tags: string[] = []) {
  return {
    name,
    ...(description ? { description } : {}),
    tags: tags.map((n) => ({ name: n })),
    nodes: [
      { id: '1', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
      { id: '2', name: 'Check', type: 'n8n-nodes-base.if', typeVersion: 2.2, position: [200, 0], parameters: {} },
      { id: '3', name: 'Yes', type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [400, 0], parameters: {} },
      { id: '4', name: 'No', type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [400, 200], parameters: {}, disabled: true },
    ],
    connections: {
      Start: { main: [[{ node: 'Check', type: 'main', index: 0 }]] },
      Check: { main: [[{ node: 'Yes', type: 'main', index: 0 }], [{ node: 'No', type: 'main', index: 0 }]] },
    },
  };
}

async function importAll(as: ActingAs, docs: unknown[], opts: { activate?: boolean; category?: string } = {}): Promise<string[]> {
  const sources: WorkflowSource[] = docs.map((d, i) => ({ label: `doc${i}.json`, fallbackName: `doc${i}`, doc: d }));
  const r = await importWorkflows(core, as, { sources, problems: [] }, opts);
  return r.imported.map((w) => w.id);
}

beforeAll(async () => {
  t = await createTestEnv({ amqp: false });
  core = testCore(t);
  ada = await createTenant(t, 'ada');
  bob = await createTenant(t, 'bob');
  await importAll(ada, [doc('Send monthly invoices', 'Bills every customer on the first day', ['billing']), doc('Slack digest', 'Posts a summary of open tickets to a channel', ['ops'])], {
    activate: true,
    category: 'finance',
  });
  await importAll(ada, [doc('Backup database', 'Dumps PostgreSQL nightly and uploads the archive', ['ops'])]);
  await importAll(bob, [doc('Invoice reminders of bob', 'Bob only')]);
});
afterAll(async () => {
  await core?.close();
  await t?.cleanup();
});

const names = (page: { workflows: Array<{ name: string }> }) => page.workflows.map((w) => w.name).sort();

describe('workflows list', () => {
  it('finds workflows by words of the name and of the description, with English stemming', async () => {
    expect(names(await listWorkflows(core, ada, { search: 'invoice' }))).toEqual(['Send monthly invoices']);
    expect(names(await listWorkflows(core, ada, { search: 'customers' }))).toEqual(['Send monthly invoices']);
    expect(names(await listWorkflows(core, ada, { search: 'ticket summary' }))).toEqual(['Slack digest']);
    expect(names(await listWorkflows(core, ada, { search: 'upload OR digest' }))).toEqual(['Backup database', 'Slack digest']);
    expect(names(await listWorkflows(core, ada, { search: 'kubernetes' }))).toEqual([]);
  });

  it("never finds another tenant's workflows", async () => {
    expect(names(await listWorkflows(core, ada, { search: 'bob' }))).toEqual([]);
    expect(names(await listWorkflows(core, bob, {}))).toEqual(['Invoice reminders of bob']);
  });

  it('answers --search from the full-text GIN indexes of the seed', async () => {
    // A tenant with many workflows, so that the search, not user_id, is the selective condition.
    const carol = await createTenant(t, 'carol');
    await t.pool.query(
      `INSERT INTO workflows (user_id, name, description, definition) SELECT $1, 'Filler ' || g, 'nothing to see ' || g, '{"nodes": []}' FROM generate_series(1, 2000) g`,
      [carol.scope.userId],
    );
    await importAll(carol, [doc('Carol invoices', 'Monthly billing run')]);
    expect(names(await listWorkflows(core, carol, { search: 'billing' }))).toEqual(['Carol invoices']);

    // The ids step runs on the operator connection (see buildListQuery for why); EXPLAIN it there.
    const { sql, params } = buildListQuery(carol.scope.userId, { search: 'invoice', limit: 50 }, { idsOnly: true });
    const c = await t.pool.connect();
    try {
      await c.query('BEGIN');
      await c.query('ANALYZE workflows');
      await c.query('SET LOCAL enable_seqscan = off');
      const plan = (await c.query(`EXPLAIN ${sql}`, params)).rows.map((r) => r['QUERY PLAN']).join('\n');
      expect(plan).toMatch(/Bitmap Index Scan on idx_workflows_name_search/);
      expect(plan).toMatch(/Bitmap Index Scan on idx_workflows_description_search/);
    } finally {
      await c.query('ROLLBACK');
      c.release();
    }
  });

  it('filters by active state, tag and category', async () => {
    expect(names(await listWorkflows(core, ada, { active: true }))).toEqual(['Send monthly invoices', 'Slack digest']);
    expect(names(await listWorkflows(core, ada, { active: false }))).toEqual(['Backup database']);
    expect(names(await listWorkflows(core, ada, { tag: 'ops' }))).toEqual(['Backup database', 'Slack digest']);
    expect(names(await listWorkflows(core, ada, { category: 'finance', tag: 'billing' }))).toEqual(['Send monthly invoices']);
  });

  it('pages with a cursor: every workflow once, newest first', async () => {
    await importAll(ada, Array.from({ length: 7 }, (_, i) => doc(`Paged ${i}`)));
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await listWorkflows(core, ada, { limit: 3, cursor });
      seen.push(...page.workflows.map((w) => w.id));
      if (page.next_cursor) expect(page.workflows[page.workflows.length - 1]!.cursor).toBe(page.next_cursor);
      cursor = page.next_cursor ?? undefined;
      pages++;
    } while (cursor);
    const all = await listWorkflows(core, ada, { limit: 1000 });
    expect(seen).toEqual(all.workflows.map((w) => w.id));
    expect(new Set(seen).size).toBe(10);
    expect(pages).toBe(4);
    await expect(listWorkflows(core, ada, { cursor: 'garbage' })).rejects.toThrow(/--cursor/);
  });
});

describe('workflows show', () => {
  it('lists the nodes with type, typeVersion and the nodes they feed', async () => {
    const id = (await listWorkflows(core, ada, { search: 'backup' })).workflows[0]!.id;
    const d = await showWorkflow(core, ada, id);
    expect(d).toMatchObject({ name: 'Backup database', version: 1, is_active: false, node_count: 4, pending_executions: 0, running_executions: 0, tags: ['ops'] });
    expect(d.nodes.map((n) => [n.node_name, n.node_type, n.type_version, n.next_nodes, n.disabled])).toEqual([
      ['Start', 'n8n-nodes-base.manualTrigger', 1, ['Check'], false],
      ['Check', 'n8n-nodes-base.if', 2.2, ['Yes', 'No'], false],
      ['Yes', 'n8n-nodes-base.noOp', 1, [], false],
      ['No', 'n8n-nodes-base.noOp', 1, [], true],
    ]);
    expect(await showWorkflow(core, ada, 'Backup database')).toMatchObject({ id });
  });
});
