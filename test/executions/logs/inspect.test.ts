import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestEnv, type TestEnv } from '../../helpers/env.js';
import { json, runCli } from '../../helpers/cli.js';
import { createUserAndLogin, type LoggedInUser } from '../../helpers/users.js';
import { insertExecution, insertNodeRows, workerCore } from './fixtures.js';
import { insertWorkflow } from '../pipeline/helpers.js';
import { listExecutions, parseTimeFlag, type ListFilters } from '../../../src/core/executions/inspect.js';
import { UsageError } from '../../../src/core/errors.js';
import type { Db } from '../../../src/core/db/types.js';
import type { Core } from '../../../src/core/context.js';

let t: TestEnv;
let alice: LoggedInUser;
let bob: LoggedInUser;
let core: Core;
let wfA: string;
let wfB: string;
const ids_: Record<string, string> = {};
let db: Db;
const list = (f: ListFilters) => db.tenantTransaction({ userId: alice.userId, role: 'user' }, (tx) => listExecutions(tx, f));
const base = Date.parse('2026-11-20T12:00:00Z');
const at = (minutes: number) => new Date(base + minutes * 60_000);

beforeAll(async () => {
  t = await createTestEnv({ amqp: false, redis: false });
  alice = await createUserAndLogin(t, { email: 'alice@example.com', username: 'alice' });
  bob = await createUserAndLogin(t, { email: 'bob@example.com', username: 'bob' });
  core = workerCore(t);
  db = await core.db();
  wfA = await insertWorkflow(t.pool, alice.userId, 'Orders');
  wfB = await insertWorkflow(t.pool, alice.userId, 'Invoices');
  // 25 executions for alice, one minute apart; three share one started_at to test the keyset tie-break.
  for (let i = 0; i < 25; i++) {
    const status = i % 5 === 0 ? 'failed' : 'success';
    ids_[`a${i}`] = await insertExecution(t.pool, {
      workflowId: i % 2 ? wfB : wfA,
      userId: alice.userId,
      status,
      trigger: i % 3 === 0 ? 'api' : 'manual',
      startedAt: i >= 22 ? at(22) : at(i),
      completedAt: at(i + 0.5),
      durationMs: 30_000,
      error: status === 'failed' ? 'boom' : null,
      metadata: { attempt: 2, worker_id: 'w-1', heartbeat_at: at(i).toISOString() },
    });
  }
  const bobWf = await insertWorkflow(t.pool, bob.userId, 'Bob flow');
  ids_.bob = await insertExecution(t.pool, { workflowId: bobWf, userId: bob.userId, status: 'success', startedAt: at(3) });
  await insertNodeRows(t.pool, ids_.a1!, [
    { name: 'Trigger', itemsIn: 0, itemsOut: [1] },
    { name: 'If', itemsIn: 1, itemsOut: [1, 0], durationMs: 4 },
    { name: 'Set', itemsIn: 1, itemsOut: [1], status: 'failed', error: 'bad expression' },
  ]);
});
afterAll(async () => {
  await core?.close();
  await t?.cleanup();
});

