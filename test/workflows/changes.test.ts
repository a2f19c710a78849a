import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActingAs } from '../../src/core/actor.js';
import { Core } from '../../src/core/context.js';
import { Config } from '../../src/core/config.js';
import { ConflictError, NotFoundError } from '../../src/core/errors.js';
import { importWorkflows } from '../../src/core/workflows/import.js';
import { exportWorkflow, showWorkflow, workflowHistory } from '../../src/core/workflows/browse.js';
import { deleteWorkflow, renameWorkflow, rollbackWorkflow, setWorkflowActive, tagWorkflow, updateWorkflow } from '../../src/core/workflows/change.js';
import type { WorkflowSource } from '../../src/core/workflows/sources.js';
import { createTestEnv, type TestEnv } from '../helpers/env.js';
import { createTenant, testCore } from './helpers.js';

let t: TestEnv;
let core: Core;
let ada: ActingAs;
let bob: ActingAs;
beforeAll(async () => {
  t = await createTestEnv({ amqp: false });
  core = testCore(t);
  ada = await createTenant(t, 'ada');
  bob = await createTenant(t, 'bob');
});
afterAll(async () => {
  await core?.close();
  await t?.cleanup();
});

/** A small n8n workflow: manual trigger → Set, with an extra field n8n does not define. */
function flow(name: string, setValue = 'one', extra: Record<string, unknown> = {}) {
  return {
    name,
    nodes: [
      { id: 'a1', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
      {
        id: 'b2',
        name: 'Set',
        type: 'n8n-nodes-base.set',
        typeVersion: 3.4,
        position: [200, 0],
        parameters: { assignments: { assignments: [{ id: 'x', name: 'v', value: setValue, type: 'string' }] } },
      },
    ],
    connections: { Start: { main: [[{ node: 'Set', type: 'main', index: 0 }]] } },
    settings: { executionOrder: 'v1' },
    x_custom: { kept: true },
    ...extra,
  };
}

async function importOne(as: ActingAs, doc: unknown, label = 'test.json'): Promise<string> {
  const src: WorkflowSource = { label, fallbackName: 'fallback', doc };
  const r = await importWorkflows(core, as, { sources: [src], problems: [] });
  return r.imported[0]!.id;
}

async function auditEvents(resourceId: string): Promise<string[]> {
  const r = await t.pool.query('SELECT event_type FROM audit_logs WHERE resource_id = $1 ORDER BY created_at, event_type', [resourceId]);
  return r.rows.map((x) => x.event_type);
}

describe('versions', () => {
  it('keeps every version: update, rename and tags add one; rollback restores one as a new version', async () => {
    const id = await importOne(ada, flow('Versioned', 'one'));
    const v2 = await updateWorkflow(core, ada, id, flow('Versioned', 'two'));
    expect(v2.workflow.version).toBe(2);
    await renameWorkflow(core, ada, id, 'Versioned renamed');
    await tagWorkflow(core, ada, id, { add: ['billing', 'ops'] });
    const h = await workflowHistory(core, ada, id);
    expect(h.versions.map((v) => [v.version, v.change, v.current])).toEqual([
      [4, 'tagged', true],
      [3, 'renamed', false],
      [2, 'updated', false],
      [1, 'created', false],
    ]);

    const back = await rollbackWorkflow(core, ada, id, 1);
    expect(back.workflow.version).toBe(5);
    expect(back.workflow.name).toBe('Versioned');
    const exported = await exportWorkflow(core, ada, id);
    expect(exported.definition).toStrictEqual(flow('Versioned', 'one'));
    expect((await workflowHistory(core, ada, id)).versions[0]).toMatchObject({ version: 5, change: 'rolled_back', current: true });
    expect(await auditEvents(id)).toEqual(
      expect.arrayContaining(['workflow.created', 'workflow.updated', 'workflow.renamed', 'workflow.tagged', 'workflow.rolled_back']),
    );
  });

  it('puts renames and tag edits into the exported n8n document', async () => {
    const id = await importOne(ada, flow('Tagged', 'one', { tags: [{ id: 't1', name: 'old', createdAt: '2024-01-01T00:00:00.000Z' }] }));
    await renameWorkflow(core, ada, id, 'Tagged 2');
    const r = await tagWorkflow(core, ada, id, { add: ['new'], remove: [] });
    expect(r.workflow.tags).toEqual(['old', 'new']);
    const doc = (await exportWorkflow(core, ada, id)).definition;
    expect(doc.name).toBe('Tagged 2');
    // n8n's tag object is kept as it was; the new tag is added in n8n's form.
    expect(doc.tags).toEqual([{ id: 't1', name: 'old', createdAt: '2024-01-01T00:00:00.000Z' }, { name: 'new' }]);
    const removed = await tagWorkflow(core, ada, id, { remove: ['old'] });
    expect(removed.workflow.tags).toEqual(['new']);
    expect((await tagWorkflow(core, ada, id, { remove: ['absent'] })).changed).toBe(false);
  });

  it('keeps workflow_nodes mirroring the definition after every write', async () => {
    const id = await importOne(ada, flow('Mirror'));
    const bigger = flow('Mirror');
    bigger.nodes.push({ name: 'No id', type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [400, 0], parameters: {} } as any);
    (bigger.connections as any).Set = { main: [[{ node: 'No id', type: 'main', index: 0 }]] };
    await updateWorkflow(core, ada, id, bigger);
    const rows = await t.pool.query('SELECT node_id, node_name, node_type, position, config FROM workflow_nodes WHERE workflow_id = $1 ORDER BY position', [id]);
    expect(rows.rows.map((r) => [r.node_id, r.node_name, r.position])).toEqual([
      ['a1', 'Start', 0],
      ['b2', 'Set', 1],
      ['No id', 'No id', 2],
    ]);
    expect(rows.rows[1].config).toEqual(bigger.nodes[1]);
    await rollbackWorkflow(core, ada, id, 1);
    const after = await t.pool.query('SELECT count(*)::int AS n FROM workflow_nodes WHERE workflow_id = $1', [id]);
    expect(after.rows[0].n).toBe(2);
  });

  it('lets only one of two concurrent updates of the same version win; the other gets a conflict', async () => {
    const id = await importOne(ada, flow('Contended'));
    const results = await Promise.allSettled([
      updateWorkflow(core, ada, id, flow('Contended', 'from A'), { expectedVersion: 1 }),
      updateWorkflow(core, ada, id, flow('Contended', 'from B'), { expectedVersion: 1 }),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]!.reason).toBeInstanceOf(ConflictError);
    expect(lost[0]!.reason.exitCode).toBe(5);
    const row = await t.pool.query('SELECT version FROM workflows WHERE id = $1', [id]);
    expect(row.rows[0].version).toBe(2);
    const versions = await t.pool.query('SELECT count(*)::int AS n FROM workflow_versions WHERE workflow_id = $1', [id]);
    expect(versions.rows[0].n).toBe(2);
  });

  it('refuses a stale expected version without writing', async () => {
    const id = await importOne(ada, flow('Stale'));
    await updateWorkflow(core, ada, id, flow('Stale', 'two'));
    await expect(updateWorkflow(core, ada, id, flow('Stale', 'three'), { expectedVersion: 1 })).rejects.toThrow(/at version 2, this change was based on version 1/);
    expect((await exportWorkflow(core, ada, id)).definition).toStrictEqual(flow('Stale', 'two'));
  });
});

describe('with Redis down', () => {
  it('changes workflows in PostgreSQL alone: no workflow change touches Redis', async () => {
    // A closed port: any use of Redis would fail the change with a ServiceUnavailableError.
    const down = new Core({ config: new Config({ ...t.env, JOBSPRINT_REDIS_URL: 'redis://127.0.0.1:1' }) });
    try {
      const started = Date.now();
      const r = await importWorkflows(down, ada, { sources: [{ label: 'down.json', fallbackName: 'fallback', doc: flow('Redis down') }], problems: [] });
      const id = r.imported[0]!.id;
      expect((await renameWorkflow(down, ada, id, 'Redis down 2')).workflow.version).toBe(2);
      expect((await updateWorkflow(down, ada, id, flow('Redis down 3', 'two'))).workflow.version).toBe(3);
      expect((await tagWorkflow(down, ada, id, { add: ['x'] })).workflow.version).toBe(4);
      expect((await rollbackWorkflow(down, ada, id, 2)).workflow.name).toBe('Redis down 2');
      expect((await setWorkflowActive(down, ada, id, true)).workflow.is_active).toBe(true);
      const row = await t.pool.query('SELECT name, version, is_active FROM workflows WHERE id = $1', [id]);
      expect(row.rows[0]).toEqual({ name: 'Redis down 2', version: 5, is_active: true });
      await deleteWorkflow(down, ada, id);
      expect((await t.pool.query('SELECT 1 FROM workflows WHERE id = $1', [id])).rowCount).toBe(0);
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      await down.close();
    }
  });
});

describe('activation and deletion', () => {
  it('activates and deactivates without a new version, with audit rows', async () => {
    const id = await importOne(ada, flow('Switch'));
    expect((await setWorkflowActive(core, ada, id, true)).workflow.is_active).toBe(true);
    expect((await setWorkflowActive(core, ada, id, true)).changed).toBe(false);
    const off = await setWorkflowActive(core, ada, id, false);
    expect(off.workflow).toMatchObject({ is_active: false, version: 1 });
    expect(await auditEvents(id)).toEqual(expect.arrayContaining(['workflow.activated', 'workflow.deactivated']));
  });

  it('refuses to delete while executions are pending or running; --force cancels them', async () => {
    const id = await importOne(ada, flow('Busy'));
    const ex = await t.pool.query(
      `INSERT INTO executions (workflow_id, user_id, status, trigger_type) VALUES ($1, $2, 'running', 'manual'), ($1, $2, 'pending', 'manual'), ($1, $2, 'success', 'manual') RETURNING id`,
      [id, ada.scope.userId],
    );
    await expect(deleteWorkflow(core, ada, id)).rejects.toThrow(/has 2 executions pending or running/);
    expect((await t.pool.query('SELECT count(*)::int AS n FROM workflows WHERE id = $1', [id])).rows[0].n).toBe(1);
    // Workers running one of them hear about it on the executions' cancel channel.
    const heard: string[] = [];
    const { Redis } = await import('ioredis');
    const sub = new Redis(t.redisUrl);
    sub.on('message', (_ch: string, raw: string) => heard.push(JSON.parse(raw).execution_id));
    await sub.subscribe(`${t.redisPrefix}channel:execution:cancel`);
    const r = await deleteWorkflow(core, ada, id, { force: true });
    expect(r.cancelled_executions.sort()).toEqual([ex.rows[0].id, ex.rows[1].id].sort());
    await expect.poll(() => heard).toEqual([ex.rows[0].id]);
    sub.disconnect();
    expect((await t.pool.query('SELECT count(*)::int AS n FROM workflows WHERE id = $1', [id])).rows[0].n).toBe(0);
    expect((await t.pool.query('SELECT count(*)::int AS n FROM workflow_versions WHERE workflow_id = $1', [id])).rows[0].n).toBe(0);
    expect(await auditEvents(id)).toContain('workflow.deleted');
  });
});

describe('tenant isolation', () => {
  it("does not let B see, change or delete A's workflows", async () => {
    const id = await importOne(ada, flow('Private to ada'));
    await expect(showWorkflow(core, bob, id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(showWorkflow(core, bob, 'Private to ada')).rejects.toBeInstanceOf(NotFoundError);
    await expect(updateWorkflow(core, bob, id, flow('hijack'))).rejects.toBeInstanceOf(NotFoundError);
    await expect(deleteWorkflow(core, bob, id, { force: true })).rejects.toBeInstanceOf(NotFoundError);
    await expect(workflowHistory(core, bob, id)).rejects.toBeInstanceOf(NotFoundError);
    expect((await showWorkflow(core, ada, id)).name).toBe('Private to ada');
  });

  it('filters workflow_versions by row-level security', async () => {
    await importOne(ada, flow('RLS check'));
    const c = await t.pool.connect();
    try {
      await c.query('BEGIN');
      await c.query('SET LOCAL ROLE jobsprint_tenant');
      await c.query(`SELECT set_config('jobsprint.user_id', $1, true)`, [bob.scope.userId]);
      const r = await c.query('SELECT count(*)::int AS n FROM workflow_versions');
      expect(r.rows[0].n).toBe(0);
      await c.query(`SELECT set_config('jobsprint.user_id', $1, true)`, [ada.scope.userId]);
      expect((await c.query('SELECT count(*)::int AS n FROM workflow_versions')).rows[0].n).toBeGreaterThan(0);
    } finally {
      await c.query('ROLLBACK');
      c.release();
    }
  });
});
