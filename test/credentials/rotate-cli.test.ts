import { describe, expect, it } from 'vitest';
import { randomBytes, randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { BIN, json, runCli, expectOneLineError } from '../helpers/cli.js';
import { KeySet, parseKeys } from '../../src/core/credentials/keys.js';
import { openCredential, sealCredential } from '../../src/core/credentials/envelope.js';
import { credentialsCliSuite } from './fixtures.js';

const suite = credentialsCliSuite();
const { k1, k2, withKeys, add } = suite;

const onKey = async (id: string) => (await suite.t.pool.query(`SELECT count(*)::int AS n FROM credentials WHERE key_id = $1`, [id])).rows[0].n as number;

describe('keys', () => {
  it('keys init stores a key in a 0600 file when there is no keychain, and keys list shows no material', async () => {
    const env = { ...suite.t.env, XDG_CONFIG_HOME: `${suite.t.home}/keys-cfg`, JOBSPRINT_TOKEN: undefined };
    let r = await runCli(['keys', 'list'], { env });
    expectOneLineError(r, 6, /^error: no encryption key configured/);
    r = await runCli(['keys', 'init', '--json'], { env });
    expect(r.code).toBe(0);
    expect(json(r)).toEqual({ id: 'k1', location: `${suite.t.home}/keys-cfg/jobsprint/encryption-keys`, key_ids: ['k1'] });
    const { statSync, readFileSync } = await import('node:fs');
    expect(statSync(`${suite.t.home}/keys-cfg/jobsprint/encryption-keys`).mode & 0o777).toBe(0o600);
    const material = readFileSync(`${suite.t.home}/keys-cfg/jobsprint/encryption-keys`, 'utf8').trim().split(':')[1]!;
    r = await runCli(['keys', 'add', '--json'], { env });
    expect(json(r).key_ids).toEqual(['k2', 'k1']);
    r = await runCli(['keys', 'list', '--json'], { env });
    expect(json(r).map((k: any) => [k.id, k.active, k.source])).toEqual([
      ['k2', true, 'file'],
      ['k1', false, 'file'],
    ]);
    expect(r.stdout).not.toContain(material);
    r = await runCli(['keys', 'init'], { env });
    expectOneLineError(r, 5, /^error: encryption keys already initialised/);
  });
});

describe('credentials rotate-key', () => {
  it('is for admins and the operator; reports counts; the old key can then be removed', async () => {
    const tok = 'rot-' + randomBytes(12).toString('hex');
    await add('rot', 'bearer', { token: tok });
    await add('other', 'api_key', { apiKey: 'ak-' + randomBytes(12).toString('hex') });
    const fragile = json(await add('fragile', 'api_key', { apiKey: 'ak-' + randomBytes(12).toString('hex') })).id;
    // One byte of the wrap tag: the data key no longer unwraps, so it cannot be re-wrapped.
    await suite.t.pool.query(`UPDATE credentials SET encrypted_data = set_byte(encrypted_data, 19, get_byte(encrypted_data, 19) # 1) WHERE id = $1`, [fragile]);
    const both = `${k2},${k1}`;
    let r = await runCli(['credentials', 'rotate-key'], { env: withKeys(suite.alice, both) });
    expectOneLineError(r, 4, /^error: only admins or the operator can rotate/);
    r = await runCli(['keys', 'list', '--usage', '--as-operator', '--json'], { env: withKeys(suite.alice, both) });
    const before = json<any[]>(r);
    expect(before.find((k) => k.id === 'k2').credentials).toBe(0);
    const onK1 = before.find((k) => k.id === 'k1').credentials;
    expect(onK1).toBeGreaterThan(0);
    r = await runCli(['credentials', 'rotate-key', '--json'], { env: withKeys(suite.admin, both) });
    // The tampered credential cannot be re-wrapped: reported, exit 1, the rest rotated.
    expect(r.code).toBe(1);
    const res = json(r);
    expect(res).toMatchObject({ target_key_id: 'k2', rotated: onK1 - 1, failed: 1, remaining: 1, interrupted: false });
    expect(r.stderr).toMatch(new RegExp(`^warning: cannot decrypt credential ${fragile}: integrity check failed`));
    await runCli(['credentials', 'delete', 'fragile', '--yes'], { env: withKeys(suite.alice) });
    r = await runCli(['credentials', 'rotate-key', '--as-operator'], { env: withKeys(suite.alice, both) });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('re-wrapped 0 credentials to key k2 (0 not on k2)\n');
    r = await runCli(['credentials', 'show', 'rot', '--reveal', '--json'], { env: withKeys(suite.alice, k2) });
    expect(json(r).data).toEqual({ token: tok });
    r = await runCli(['credentials', 'rotate-key', '--to', 'k7', '--as-operator'], { env: withKeys(suite.alice, both) });
    expectOneLineError(r, 2, /^error: key k7 is not configured \(configured keys: k2, k1\)/);
  });
});

/** Spawn a rotation and stop it with `signal` once some rows are on k2. */
async function interruptRotation(signal: NodeJS.Signals, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, 'credentials', 'rotate-key', '--as-operator', '--batch-size', '10', '--pause-ms', '10', '--json'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
  const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const start = await onKey('k2');
  const deadline = Date.now() + 30_000;
  while ((await onKey('k2')) < start + 50 && Date.now() < deadline) await sleep(20);
  child.kill(signal);
  const code = await closed;
  // A killed client's last COMMIT can still land after the process is gone: wait for its backends to end.
  const until = Date.now() + 10_000;
  while (Date.now() < until) {
    const { rows } = await suite.t.pool.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'jobsprint'`);
    if (rows[0].n === 0) break;
    await sleep(20);
  }
  return { code, stdout, stderr };
}

describe('an interrupted rotation', () => {
  it('stops cleanly on Ctrl-C, survives a crash, and resumes where it stopped', async () => {
    await suite.t.pool.query(`DELETE FROM credentials`);
    const keys1 = new KeySet(parseKeys(k1, 'env'));
    const n = 3000;
    const ids = Array.from({ length: n }, () => randomUUID());
    const tokens = ids.map(() => `tok_${randomBytes(8).toString('hex')}`);
    const envs = ids.map((id, i) => sealCredential(keys1, { credentialId: id, userId: suite.alice.userId }, { token: tokens[i] }).envelope);
    await suite.t.pool.query(
      `INSERT INTO credentials (id, user_id, name, type, encrypted_data, key_id)
       SELECT id, $1, 'bulk-' || id, 'bearer', data, 'k1' FROM unnest($2::uuid[], $3::bytea[]) AS v(id, data)`,
      [suite.alice.userId, ids, envs],
    );
    const env = withKeys(suite.alice, `${k2},${k1}`);

    const int = await interruptRotation('SIGINT', env);
    expect(int.code).toBe(1);
    expect(int.stderr).toContain('stopping after the current batch');
    const partial = JSON.parse(int.stdout);
    expect(partial.interrupted).toBe(true);
    expect(partial.rotated).toBeGreaterThanOrEqual(50);
    expect(partial.remaining).toBe(n - partial.rotated);
    expect(await onKey('k2')).toBe(partial.rotated);

    const crashed = await interruptRotation('SIGKILL', env);
    expect(crashed.code).toBeNull();
    const done = await onKey('k2');
    expect(done).toBeGreaterThan(partial.rotated);
    expect(done).toBeLessThan(n);

    const r = await runCli(['credentials', 'rotate-key', '--as-operator', '--json'], { env });
    expect(r.code).toBe(0);
    expect(json(r)).toMatchObject({ rotated: n - done, remaining: 0, failed: 0, interrupted: false });
    expect(await onKey('k2')).toBe(n);

    // A local key store refuses to drop a key credentials still use, and the active key.
    const local = { ...suite.alice.env, XDG_CONFIG_HOME: `${suite.t.home}/keys-cfg` }; // k2 (active), k1 from `keys init` + `keys add`
    let rm = await runCli(['keys', 'remove', 'k2', '--yes', '--as-operator'], { env: local });
    expectOneLineError(rm, 5, /^error: key k2 still wraps 3000 credentials \(run `jobsprint credentials rotate-key` first, or pass --force\)/);
    rm = await runCli(['keys', 'remove', 'k1', '--yes', '--as-operator', '--json'], { env: local });
    expect(rm.code).toBe(0);
    expect(json(rm).key_ids).toEqual(['k2']);

    // The old key is gone from the configuration: every credential still decrypts.
    const onlyK2 = new KeySet(parseKeys(k2, 'env'));
    const rows = (await suite.t.pool.query(`SELECT id, user_id, key_id, encrypted_data FROM credentials`)).rows;
    const byId = new Map(ids.map((id, i) => [id, tokens[i]]));
    for (const row of rows) {
      expect(openCredential(onlyK2, { credentialId: row.id, userId: row.user_id }, row.key_id, row.encrypted_data)).toEqual({ token: byId.get(row.id) });
    }
  });
});
