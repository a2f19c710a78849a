/** `workflows export` carries the static data production runs kept (n8n's `staticData`). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestEnv, type TestEnv } from '../helpers/env.js';
import { runCli, json } from '../helpers/cli.js';
import { createUserAndLogin, type LoggedInUser } from '../helpers/users.js';
import { cliFlow, writeDoc } from './helpers.js';

let t: TestEnv;
let ada: LoggedInUser;
let bob: LoggedInUser;
let dir: string;

beforeAll(async () => {
  t = await createTestEnv({ amqp: false });
  ada = await createUserAndLogin(t, { email: 'ada@example.com', username: 'ada' });
  bob = await createUserAndLogin(t, { email: 'bob@example.com', username: 'bob' });
  dir = join(t.home, 'files');
  mkdirSync(dir);
});
afterAll(async () => {
  await t?.cleanup();
});

const cli = (user: LoggedInUser, args: string[]) => runCli(args, { env: user.env });

async function importDoc(user: LoggedInUser, file: string, doc: unknown): Promise<string> {
  const r = await cli(user, ['workflows', 'import', writeDoc(dir, file, doc), '--json']);
  expect(r.code, r.stderr).toBe(0);
  return json(r).imported[0].id;
}

/** What the daemon writes after a production run that changed $getWorkflowStaticData(). */
async function keep(workflowId: string, data: unknown): Promise<void> {
  await t.pool.query(
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
    await importDoc(ada, 'never.json', doc);
    const exported = await exportOne(ada, 'Never run');
    expect(exported).toStrictEqual(doc);
    expect('staticData' in exported).toBe(false);

    // n8n's own exports write `staticData: null`; that survives as imported.
    const withNull = { ...cliFlow('Null static'), staticData: null };
    await importDoc(ada, 'null.json', withNull);
    expect(await exportOne(ada, 'Null static')).toStrictEqual(withNull);
  });

  it('kept static data is exported under staticData (single workflow, to stdout and to a file)', async () => {
    const doc = cliFlow('Poller');
    const id = await importDoc(ada, 'poller.json', doc);
    await keep(id, polling);
    expect(await exportOne(ada, 'Poller')).toStrictEqual({ ...doc, staticData: polling });

    const out = join(dir, 'poller-out.json');
    const r = await cli(ada, ['workflows', 'export', id, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toStrictEqual({ ...doc, staticData: polling });

    // The kept data replaces what the imported document carried: it is what the next run starts from.
    const stale = { ...cliFlow('Imported with data'), staticData: { global: { token: 'old' } } };
    const staleId = await importDoc(ada, 'stale.json', stale);
    expect(await exportOne(ada, 'Imported with data')).toStrictEqual(stale);
    await keep(staleId, { global: { token: 'new' } });
    expect(await exportOne(ada, 'Imported with data')).toStrictEqual({ ...stale, staticData: { global: { token: 'new' } } });
  });

  it('--all exports each workflow with its own static data, and only to its owner', async () => {
    const bobDoc = cliFlow('Bob flow');
    const bobId = await importDoc(bob, 'bob.json', bobDoc);
    await keep(bobId, { global: { secret: 'bob only' } });

    const out = join(t.home, 'export-all');
    const r = await cli(ada, ['workflows', 'export', '--all', '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const byName = new Map<string, Record<string, unknown>>();
    for (const w of json(r)) byName.set(w.name, JSON.parse(readFileSync(w.file, 'utf8')));
    expect([...byName.keys()].sort()).toEqual(['Imported with data', 'Never run', 'Null static', 'Poller']);
    expect(byName.get('Poller')).toStrictEqual({ ...cliFlow('Poller'), staticData: polling });
    expect(byName.get('Never run')).toStrictEqual(cliFlow('Never run'));
    expect(byName.get('Null static')).toStrictEqual({ ...cliFlow('Null static'), staticData: null });
    expect(byName.get('Imported with data')?.staticData).toEqual({ global: { token: 'new' } });

    expect(await exportOne(bob, 'Bob flow')).toStrictEqual({ ...bobDoc, staticData: { global: { secret: 'bob only' } } });
    const denied = await cli(ada, ['workflows', 'export', bobId]);
    expect(denied.code).not.toBe(0);
    expect(denied.stdout).toBe('');
  });
});