describe('executions list', () => {
  it('lists only your own executions, newest first, as a JSON array', async () => {
    const r = await runCli(['executions', 'list', '--limit', '100', '--json'], { env: alice.env });
    expect(r.code, r.stderr).toBe(0);
    const rows = json<any[]>(r);
    expect(rows).toHaveLength(25);
    expect(rows.map((e) => e.id)).not.toContain(ids_.bob);
    const started = rows.map((e) => Date.parse(e.started_at));
    expect([...started].sort((a, b) => b - a)).toEqual(started);
    expect(rows[0]).toMatchObject({ user_id: alice.userId, attempt: 2, workflow_name: expect.any(String), cursor: expect.any(String) });
    expect(rows[0]).not.toHaveProperty('started_us');
  });

  it('pages with --cursor without gaps or repeats, across equal start times', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const p = await list({ limit: 4, cursor });
      seen.push(...p.items.map((e) => e.id));
      if (!p.next_cursor) break;
      expect(p.next_cursor).toBe(p.items.at(-1)!.cursor);
      cursor = p.next_cursor;
    }
    expect(seen).toHaveLength(25);
    expect(new Set(seen).size).toBe(25);
    // The CLI: a JSON array whose rows carry their cursor, and the next one on stderr.
    const r = await runCli(['executions', 'list', '--limit', '24', '--json'], { env: alice.env });
    expect(r.code, r.stderr).toBe(0);
    const rows = json<any[]>(r);
    expect(r.stderr.trim()).toBe(`more: --cursor ${rows.at(-1).cursor}`);
    const last = await runCli(['executions', 'list', '--limit', '24', '--json', '--cursor', rows.at(-1).cursor], { env: alice.env });
    expect(json<any[]>(last).map((e) => e.id)).toEqual([seen.at(-1)]);
    expect(last.stderr).toBe('');
  });

  it('filters by workflow (name or id), status, trigger and time', async () => {
    const ids = async (f: ListFilters) => (await list({ limit: 100, ...f })).items;
    expect((await ids({ workflow: 'Orders' })).every((e) => e.workflow_id === wfA)).toBe(true);
    expect(await ids({ workflow: 'Orders' })).toHaveLength(13);
    expect(await ids({ workflow: wfB })).toHaveLength(12);
    const failed = await ids({ status: 'failed' });
    expect(failed.map((e) => e.status)).toEqual(Array(5).fill('failed'));
    expect(failed.every((e) => e.error_message === 'boom')).toBe(true);
    expect(await ids({ trigger: 'api' })).toHaveLength(9);
    expect(await ids({ since: at(10), until: at(15) })).toHaveLength(5);
    expect(await ids({ since: parseTimeFlag('--since', '1h') })).toHaveLength(0);
    expect(await ids({ status: 'failed', workflow: 'Orders' })).toHaveLength(3);
    // The same through the CLI, flags to filters.
    const r = await runCli(
      ['executions', 'list', '--json', '--workflow', 'Orders', '--status', 'failed', '--trigger', 'api', '--since', at(0).toISOString(), '--until', at(20).toISOString()],
      { env: alice.env },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(json<any[]>(r).map((e) => e.id)).toEqual([ids_.a0]);
  });

  it('rejects bad filters with exit 2 and an unknown workflow with exit 3', async () => {
    for (const f of [{ status: 'done' }, { trigger: 'cron' }, { cursor: 'garbage' }, { limit: 0 }] as ListFilters[]) {
      await expect(list(f), JSON.stringify(f)).rejects.toBeInstanceOf(UsageError);
    }
    expect(() => parseTimeFlag('--since', 'yesterday')).toThrow(UsageError);
    let r = await runCli(['executions', 'list', '--since', 'yesterday'], { env: alice.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: invalid --since "yesterday" \(use an ISO time/);
    expect(r.stdout).toBe('');
    r = await runCli(['executions', 'list', '--workflow', 'Bob flow'], { env: alice.env });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/workflow "Bob flow" not found/);
  });

  it('needs a session (exit 4)', async () => {
    const r = await runCli(['executions', 'list'], { env: { ...t.env, JOBSPRINT_TOKEN: undefined } });
    expect(r.code).toBe(4);
  });

  it('prints tab-separated rows off a terminal', async () => {
    const r = await runCli(['executions', 'list', '--limit', '1', '--workflow', 'Invoices'], { env: alice.env });
    expect(r.code).toBe(0);
    const cols = r.stdout.trim().split('\t');
    expect(cols[1]).toBe('Invoices');
    expect(cols[5]).toBe('30000 ms');
  });
});

describe('executions show', () => {
  it('shows status, timings, attempts and the per-node table', async () => {
    let r = await runCli(['executions', 'show', ids_.a1!, '--json'], { env: alice.env });
    expect(r.code, r.stderr).toBe(0);
    const d = json(r);
    expect(d).toMatchObject({
      id: ids_.a1,
      status: 'success',
      workflow_name: 'Invoices',
      duration_ms: 30000,
      attempt: 2,
      execution_metadata: { worker_id: 'w-1' },
    });
    expect(d.nodes.map((n: any) => [n.node_name, n.status, n.items_in, n.items_out])).toEqual([
      ['Trigger', 'success', 0, [1]],
      ['If', 'success', 1, [1, 0]],
      ['Set', 'failed', 1, [1]],
    ]);
    expect(d.nodes[2].error_message).toBe('bad expression');

    r = await runCli(['executions', 'show', ids_.a1!], { env: alice.env });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^status\tsuccess$/m);
    expect(r.stdout).toMatch(/^attempt\t2$/m);
    expect(r.stdout).toMatch(/^worker\tw-1$/m);
    expect(r.stdout).toMatch(/^If\tn8n-nodes-base\.set\tsuccess\t1\t1,0\t4 ms\t0\t$/m);
  });

  it("reports another tenant's execution as not found (exit 3); an admin sees it with --user", async () => {
    let r = await runCli(['executions', 'show', ids_.bob!], { env: alice.env });
    // alice is the first user, hence admin: without --user she still sees only her own.
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^error: execution ".*" not found \(see `jobsprint executions list`\)/);
    r = await runCli(['executions', 'show', ids_.a1!, '--json'], { env: bob.env });
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    r = await runCli(['executions', 'list', '--json'], { env: bob.env });
    expect(json<any[]>(r).map((e) => e.id)).toEqual([ids_.bob]);
    r = await runCli(['executions', 'show', ids_.bob!, '--user', 'bob', '--json'], { env: alice.env });
    expect(r.code, r.stderr).toBe(0);
    expect(json(r).id).toBe(ids_.bob);
    r = await runCli(['executions', 'show', ids_.a1!, '--user', 'alice'], { env: bob.env });
    expect(r.code).toBe(4);
  });
});

