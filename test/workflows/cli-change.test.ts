import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, json } from '../helpers/cli.js';
import type { LoggedInUser } from '../helpers/users.js';
import { cliFlow, expectOneLineError, workflowsCliSuite } from './helpers.js';

// cleo and dan: the static-data tests' own users (`--all` lists every workflow of its user).
const suite = workflowsCliSuite('ada', 'bob', 'cleo', 'dan');
const { cli, write } = suite;

describe('changes through the binary', () => {
  it('updates with a version check: of two concurrent updates one wins, the other exits 5', async () => {
    const id = await importDoc(suite.ada, 'race.json', cliFlow('Race'));
    const a = write('race-a.json', cliFlow('Race', 'A'));
    const b = write('race-b.json', cliFlow('Race', 'B'));
    const [ra, rb] = await Promise.all([
      cli(suite.ada, ['workflows', 'update', id, '--file', a, '--if-version', '1']),
      cli(suite.ada, ['workflows', 'update', id, '--file', b, '--if-version', '1']),
    ]);
    expect([ra.code, rb.code].sort()).toEqual([0, 5]);
    const loser = ra.code === 5 ? ra : rb;
    expect(loser.stderr).toMatch(/^error: workflow "Race" was changed by someone else: it is at version 2, this change was based on version 1/);
    let r = await cli(suite.ada, ['workflows', 'show', id, '--json']);
    expect(json(r).version).toBe(2);
  });

  it('lists history and rolls back to an earlier version as a new version', async () => {
    const id = await importDoc(suite.ada, 'hist.json', cliFlow('History'));
    expect((await cli(suite.ada, ['workflows', 'update', id, '--file', write('hist2.json', cliFlow('History', 'two'))])).code).toBe(0);
    expect((await cli(suite.ada, ['workflows', 'rename', id, 'History renamed'])).code).toBe(0);
    let r = await cli(suite.ada, ['workflows', 'history', id, '--json']);
    expect(json(r).map((v: any) => [v.version, v.change, v.current])).toEqual([
      [3, 'renamed', true],
      [2, 'updated', false],
      [1, 'created', false],
    ]);
    r = await cli(suite.ada, ['workflows', 'rollback', id, '--to-version', '1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/restored version 1 of "History" as version 4/);
    r = await cli(suite.ada, ['workflows', 'export', id]);
    expect(JSON.parse(r.stdout)).toStrictEqual(cliFlow('History'));
    r = await cli(suite.ada, ['workflows', 'rollback', id, '--to-version', '99']);
    expectOneLineError(r, 3, /version 99 not found/);
  });

  it('shows the node table; activates, tags, and deletes only with --yes', async () => {
    const id = await importDoc(suite.ada, 'show.json', cliFlow('Shown'));
    let r = await cli(suite.ada, ['workflows', 'show', 'Shown']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^0\tStart\tn8n-nodes-base\.manualTrigger\t1\tSet$/m);
    expect(r.stdout).toMatch(/^1\tSet\tn8n-nodes-base\.set\t3\.4\t$/m);
    expect((await cli(suite.ada, ['workflows', 'activate', id])).stdout).toMatch(/activated "Shown"/);
    r = await cli(suite.ada, ['workflows', 'tag', 'add', id, 'alpha', 'beta', '--json']);
    expect(json(r)).toMatchObject({ tags: ['alpha', 'beta'], version: 2, is_active: true });
    r = await cli(suite.ada, ['workflows', 'tag', 'remove', id, 'alpha', '--json']);
    expect(json(r).tags).toEqual(['beta']);

    r = await cli(suite.ada, ['workflows', 'delete', id]);
    expectOneLineError(r, 2, /confirmation needs a terminal to prompt \(pass --yes\)/);
    await suite.t.pool.query(`INSERT INTO executions (workflow_id, user_id, status, trigger_type) VALUES ($1, $2, 'running', 'manual')`, [id, suite.ada.userId]);
    r = await cli(suite.ada, ['workflows', 'delete', id, '--yes']);
    expectOneLineError(r, 5, /has 1 execution pending or running \(wait for them to finish, or pass --force/);
    r = await cli(suite.ada, ['workflows', 'delete', id, '--yes', '--force', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(json(r).cancelled_executions).toHaveLength(1);
    expectOneLineError(await cli(suite.ada, ['workflows', 'show', id]), 3, /not found/);
  });

  it("keeps users apart: B can neither see nor change A's workflows", async () => {
    const id = await importDoc(suite.ada, 'mine.json', cliFlow('Ada only'));
    let r = await cli(suite.bob, ['workflows', 'list', '--json']);
    expect(json(r)).toEqual([]);
    r = await cli(suite.bob, ['workflows', 'list', '--search', 'Ada', '--json']);
    expect(json(r)).toEqual([]);
    for (const args of [
      ['show', id],
      ['export', id],
      ['history', id],
      ['rename', id, 'stolen'],
      ['delete', id, '--yes'],
    ]) {
      expectOneLineError(await cli(suite.bob, ['workflows', ...args]), 3, /not found/);
    }
    expect((await cli(suite.ada, ['workflows', 'show', id, '--json'])).code).toBe(0);
    expectOneLineError(await cli(suite.bob, ['workflows', 'list', '--user', 'ada@example.com']), 4, /only admins/);
  });

  it("lets an admin work on another user's workflows with --user, audited as the admin", async () => {
    // ada is the first user of this database, so an admin.
    let r = await cli(suite.ada, ['workflows', 'import', write('for-bob.json', cliFlow('Made for bob')), '--user', 'bob@example.com', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const id = json(r).imported[0].id;
    r = await cli(suite.bob, ['workflows', 'list', '--json']);
    expect(json(r).map((w: any) => w.name)).toEqual(['Made for bob']);
    expectOneLineError(await cli(suite.ada, ['workflows', 'show', id]), 3, /not found/);
    const audit = await suite.t.pool.query(`SELECT user_id, metadata FROM audit_logs WHERE resource_id = $1 AND event_type = 'workflow.created'`, [id]);
    expect(audit.rows).toEqual([{ user_id: suite.ada.userId, metadata: expect.objectContaining({ tenant_user_id: suite.bob.userId }) }]);
  });

  it('needs a login', async () => {
    expectOneLineError(await runCli(['workflows', 'list'], { env: suite.t.env }), 4, /not logged in/);
  });
});

describe('integrations', () => {
  it('adds, lists and removes the user’s integrations', async () => {
    let r = await cli(suite.ada, ['integrations', 'add', '--app-id', 'google-sheets', '--app-name', 'Google Sheets', '--type', 'n8n', '--capabilities', '{"actions":["append"]}', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(json(r)).toMatchObject({ app_id: 'google-sheets', app_type: 'n8n', capabilities: { actions: ['append'] } });
    expectOneLineError(await cli(suite.ada, ['integrations', 'add', '--app-id', 'google-sheets', '--app-name', 'Again', '--type', 'n8n']), 5, /already exists/);
    expectOneLineError(await cli(suite.ada, ['integrations', 'add', '--app-id', 'x', '--app-name', 'X', '--type', 'ifttt']), 2, /unknown app type "ifttt"/);
    r = await cli(suite.bob, ['integrations', 'list', '--json']);
    expect(json(r)).toEqual([]);
    r = await cli(suite.ada, ['integrations', 'list', '--json']);
    expect(json(r).map((i: any) => i.app_id)).toEqual(['google-sheets']);
    expectOneLineError(await cli(suite.bob, ['integrations', 'remove', 'google-sheets', '--yes']), 3, /not found/);
    r = await cli(suite.ada, ['integrations', 'remove', 'google-sheets', '--yes']);
    expect(r.code, r.stderr).toBe(0);
    const audit = await suite.t.pool.query(`SELECT event_type FROM audit_logs WHERE resource_type = 'integration' ORDER BY created_at`);
    expect(audit.rows.map((a) => a.event_type)).toEqual(['integration.created', 'integration.deleted']);
  });

  it('lists the node types the engine supports in the catalog', async () => {
    const r = await runCli(['integrations', 'catalog', '--json'], { env: suite.t.env });
    expect(r.code, r.stderr).toBe(0);
    const entries = json(r);
    expect(entries.map((e: any) => e.node_type)).toEqual(expect.arrayContaining(['n8n-nodes-base.set', 'n8n-nodes-base.if', 'n8n-nodes-base.manualTrigger']));
    expect(entries.find((e: any) => e.node_type === 'n8n-nodes-base.httpRequest').credential_types).toContain('httpHeaderAuth');
    expect(entries.find((e: any) => e.node_type === 'n8n-nodes-base.manualTrigger')).toMatchObject({ trigger: true, credential_types: [] });
  });
});

async function importDoc(user: LoggedInUser, file: string, doc: unknown): Promise<string> {
  const r = await cli(user, ['workflows', 'import', write(file, doc), '--json']);
  expect(r.code, r.stderr).toBe(0);
  return json(r).imported[0].id;
}

/** What the daemon writes after a production run that changed $getWorkflowStaticData(). */
async function keep(workflowId: string, data: unknown): Promise<void> {
  await suite.t.pool.query(
    `INSERT INTO workflow_static_data (workflow_id, data) VALUES ($1, $2::jsonb)
     ON CONFLICT (workflow_id) DO UPDATE SET data = EXCLUDED.data, updated_at = now()`,
    [workflowId, JSON.stringify(data)],
  );
}

async function exportOne(user: LoggedInUser, ref: string): Promise<Record<string, unknown>> {
  const r = await cli(user, ['workflows', 'export', ref]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

describe('workflows export: static data', () => {
  const polling = { 'node:Poll': { lastId: 42, cursor: 'abc' }, global: { token: 't' } };

  it('a never-run workflow exports deep-equal to its import (no staticData key added)', async () => {
    const doc = cliFlow('Never run');
    await importDoc(suite.cleo, 'never.json', doc);
    const exported = await exportOne(suite.cleo, 'Never run');
    // Strict: a `staticData` key, even undefined, would fail this.
    expect(exported).toStrictEqual(doc);

    // n8n's own exports write `staticData: null`; that survives as imported.
    const withNull = { ...cliFlow('Null static'), staticData: null };
    await importDoc(suite.cleo, 'null.json', withNull);
    expect(await exportOne(suite.cleo, 'Null static')).toStrictEqual(withNull);
  });

  it('kept static data is exported under staticData (single workflow, to stdout and to a file)', async () => {
    const doc = cliFlow('Poller');
    const id = await importDoc(suite.cleo, 'poller.json', doc);
    await keep(id, polling);
    expect(await exportOne(suite.cleo, 'Poller')).toStrictEqual({ ...doc, staticData: polling });

    const out = join(suite.dir, 'poller-out.json');
    const r = await cli(suite.cleo, ['workflows', 'export', id, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toStrictEqual({ ...doc, staticData: polling });

    // The kept data replaces what the imported document carried: it is what the next run starts from.
    const stale = { ...cliFlow('Imported with data'), staticData: { global: { token: 'old' } } };
    const staleId = await importDoc(suite.cleo, 'stale.json', stale);
    expect(await exportOne(suite.cleo, 'Imported with data')).toStrictEqual(stale);
    await keep(staleId, { global: { token: 'new' } });
    expect(await exportOne(suite.cleo, 'Imported with data')).toStrictEqual({ ...stale, staticData: { global: { token: 'new' } } });
  });

  it('--all exports each workflow with its own static data, and only to its owner', async () => {
    const bobDoc = cliFlow('Bob flow');
    const bobId = await importDoc(suite.dan, 'bob.json', bobDoc);
    await keep(bobId, { global: { secret: 'bob only' } });

    const out = join(suite.t.home, 'export-all');
    const r = await cli(suite.cleo, ['workflows', 'export', '--all', '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const byName = new Map<string, Record<string, unknown>>();
    for (const w of json(r)) byName.set(w.name, JSON.parse(readFileSync(w.file, 'utf8')));
    expect([...byName.keys()].sort()).toEqual(['Imported with data', 'Never run', 'Null static', 'Poller']);
    expect(byName.get('Poller')).toStrictEqual({ ...cliFlow('Poller'), staticData: polling });
    expect(byName.get('Never run')).toStrictEqual(cliFlow('Never run'));
    expect(byName.get('Null static')).toStrictEqual({ ...cliFlow('Null static'), staticData: null });
    expect(byName.get('Imported with data')?.staticData).toEqual({ global: { token: 'new' } });

    expect(await exportOne(suite.dan, 'Bob flow')).toStrictEqual({ ...bobDoc, staticData: { global: { secret: 'bob only' } } });
    const denied = await cli(suite.cleo, ['workflows', 'export', bobId]);
    expectOneLineError(denied, 3, /not found/);
    expect(denied.stdout).toBe('');
  });
});
