import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createTestEnv, type TestEnv } from '../helpers/env.js';
import { runCli, json } from '../helpers/cli.js';

let t: TestEnv;
beforeAll(async () => {
  t = await createTestEnv();
});
afterAll(async () => {
  await t?.cleanup();
});

describe('the binary', () => {
  it('prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    const r = await runCli(['--version'], { env: t.env });
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it('lists the command groups with examples in --help', async () => {
    const r = await runCli(['--help'], { env: t.env });
    expect(r.code).toBe(0);
    for (const group of ['config', 'db']) expect(r.stdout).toMatch(new RegExp(`^\\s+${group}\\b`, 'm'));
    expect(r.stdout).toContain('Examples:');
  });

  it('documents exit codes', async () => {
    const r = await runCli(['help', 'exit-codes'], { env: t.env });
    expect(r.code).toBe(0);
    for (const n of [0, 1, 2, 3, 4, 5, 6]) expect(r.stdout).toMatch(new RegExp(`^\\s+${n}\\s+\\w`, 'm'));
  });

  it('rejects an unknown command with exit 2 and one line on stderr', async () => {
    const r = await runCli(['frobnicate'], { env: t.env });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^error: /);
    expect(r.stdout).toBe('');
  });

  it('rejects an unknown option with exit 2', async () => {
    const r = await runCli(['db', 'status', '--bogus'], { env: t.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: unknown option '--bogus'/);
  });
});

describe('configuration', () => {
  it('takes the environment over the profile and masks URL passwords', async () => {
    const env = { ...t.env, XDG_CONFIG_HOME: `${t.home}/cfg1` };
    let r = await runCli(['config', 'set', 'redis_url', 'redis://:profilepw@10.0.0.1:6379'], { env });
    expect(r.code).toBe(0);
    r = await runCli(['config', 'get', 'redis_url', '--json'], { env: { ...env, JOBSPRINT_REDIS_URL: undefined } });
    expect(json(r)).toEqual({ key: 'redis_url', value: 'redis://:***@10.0.0.1:6379', source: 'profile' });
    r = await runCli(['config', 'get', 'redis_url', '--json'], { env: { ...env, JOBSPRINT_REDIS_URL: 'redis://u:envpw@127.0.0.1:1' } });
    expect(json(r)).toEqual({ key: 'redis_url', value: 'redis://u:***@127.0.0.1:1', source: 'env' });
    r = await runCli(['config', 'list', '--json'], { env: { ...env, JOBSPRINT_REDIS_URL: 'redis://u:envpw@127.0.0.1:1' } });
    expect(r.stdout).not.toContain('envpw');
    expect(r.stdout).not.toContain('profilepw');
  });

  it('reads a setting from a *_FILE path', async () => {
    const { writeFileSync } = await import('node:fs');
    const f = `${t.home}/dburl`;
    writeFileSync(f, 'postgres://app:filepw@db.internal/app\n');
    const r = await runCli(['config', 'get', 'database_url', '--json'], {
      env: { ...t.env, JOBSPRINT_DATABASE_URL: undefined, JOBSPRINT_DATABASE_URL_FILE: f },
    });
    expect(json(r)).toEqual({ key: 'database_url', value: 'postgres://app:***@db.internal/app', source: 'env-file' });
  });

  it('selects a profile with --profile and with config use', async () => {
    const env = { ...t.env, XDG_CONFIG_HOME: `${t.home}/cfg2` };
    await runCli(['--profile', 'staging', 'config', 'set', 'amqp_prefix', 'stg'], { env });
    let r = await runCli(['--profile', 'staging', 'config', 'get', 'amqp_prefix', '--json'], { env: { ...env, JOBSPRINT_AMQP_PREFIX: undefined } });
    expect(json(r).value).toBe('stg');
    r = await runCli(['config', 'get', 'amqp_prefix', '--json'], { env: { ...env, JOBSPRINT_AMQP_PREFIX: undefined } });
    expect(json(r).value).toBe('jobsprint');
    r = await runCli(['config', 'use', 'staging'], { env });
    expect(r.code).toBe(0);
    r = await runCli(['config', 'get', 'amqp_prefix', '--json'], { env: { ...env, JOBSPRINT_AMQP_PREFIX: undefined } });
    expect(json(r).value).toBe('stg');
    r = await runCli(['--profile', 'nope', 'db', 'status'], { env });
    expect(r.code).toBe(3);
  });

  it('refuses to store secrets in a profile', async () => {
    const r = await runCli(['config', 'set', 'token', 'abc'], { env: t.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/JOBSPRINT_TOKEN/);
  });
});

describe('colour and errors', () => {
  const ESC = '\u001b[';
  const closed = 'postgres://postgres:hunter2@127.0.0.1:1/nothing';

  it('colours errors only when allowed: NO_COLOR, TERM=dumb and --no-color win over FORCE_COLOR', async () => {
    const base = { ...t.env, NO_COLOR: undefined, JOBSPRINT_DATABASE_URL: closed, FORCE_COLOR: '1' };
    const coloured = await runCli(['db', 'status'], { env: base });
    expect(coloured.stderr).toContain(ESC);
    for (const env of [{ ...base, NO_COLOR: '1' }, { ...base, TERM: 'dumb' }]) {
      const r = await runCli(['db', 'status'], { env });
      expect(r.stderr).not.toContain(ESC);
    }
    const r = await runCli(['db', 'status', '--no-color'], { env: base });
    expect(r.stderr).not.toContain(ESC);
    // Not a TTY and no FORCE_COLOR: plain.
    const plain = await runCli(['db', 'status'], { env: { ...base, FORCE_COLOR: undefined } });
    expect(plain.stderr).not.toContain(ESC);
  });

  it('reports PostgreSQL down with exit 6, one line, the masked URL, within 6 s', async () => {
    const r = await runCli(['db', 'status'], { env: { ...t.env, JOBSPRINT_DATABASE_URL: closed } });
    expect(r.code).toBe(6);
    expect(r.ms).toBeLessThan(6000);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^error: PostgreSQL unavailable at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/nothing/);
    expect(r.stderr).not.toContain('hunter2');
    expect(r.stdout).toBe('');
  });

  it('reports Redis and RabbitMQ down with exit 6, one line naming the service, within 6 s', async () => {
    const cases: Array<[string, string[], NodeJS.ProcessEnv, RegExp]> = [
      ['Redis', ['login', '--email', 'nobody@example.com', '--password-stdin'], { JOBSPRINT_REDIS_URL: 'redis://:hunter2@127.0.0.1:1' }, /^error: Redis unavailable at redis:\/\/:\*\*\*@127\.0\.0\.1:1/],
      ['RabbitMQ', ['queue', 'status'], { JOBSPRINT_AMQP_URL: 'amqp://guest:hunter2@127.0.0.1:1' }, /^error: RabbitMQ unavailable at amqp:\/\/guest:\*\*\*@127\.0\.0\.1:1/],
    ];
    for (const [service, args, extra, pattern] of cases) {
      const r = await runCli(args, { env: { ...t.env, ...extra }, input: 'a password that is long enough' });
      expect(r.code, `${service}: ${r.stderr}`).toBe(6);
      expect(r.ms).toBeLessThan(6000);
      const lines = r.stderr.trim().split('\n');
      expect(lines, service).toHaveLength(1);
      expect(lines[0]).toMatch(pattern);
      expect(r.stderr + r.stdout).not.toContain('hunter2');
    }
  });

  it('gives up on a server that accepts but never answers within the connect timeout', async () => {
    // A local black hole: accepts the TCP connection, never speaks.
    const net = await import('node:net');
    const sockets: import('node:net').Socket[] = [];
    const server = net.createServer((s) => sockets.push(s));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as import('node:net').AddressInfo).port;
    try {
      const r = await runCli(['db', 'status'], {
        env: { ...t.env, JOBSPRINT_DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/x`, JOBSPRINT_CONNECT_TIMEOUT_MS: '1500' },
      });
      expect(r.code).toBe(6);
      expect(r.ms).toBeLessThan(6000);
      expect(r.stderr).toMatch(/^error: PostgreSQL unavailable/);
    } finally {
      for (const s of sockets) s.destroy();
      server.close();
    }
  });

  it('prints a stack trace only with --debug', async () => {
    const env = { ...t.env, JOBSPRINT_DATABASE_URL: closed };
    const plain = await runCli(['db', 'status'], { env });
    expect(plain.stderr).not.toMatch(/\n\s+at /);
    const debug = await runCli(['db', 'status', '--debug'], { env });
    expect(debug.code).toBe(6);
    expect(debug.stderr).toMatch(/\n\s+at /);
    expect(debug.stderr).not.toContain('hunter2');
  });
});