describe('the workflow reference of executions list and logs', () => {
  // An imported n8n document keeps its n8n id; every workflows command accepts it as a reference.
  const n8nDoc = (name: string) => ({
    id: 'n8nOrdersX1',
    name,
    nodes: [{ id: 'n1', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} }],
    connections: {},
  });
  let carol: LoggedInUser;
  let importFile: (name: string) => Promise<string>;
  beforeAll(async () => {
    carol = await createUserAndLogin(t, { email: 'carol@example.com', username: 'carol' });
    importFile = async (name) => {
      const f = join(t.home, `${name.replace(/\W/g, '_')}.json`);
      writeFileSync(f, JSON.stringify(n8nDoc(name)));
      const r = await runCli(['workflows', 'import', f, '--json'], { env: carol.env });
      expect(r.code, r.stderr).toBe(0);
      return json(r).imported[0].id as string;
    };
  });

  it('lists the executions of an imported workflow by its n8n id, as `workflows show` finds it', async () => {
    const imported = await importFile('Imported orders');
    const other = await insertWorkflow(t.pool, carol.userId, 'Carol other');
    const mine = [
      await insertExecution(t.pool, { workflowId: imported, userId: carol.userId, status: 'success', startedAt: at(1) }),
      await insertExecution(t.pool, { workflowId: imported, userId: carol.userId, status: 'failed', startedAt: at(2), error: 'boom' }),
    ];
    await insertExecution(t.pool, { workflowId: other, userId: carol.userId, status: 'success', startedAt: at(3) });

    let r = await runCli(['workflows', 'show', 'n8nOrdersX1', '--json'], { env: carol.env });
    expect(r.code, r.stderr).toBe(0);
    expect(json(r).id).toBe(imported);
    r = await runCli(['executions', 'list', '--workflow', 'n8nOrdersX1', '--json'], { env: carol.env });
    expect(r.code, r.stderr).toBe(0);
    expect(json<any[]>(r).map((e) => e.id)).toEqual([...mine].reverse());
    // The core function, in carol's tenant transaction.
    const page = await db.tenantTransaction({ userId: carol.userId, role: 'user' }, (tx) => listExecutions(tx, { workflow: 'n8nOrdersX1' }));
    expect(page.items.map((e) => e.id)).toEqual([...mine].reverse());
    // An admin acting for carol resolves the reference among carol's workflows.
    r = await runCli(['executions', 'list', '--user', 'carol', '--workflow', 'n8nOrdersX1', '--json'], { env: alice.env });
    expect(r.code, r.stderr).toBe(0);
    expect(json<any[]>(r)).toHaveLength(2);
    // Another tenant's n8n id is not found, as for `workflows show`.
    r = await runCli(['executions', 'list', '--workflow', 'n8nOrdersX1'], { env: bob.env });
    expect(r.code).toBe(3);
  });

  it('fails on unknown and ambiguous references exactly as the workflows commands do', async () => {
    const same = async (ref: string, code: number, pattern: RegExp) => {
      const show = await runCli(['workflows', 'show', ref], { env: carol.env });
      const list = await runCli(['executions', 'list', '--workflow', ref], { env: carol.env });
      // logs resolves the reference before it needs Redis (this file has none).
      const logs = await runCli(['logs', '--follow', '--workflow', ref], { env: carol.env });
      for (const res of [show, list, logs]) {
        expect(res.code, res.stderr).toBe(code);
        expect(res.stderr).toMatch(pattern);
        expect(res.stderr).toBe(show.stderr);
        expect(res.stdout).toBe('');
      }
    };
    await same('no such workflow', 3, /^error: workflow "no such workflow" not found \(list your workflows with `jobsprint workflows list`\)\n$/);
    // A second import of the same document: two workflows now carry that n8n id.
    await importFile('Imported orders again');
    await same('n8nOrdersX1', 2, /^error: more than one workflow matches "n8nOrdersX1" \(use the workflow id/);
  });
});
