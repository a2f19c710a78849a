import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestEnv, homeEnv, type TestEnv } from '../helpers/env.js';
import { BIN, runCli, type CliResult } from '../helpers/cli.js';
import { createUserAndLogin, DEFAULT_TEST_PASSWORD, type LoggedInUser } from '../helpers/users.js';

/**
 * Scripts rely on `--json`: every command prints exactly one JSON document (JSON Lines for
 * streams). Each leaf command of the program is run here once; a command added without a case
 * fails the coverage check at the end.
 */
let t: TestEnv;
let admin: LoggedInUser;
let env: NodeJS.ProcessEnv;
const covered = new Set<string>();
const wfFile = () => join(t.home, 'wf.json');

function parsesAsOneDocument(r: CliResult, what: string): any {
  expect(r.code, `${what}: exit ${r.code}\n${r.stderr}`).toBe(0);
  let doc: unknown;
  expect(() => (doc = JSON.parse(r.stdout)), `${what}: stdout is not one JSON document:\n${r.stdout}`).not.toThrow();
  return doc;
}

async function j(cmd: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<any> {
  covered.add(cmd);
  const r = await runCli([...cmd.split(' '), ...args, '--json'], { env: opts.env ?? env, input: opts.input, timeoutMs: opts.timeoutMs });
  return parsesAsOneDocument(r, cmd);
}

beforeAll(async () => {
  t = await createTestEnv();
  admin = await createUserAndLogin(t, { email: 'json-admin@example.com', username: 'jsonadmin', role: 'admin' });
  env = { ...admin.env, JOBSPRINT_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`, JOBSPRINT_EXECUTION_TIMEOUT_S: '30' };
  writeFileSync(
    wfFile(),
    JSON.stringify({
      name: 'JSON check',
      nodes: [
        { id: 'a', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
        {
          id: 'b',
          name: 'Set',
          type: 'n8n-nodes-base.set',
          typeVersion: 3.4,
          position: [200, 0],
          parameters: { assignments: { assignments: [{ id: 'x', name: 'ok', value: true, type: 'boolean' }] }, options: {} },
        },
      ],
      connections: { Start: { main: [[{ node: 'Set', type: 'main', index: 0 }]] } },
      settings: { executionOrder: 'v1' },
    }),
  );
});

afterAll(async () => {
  await t?.cleanup();
});

describe('--json prints one parseable document for every command', () => {
  it('config', async () => {
    const cfgEnv = { ...env, XDG_CONFIG_HOME: join(t.home, 'jsoncfg') };
    expect(Array.isArray(await j('config list', [], { env: cfgEnv }))).toBe(true);
    await j('config set', ['log_level', 'debug'], { env: cfgEnv });
    expect((await j('config get', ['log_level'], { env: cfgEnv })).value).toBe('debug');
    await j('config unset', ['log_level'], { env: cfgEnv });
    await j('config use', ['default'], { env: cfgEnv });
  });

  it('db', async () => {
    const status = await j('db status', []);
    expect(status.every((m: any) => m.applied)).toBe(true);
    expect((await j('db migrate', [])).applied).toEqual([]);
    const last = status[status.length - 1].version;
    expect((await j('db rollback', ['--to', last, '--yes'])).reverted).toEqual([]);
  });

  it('sessions and users', async () => {
    expect((await j('whoami', [])).email).toBe('json-admin@example.com');
    const tokenEnv = { ...t.env, XDG_CONFIG_HOME: join(t.home, 'jsonlogin') };
    await j('login', ['--email', 'json-admin@example.com', '--password-stdin'], { env: tokenEnv, input: DEFAULT_TEST_PASSWORD });
    await j('logout', [], { env: tokenEnv });
    const u = await j('users create', ['--email', 'json-user@example.com', '--username', 'jsonuser', '--password-stdin'], { input: DEFAULT_TEST_PASSWORD });
    expect(u.id).toBeTruthy();
    expect(JSON.stringify(u)).not.toContain('password');
    expect((await j('users list', [])).length).toBeGreaterThanOrEqual(2);
    await j('users show', ['jsonuser']);
    await j('users update', ['jsonuser', '--full-name', 'Json User']);
    await j('users disable', ['jsonuser']);
    await j('users enable', ['jsonuser']);
    await j('users set-password', ['jsonuser', '--password-stdin'], { input: 'another long password' });
    await j('users delete', ['jsonuser', '--yes']);
    expect((await j('audit list', ['--limit', '5'])).length).toBeGreaterThan(0);
  });

  it('workflows and integrations', async () => {
    await j('workflows validate', [wfFile()]);
    const imported = await j('workflows import', [wfFile()]);
    const id = (Array.isArray(imported) ? imported[0] : (imported.imported?.[0] ?? imported)).id;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect((await j('workflows export', [id])).nodes).toHaveLength(2);
    expect((await j('workflows list', [])).length).toBe(1);
    await j('workflows show', [id]);
    await j('workflows update', [id, '--file', wfFile()]);
    await j('workflows activate', [id]);
    await j('workflows deactivate', [id]);
    await j('workflows rename', [id, 'JSON check renamed']);
    await j('workflows tag add', [id, 'json']);
    await j('workflows tag remove', [id, 'json']);
    expect((await j('workflows history', [id])).length).toBeGreaterThan(1);
    await j('workflows rollback', [id, '--to-version', '1']);
    await j('integrations add', ['--app-id', 'json-app', '--app-name', 'JSON App', '--type', 'custom']);
    await j('integrations list', []);
    await j('integrations catalog', []);
    await j('integrations remove', ['json-app', '--yes']);
    const second = await j('workflows import', [wfFile()]);
    const id2 = (Array.isArray(second) ? second[0] : (second.imported?.[0] ?? second)).id;
    await j('workflows delete', [id2, '--yes']);
  });

  it('keys and credentials', async () => {
    const keyEnv = { ...admin.env, XDG_CONFIG_HOME: join(t.home, 'jsonkeys'), JOBSPRINT_ENCRYPTION_KEYS: undefined };
    await j('keys init', [], { env: keyEnv });
    await j('keys add', ['--id', 'k9'], { env: keyEnv });
    const keys = await j('keys list', [], { env: keyEnv });
    expect(keys.length).toBe(2);
    expect(JSON.stringify(keys)).not.toMatch(/[A-Za-z0-9+/]{43}=/); // ids and sources, never key material
    const older = keys.find((k: any) => k.id !== 'k9').id;
    await j('keys remove', [older, '--yes', '--as-operator'], { env: keyEnv });

    const secret = `s3cret-${randomBytes(6).toString('hex')}`;
    const c = await j('credentials add', ['--name', 'JSON cred', '--type', 'api_key', '--data-stdin'], { input: JSON.stringify({ apiKey: secret }) });
    expect(JSON.stringify(c)).not.toContain(secret);
    expect(JSON.stringify(await j('credentials list', []))).not.toContain(secret);
    expect(JSON.stringify(await j('credentials show', ['JSON cred']))).not.toContain(secret);
    await j('credentials update', ['JSON cred', '--name', 'JSON cred 2']);
    await j('credentials rotate-key', ['--as-operator']);
    await j('credentials delete', ['JSON cred 2', '--yes']);
  });

  it('run, executions, queue', async () => {
    const local = await j('run', [wfFile(), '--local']);
    expect(local.status).toBe('success');
    const wf = (await j('workflows list', []))[0];
    const queued = await j('run', [wf.id]);
    const execId = queued.id ?? queued.execution_id ?? queued[0]?.id;
    expect(execId).toMatch(/^[0-9a-f-]{36}$/);
    expect((await j('executions list', [])).length).toBeGreaterThan(0);
    expect((await j('executions show', [execId])).status).toBe('pending'); // no daemon running
    await j('executions cancel', [execId]);
    await j('executions retry', [execId]);
    await j('executions cancel', [execId]);
    const q = await j('queue status', []);
    expect(q).toBeTypeOf('object');
  });

  it('executions logs (JSON Lines, one object per line)', async () => {
    covered.add('executions logs');
    const id = (await j('executions list', []))[0].id;
    const r = await runCli(['executions', 'logs', id, '--json'], { env });
    expect([0, 1]).toContain(r.code); // a cancelled execution ends with 1, as --wait does
    const lines = r.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line));
    expect(lines.at(-1)).toMatchObject({ type: 'execution.finished', execution_id: id });
  });

  it('streams: logs --follow and daemon print JSON Lines', async () => {
    // Each stream must print at least the line named here, and every line must parse.
    const wf = (await j('workflows list', []))[0];
    for (const [cmd, args, produce, expected] of [
      [
        'logs',
        ['--follow', '--json'],
        // A pending execution cancelled while following: its execution.finished event.
        async () => (await j('executions cancel', [(await j('run', [wf.id])).id])).id as string,
        (line: any, id: string) => line.type === 'execution.finished' && line.execution_id === id,
      ],
      ['daemon', ['--concurrency', '1', '--json'], async () => '', (line: any) => line.msg === 'daemon started'],
    ] as const) {
      covered.add(cmd);
      const child = spawn(process.execPath, [BIN, cmd, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      const lines = () => out.split('\n').filter(Boolean).map((line) => JSON.parse(line));
      const until = async (ok: () => boolean, ms: number) => {
        for (const end = Date.now() + ms; !ok() && Date.now() < end; ) await new Promise((r) => setTimeout(r, 50));
      };
      if (cmd === 'logs') await until(() => /following executions/.test(err), 10_000);
      const id = await produce();
      await until(() => lines().some((line) => expected(line, id)), 10_000);
      child.kill('SIGTERM');
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect([0, 130, 143, null]).toContain(code);
      expect(lines().some((line) => expected(line, id)), `${cmd}: ${out}${err}`).toBe(true);
    }
  });

  it('doctor and quickstart (embedded)', { timeout: 180_000 }, async () => {
    const home = join(t.home, 'embedded-json');
    const embedded = homeEnv(home);
    covered.add('doctor');
    // The first open of an embedded database unpacks and migrates it: give a loaded CI box time.
    const qs = await j('quickstart', ['--email', 'qs@example.com', '--password-stdin'], { env: embedded, input: DEFAULT_TEST_PASSWORD, timeoutMs: 120_000 });
    expect(qs).toBeTypeOf('object');
    const r = await runCli(['doctor', '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(() => JSON.parse(r.stdout)).not.toThrow();
  });

  it('covers every leaf command of the program', async () => {
    const { buildProgram } = await import('../../dist/cli.js' as string);
    const leaves: string[] = [];
    const walk = (cmd: any, prefix: string) => {
      for (const sub of cmd.commands) {
        const name = `${prefix} ${sub.name()}`.trim();
        if (name === 'help') continue;
        if (sub.commands.length) walk(sub, name);
        else leaves.push(name);
      }
    };
    walk(buildProgram(), '');
    expect(leaves.filter((l) => !covered.has(l))).toEqual([]);
  });
});
