import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../helpers/env.js';
import { json, runCli } from '../helpers/cli.js';

/** doctor against servers: backends, masked URLs, versions, migration state, exit 6 when down. */
let t: TestEnv;
beforeAll(async () => {
  t = await createTestEnv();
});
afterAll(async () => {
  await t?.cleanup();
});

describe('doctor with servers configured', () => {
  it('reports each server, its version and the migration state, masking passwords', async () => {
    const env = { ...t.env, JOBSPRINT_DATABASE_URL: t.databaseUrl.replace('postgres@', 'postgres:s3cr3t-pw@') };
    const r = await runCli(['doctor', '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    const d = json(r);
    expect(d.ok).toBe(true);
    expect(d.database).toMatchObject({ backend: 'server', reachable: true, required: true });
    expect(d.database.location).toContain('postgres:***@');
    expect(d.database.version).toMatch(/^PostgreSQL \d+/);
    expect(d.redis).toMatchObject({ backend: 'server', reachable: true });
    expect(d.redis.version).toMatch(/^Redis \d/);
    expect(d.rabbitmq).toMatchObject({ backend: 'server', reachable: true });
    expect(d.rabbitmq.version).toMatch(/\d+\.\d+/);
    expect(d.migrations.pending).toBe(0);
    expect(d.migrations.applied).toBeGreaterThan(0);
    expect(d.encryption_keys.configured).toBe(false);
    expect(d.login.present).toBe(false);
    expect(r.stdout + r.stderr).not.toContain('s3cr3t-pw');
  });

  it('says which keys are configured without printing them', async () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    const r = await runCli(['doctor', '--json'], { env: { ...t.env, JOBSPRINT_ENCRYPTION_KEYS: `k2024:${key}` } });
    expect(r.code, r.stderr).toBe(0);
    expect(json(r).encryption_keys).toMatchObject({ configured: true, count: 1, active_key_id: 'k2024', location: 'JOBSPRINT_ENCRYPTION_KEYS' });
    expect(r.stdout).not.toContain(key);
  });

  it('exits 6 within seconds when a configured server is unreachable, and says which', async () => {
    const env = { ...t.env, JOBSPRINT_REDIS_URL: 'redis://127.0.0.1:1', JOBSPRINT_CONNECT_TIMEOUT_MS: '2000' };
    const r = await runCli(['doctor'], { env });
    expect(r.code).toBe(6);
    expect(r.ms).toBeLessThan(20_000);
    const redisLine = r.stdout.split('\n').find((l) => l.startsWith('redis'));
    expect(redisLine).toMatch(/\tserver\tredis:\/\/127\.0\.0\.1:1\tUNREACHABLE\t/);
    expect(r.stdout).toMatch(/^database\tserver\t.*\tok\tPostgreSQL/m);
    expect(r.stderr).toContain('exit 6');
  });
});
