import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { createTestEnv, type TestEnv } from '../helpers/env.js';
import { json, runCli, type CliResult } from '../helpers/cli.js';
import { createUserAndLogin, type LoggedInUser } from '../helpers/users.js';
import { Config } from '../../src/core/config.js';
import { Core } from '../../src/core/context.js';
import { credentialsFor } from '../../src/core/executions/engine-adapter.js';
import { runWorkflow } from '../../src/core/engine/index.js';
import type { WorkflowDefinition } from '../../src/core/engine/types.js';
import { newKey } from './fixtures.js';

/**
 * The canary: a credential whose secret is a unique random string. After it has been added,
 * used by an execution, shown, listed, updated, rotated and dumped, the string must appear
 * nowhere except in the one output that asked for it (`show --reveal`).
 */
const CANARY = `CANARY${randomBytes(20).toString('hex')}`;
let t: TestEnv;
let alice: LoggedInUser;
let admin: LoggedInUser;
let server: Server;
let seenAuth: string[] = [];
const k1 = newKey('k1');
const k2 = newKey('k2');
const outputs: Array<{ what: string; r: CliResult }> = [];

beforeAll(async () => {
  t = await createTestEnv({ amqp: false });
  admin = await createUserAndLogin(t, { email: 'root@example.com', username: 'root', role: 'admin' });
  alice = await createUserAndLogin(t, { email: 'canary@example.com', username: 'canary' });
  server = createServer((req, res) => {
    seenAuth.push(String(req.headers.authorization ?? ''));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ok: true }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  server?.close();
  await t?.cleanup();
});

async function cli(what: string, args: string[], keys: string, input?: string, env = alice.env): Promise<CliResult> {
  const r = await runCli(args, { env: { ...env, JOBSPRINT_ENCRYPTION_KEYS: keys }, input });
  outputs.push({ what, r });
  return r;
}

/** Every key name and value in the whole Redis (all prefixes, all types). */
/**
 * Every key and value of the whole Redis (not just this file's prefix), searched for `needle`
 * one entry at a time, so a large shared Redis neither blows up memory nor hides anything.
 * Returns how many entries were read and the keys whose name or value contains the needle.
 */
async function searchRedis(url: string, needle: string): Promise<{ entries: number; hits: string[] }> {
  const { Redis } = await import('ioredis');
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await r.connect();
  const hits: string[] = [];
  let entries = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await r.scanBuffer(cursor, 'COUNT', 1000);
      cursor = String(next);
      for (const kb of keys) {
        const key = kb.toString('latin1');
        const type = await r.type(kb);
        let value = '';
        if (type === 'string') value = ((await r.getBuffer(kb)) ?? Buffer.alloc(0)).toString('latin1');
        else if (type === 'hash') value = JSON.stringify(await r.hgetall(kb));
        else if (type === 'list') value = JSON.stringify(await r.lrange(kb, 0, -1));
        else if (type === 'set') value = JSON.stringify(await r.smembers(kb));
        else if (type === 'zset') value = JSON.stringify(await r.zrange(kb, 0, -1));
        else if (type === 'stream') value = JSON.stringify(await r.xrange(kb, '-', '+'));
        entries++;
        if (key.includes(needle) || value.includes(needle)) hits.push(key);
      }
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
  return { entries, hits };
}

describe('the canary', () => {
  it('appears nowhere but in show --reveal', { timeout: 240_000 }, async () => {
    // add: the secret goes in on stdin only.
    let r = await cli('add', ['credentials', 'add', '--name', 'canary', '--type', 'bearer', '--data-stdin', '--json'], k1, JSON.stringify({ token: CANARY }));
    expect(r.code).toBe(0);
    const id = json(r).id as string;

    // use: a workflow execution calls an HTTP API with it, through the worker's provider.
    const core = new Core({ config: new Config({ ...alice.env, JOBSPRINT_ENCRYPTION_KEYS: k1 }) });
    try {
      const port = (server.address() as AddressInfo).port;
      const wf: WorkflowDefinition = {
        nodes: [
          { name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, parameters: {}, position: [0, 0] },
          {
            name: 'Call API',
            type: 'n8n-nodes-base.httpRequest',
            typeVersion: 4.2,
            position: [200, 0],
            parameters: { url: `http://127.0.0.1:${port}/me`, authentication: 'genericCredentialType', genericAuthType: 'httpBearerAuth', options: {} },
            credentials: { httpBearerAuth: { id, name: 'canary' } },
          },
        ],
        connections: { Start: { main: [[{ node: 'Call API', type: 'main', index: 0 }]] } },
      };
      const result = await runWorkflow(wf, { credentials: await credentialsFor(core, alice.userId) });
      expect(result.status).toBe('success');
      expect(seenAuth).toEqual([`Bearer ${CANARY}`]);
      expect(JSON.stringify(result)).not.toContain(CANARY);
    } finally {
      await core.close();
    }
    const used = await t.pool.query(`SELECT last_used_at FROM credentials WHERE id = $1`, [id]);
    expect(used.rows[0].last_used_at).not.toBeNull();

    // show, list, update (rename), keys, rotate, audit.
    r = await cli('show', ['credentials', 'show', 'canary'], k1);
    expect(r.stdout).toContain(`••••${CANARY.slice(-4)}`);
    await cli('show --json', ['credentials', 'show', id, '--json'], k1);
    await cli('list', ['credentials', 'list'], k1);
    await cli('list --json', ['credentials', 'list', '--json'], k1);
    await cli('update', ['credentials', 'update', 'canary', '--name', 'canary-2', '--json'], k1);
    r = await cli('rotate-key', ['credentials', 'rotate-key', '--json'], `${k2},${k1}`, undefined, admin.env);
    expect(json(r)).toMatchObject({ rotated: 1, remaining: 0 });
    await cli('keys list --usage', ['keys', 'list', '--usage', '--as-operator'], k2);
    await cli('audit', ['audit', 'list', '--json', '--as-operator'], k2);

    // The one place it may appear, proving the search would find it.
    const revealed = await cli('reveal', ['credentials', 'show', 'canary-2', '--reveal', '--json'], k2);
    expect(json(revealed).data.token).toBe(CANARY);

    for (const { what, r: out } of outputs) {
      if (what === 'reveal') continue;
      // A command that failed prints no secret: it would prove nothing.
      expect(out.code, `${what}: ${out.stderr}`).toBe(0);
      expect(out.stdout, `stdout of ${what}`).not.toContain(CANARY);
      expect(out.stderr, `stderr of ${what}`).not.toContain(CANARY);
    }

    const dump = (await promisify(execFile)('pg_dump', [t.databaseUrl], { maxBuffer: 256 * 1024 * 1024 })).stdout;
    expect(dump).toContain(id); // the credential is in the dump…
    expect(dump).not.toContain(CANARY); // …its secret is not
    expect(dump).not.toContain(Buffer.from(CANARY).toString('hex'));
    expect(dump).not.toContain(Buffer.from(CANARY).toString('base64').slice(0, 40));

    const redis = await searchRedis(t.redisUrl, CANARY);
    expect(redis.entries).toBeGreaterThan(0); // sessions are there: the scan saw data
    expect(redis.hits).toEqual([]);
  });
});
