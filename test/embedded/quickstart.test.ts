import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, expectOneLineError, json, runCli } from '../helpers/cli.js';
import { createEmbeddedEnv, type EmbeddedEnv } from './helpers.js';

/**
 * A newcomer's machine: a temporary HOME and no Jobsprint environment variables at all, so
 * every command runs on the embedded database, the in-process queue and the in-process bus.
 */
let e: EmbeddedEnv;
const PASSWORD = 'correct horse battery staple';
const EMAIL = 'ada@example.com';
const cli = (args: string[], input?: string) => runCli(args, { env: e.env, input, timeoutMs: 200_000 });

beforeAll(() => {
  e = createEmbeddedEnv();
});
afterAll(() => e?.cleanup());

describe('quick start on a fresh machine', () => {
  it('doctor reports the embedded backends before anything exists, and creates nothing', async () => {
    const r = await cli(['doctor', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const d = json(r);
    expect(d.ok).toBe(true);
    expect(d.database).toMatchObject({ backend: 'embedded', location: join(e.home, '.local/share/jobsprint/pgdata'), reachable: true });
    expect(d.redis.backend).toBe('in-process');
    expect(d.rabbitmq.backend).toBe('in-process');
    expect(d.login.present).toBe(false);
    expect(existsSync(join(e.home, '.local/share/jobsprint/pgdata/PG_VERSION'))).toBe(false);
  });

  it('quickstart creates the database and admin, imports the examples, runs one and prints its per-node log', { timeout: 240_000 }, async () => {
    const r = await cli(['quickstart', '--email', EMAIL, '--password-stdin'], PASSWORD);
    console.log(`[measure] quickstart, first run (fresh HOME): ${r.ms} ms`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`created admin ${EMAIL}`);
    expect(r.stderr).toMatch(/examples: 3 imported, 0 already there/);
    // The per-node log of "Example: Orders from a local API": HTTP → Code → If → both branches.
    const lines = r.stdout.split('\n');
    const node = (name: string) => lines.find((l) => l.split('\t')[1] === name && l.split('\t')[2] === 'success');
    expect(node('Fetch orders')).toBeDefined();
    expect(node('One item per order')).toMatch(/items 1→4/);
    expect(node('Large order?')).toMatch(/items 4→2,2/);
    expect(node('Needs review')).toBeDefined();
    expect(node('Auto-approve')).toBeDefined();
    expect(lines.find((l) => l.split('\t')[1] === 'execution' && l.split('\t')[2] === 'success')).toBeDefined();
    expect(r.stdout).toContain('What next:');
    expect(r.stdout).toContain('jobsprint workflows list');
    expect(r.stdout).not.toContain(PASSWORD);
    expect(r.stderr).not.toContain(PASSWORD);
  });

  it('a second quickstart succeeds and duplicates nothing', async () => {
    const tokens = () => JSON.parse(readFileSync(join(e.home, '.config/jobsprint/tokens.json'), 'utf8')).default as string;
    const first = tokens();
    const r = await cli(['quickstart', '--email', EMAIL, '--password-stdin', '--json'], PASSWORD);
    console.log(`[measure] quickstart, second run: ${r.ms} ms`);
    expect(r.code, r.stderr).toBe(0);
    const doc = json(r);
    expect(doc.user).toMatchObject({ email: EMAIL, role: 'admin', created: false });
    expect(doc.imported).toEqual([]);
    expect(doc.already_imported).toHaveLength(3);
    expect(doc.execution.status).toBe('success');
    expect(doc.events.some((ev: any) => ev.type === 'node.finished' && ev.node_name === 'Large order?')).toBe(true);
    const list = await cli(['workflows', 'list', '--json']);
    expect(list.code, list.stderr).toBe(0);
    const names = json<any[]>(list).map((w) => w.name).sort();
    expect(names).toEqual(['Example: Greeting by time of day (If)', 'Example: Orders from a local API', 'Example: Process in batches (loop)']);
    const users = await cli(['users', 'list', '--json']);
    expect(users.code, users.stderr).toBe(0);
    expect(json<any[]>(users).map((u) => u.email)).toEqual([EMAIL]);
    // Like `login`, it replaced the stored session: the first run's token no longer works.
    expect(tokens()).not.toBe(first);
    const old = await runCli(['whoami'], { env: { ...e.env, JOBSPRINT_TOKEN: first }, timeoutMs: 200_000 });
    expectOneLineError(old, 4, /^error: the session has ended: you logged out/);
  });

  it('refuses a wrong password on a repeat run (exit 4) and changes nothing', async () => {
    const r = await cli(['quickstart', '--email', EMAIL, '--password-stdin'], 'not the password at all');
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^error: invalid email or password/m);
  });

  it('asks for the flags it needs when there is no terminal (exit 2)', async () => {
    const r = await cli(['quickstart']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--email');
  });
});

describe('the main commands on the embedded backends', () => {
  let executionId = '';

  it('run --follow executes at once in this process and streams the loop\'s log', async () => {
    const r = await cli(['run', 'Example: Process in batches (loop)', '--follow']);
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout.trim().split('\n').map((l) => l.split('\t'));
    expect(rows[0]).toEqual([expect.any(String), 'execution', 'running', 'attempt 1']);
    // Four passes through the loop for ten items in batches of three.
    expect(rows.filter((c) => c[1] === 'Square' && c[2] === 'success')).toHaveLength(4);
    expect(rows.find((c) => c[1] === 'Total' && c[2] === 'success')).toBeDefined();
    expect(rows.at(-1)!.slice(1, 3)).toEqual(['execution', 'success']);
  });

  it('run without --follow has finished by the time the command returns', async () => {
    const r = await cli(['run', 'Example: Greeting by time of day (If)', '--input', '{"hour": 20}', '--json']);
    expect(r.code, r.stderr).toBe(0);
    executionId = json(r).id;
    const show = await cli(['executions', 'show', executionId, '--json']);
    expect(show.code, show.stderr).toBe(0);
    const doc = json(show);
    expect(doc.status).toBe('success');
    expect(JSON.stringify(doc)).toContain('Good evening');
  });

  it('executions show prints the per-node record', async () => {
    const r = await cli(['executions', 'show', executionId]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Good evening');
    expect(r.stdout).toContain('success');
  });

  it('doctor reports a migrated database and a valid login', async () => {
    const r = await cli(['doctor', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const d = json(r);
    expect(d.database.reachable).toBe(true);
    expect(d.database.version).toMatch(/^PostgreSQL \d+.* \(PGlite\)$/);
    expect(d.migrations.pending).toBe(0);
    expect(d.login).toMatchObject({ present: true, valid: true, email: EMAIL, role: 'admin' });
  });

  it('db status, rollback and migrate work on the embedded database', async () => {
    const before = json<any[]>(await cli(['db', 'status', '--json']));
    expect(before.every((m) => m.applied)).toBe(true);
    const rb = await cli(['db', 'rollback', '--json']);
    expect(rb.code, rb.stderr).toBe(0);
    expect(json(rb).reverted.map((m: any) => m.name)).toEqual([before.at(-1).name]);
    const mid = json<any[]>(await cli(['db', 'status', '--json']));
    expect(mid.filter((m) => !m.applied).map((m) => m.name)).toEqual([before.at(-1).name]);
    const up = await cli(['db', 'migrate', '--json']);
    expect(up.code, up.stderr).toBe(0);
    expect(json(up).applied.map((m: any) => m.name)).toEqual([before.at(-1).name]);
  });
});

describe('one process at a time owns the embedded database', () => {
  let holder: ChildProcess | undefined;
  afterAll(() => {
    holder?.kill('SIGKILL');
  });

  /** `run --follow` of a workflow that waits: a second process that holds the database. */
  function startHolder(): Promise<ChildProcess> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, 'run', 'Slow', '--follow'], { env: e.env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout!.setEncoding('utf8').on('data', (d) => {
        out += d;
        if (/\tWait\trunning/.test(out)) resolve(child);
      });
      child.stderr!.setEncoding('utf8').on('data', (d) => (err += d));
      child.on('exit', (code) => reject(new Error(`holder exited ${code}: ${out} ${err}`)));
    });
  }

  it('a second process gets exit 6 naming the holder and how to use a server instead', async () => {
    const slow = {
      name: 'Slow',
      nodes: [
        { id: '1', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
        { id: '2', name: 'Wait', type: 'n8n-nodes-base.wait', typeVersion: 1.1, position: [200, 0], parameters: { resume: 'timeInterval', amount: 600, unit: 'seconds' } },
      ],
      connections: { Start: { main: [[{ node: 'Wait', type: 'main', index: 0 }]] } },
    };
    writeFileSync(join(e.home, 'slow.json'), JSON.stringify(slow));
    expect((await cli(['workflows', 'import', join(e.home, 'slow.json')])).code).toBe(0);
    holder = await startHolder();
    const r = await cli(['workflows', 'list']);
    expectOneLineError(r, 6, new RegExp(`^error: the embedded database is in use by another process \\(pid ${holder.pid}: jobsprint run Slow`));
    expect(r.stderr).toContain('JOBSPRINT_DATABASE_URL');
    const lock = JSON.parse(readFileSync(join(e.home, '.local/share/jobsprint/pgdata.lock'), 'utf8'));
    expect(lock.pid).toBe(holder.pid);
    const d = await cli(['doctor', '--json']);
    expect(d.code).toBe(6);
    expect(json(d).database.detail).toContain(`pid ${holder.pid}`);
  });

  it('a holder that was killed does not lock anyone out', async () => {
    holder!.kill('SIGKILL');
    await new Promise((r) => holder!.once('exit', r));
    holder = undefined;
    const r = await cli(['workflows', 'list', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(json<any[]>(r)).toHaveLength(4);
  });
});
