import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { json, runCli, expectOneLineError } from '../helpers/cli.js';
import { credentialsCliSuite } from './fixtures.js';

const suite = credentialsCliSuite();
const { k2, withKeys, add } = suite;

const count = async () => (await suite.t.pool.query(`SELECT count(*)::int AS n FROM credentials`)).rows[0].n as number;

describe('credentials add: where secrets may come from', () => {
  it('adds from --data-stdin and prints the record masked', async () => {
    const pw = 'pw-' + randomBytes(12).toString('hex');
    const r = await add('db', 'basic_auth', { user: 'app', password: pw });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const c = json(r);
    expect(c).toMatchObject({ name: 'db', type: 'basic_auth', key_id: 'k1', data: { user: 'app', password: `••••${pw.slice(-4)}` } });
    expect(r.stdout).not.toContain(pw);
    expect(Object.keys(c)).not.toContain('encrypted_data');
  });

  it('adds from --data-file', async () => {
    const f = `${suite.t.home}/tok.json`;
    writeFileSync(f, JSON.stringify({ token: 'tok-' + randomBytes(10).toString('hex') }), { mode: 0o600 });
    const r = await runCli(['credentials', 'add', '--name', 'from-file', '--type', 'bearer', '--data-file', f], { env: withKeys(suite.alice) });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^added credential "from-file" \(bearer, [0-9a-f-]{36}\)\n$/);
  });

  it('refuses a secret on the command line, pointing at --data-stdin', async () => {
    const before = await count();
    const r = await runCli(['credentials', 'add', '--name', 'x', '--type', 'bearer', '--data', '{"token":"hunter2hunter2"}'], { env: withKeys(suite.alice) });
    expectOneLineError(r, 2, /^error: secrets are not accepted on the command line .*--data-stdin/);
    expect(r.stderr).not.toContain('hunter2');
    expect(await count()).toBe(before);
  });

  it('rejects malformed JSON without echoing it, wrong fields, and unknown types (exit 2, nothing written)', async () => {
    const before = await count();
    let r = await runCli(['credentials', 'add', '--name', 'x', '--type', 'bearer', '--data-stdin'], { env: withKeys(suite.alice), input: '{"token": sekrit-value-123' });
    expectOneLineError(r, 2, /^error: credential data on stdin is not valid JSON/);
    expect(r.stderr).not.toContain('sekrit');
    r = await add('x', 'basic_auth', { user: 'a', pass: 'sekrit-value-123' });
    expectOneLineError(r, 2, /^error: unknown field for basic_auth: pass \(fields for basic_auth: user, password\)/);
    expect(r.stderr).not.toContain('sekrit');
    r = await add('x', 'basic_auth', { user: 'a' });
    expectOneLineError(r, 2, /^error: missing field "password" for basic_auth/);
    r = await add('x', 'ssh_key', { key: 'k' });
    expectOneLineError(r, 2, /^error: unknown credential type "ssh_key" \(one of: api_key, basic_auth, oauth2, header_auth, bearer\)/);
    r = await runCli(['credentials', 'add', '--name', 'x', '--type', 'bearer'], { env: withKeys(suite.alice) });
    expectOneLineError(r, 2, /^error: the credential fields needs a terminal to prompt \(pass --data-stdin/);
    expect(await count()).toBe(before);
  });

  it('exits 6 with instructions when no key is configured, and writes nothing', async () => {
    const before = await count();
    const r = await add('nokey', 'bearer', { token: 'x'.repeat(20) }, withKeys(suite.alice, ''));
    expectOneLineError(r, 6, /^error: no encryption key configured \(set JOBSPRINT_ENCRYPTION_KEYS=.*keys init/);
    expect(await count()).toBe(before);
  });

  it('refuses a malformed key with exit 2', async () => {
    const r = await add('badkey', 'bearer', { token: 'x'.repeat(20) }, withKeys(suite.alice, `k1:${randomBytes(16).toString('base64')}`));
    expectOneLineError(r, 2, /^error: encryption key k1 \(JOBSPRINT_ENCRYPTION_KEYS\) is not 32 bytes of base64/);
  });
});

describe('credentials list, show, update, delete', () => {
  it('lists without secret data', async () => {
    const r = await runCli(['credentials', 'list', '--json'], { env: withKeys(suite.alice) });
    expect(r.code).toBe(0);
    const rows = json<any[]>(r);
    expect(rows.map((c) => c.name)).toEqual(expect.arrayContaining(['db', 'from-file']));
    expect(r.stdout).not.toMatch(/password|token|••••|encrypted_data/);
  });

  it('reveals only to the owner, and records the reveal', async () => {
    const tok = 'tok-' + randomBytes(12).toString('hex');
    const id = json(await add('rv', 'bearer', { token: tok })).id;
    let r = await runCli(['credentials', 'show', 'rv'], { env: withKeys(suite.alice) });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`data.token\t••••${tok.slice(-4)}`);
    expect(r.stdout).not.toContain(tok);
    r = await runCli(['credentials', 'show', 'rv', '--reveal', '--json'], { env: withKeys(suite.alice) });
    expect(r.code).toBe(0);
    expect(json(r).data).toEqual({ token: tok });
    r = await runCli(['credentials', 'show', id, '--reveal', '--user', 'alice@example.com'], { env: withKeys(suite.admin) });
    expectOneLineError(r, 4, /^error: only the owner can reveal credential "rv"/);
    const audit = await suite.t.pool.query(`SELECT event_type, changes FROM audit_logs WHERE resource_id = $1 ORDER BY created_at`, [id]);
    expect(audit.rows.map((a) => a.event_type)).toEqual(['credential.created', 'credential.revealed']);
    expect(JSON.stringify(audit.rows)).not.toContain(tok);
  });

  it('updates fields by merging and renames', async () => {
    const r = await runCli(['credentials', 'update', 'db', '--name', 'db2', '--data-stdin', '--json'], {
      env: withKeys(suite.alice),
      input: JSON.stringify({ password: 'new-password-' + randomBytes(6).toString('hex') }),
    });
    expect(r.code).toBe(0);
    expect(json(r)).toMatchObject({ name: 'db2', data: { user: 'app' } });
    const nothing = await runCli(['credentials', 'update', 'db2'], { env: withKeys(suite.alice) });
    expectOneLineError(nothing, 2, /^error: nothing to update/);
  });

  it('refuses to delete while an active workflow uses it, unless --force', async () => {
    const id = json(await add('used', 'header_auth', { name: 'X-Key', value: 'v'.repeat(16) })).id;
    await suite.t.pool.query(`INSERT INTO workflows (user_id, name, definition, is_active) VALUES ($1, 'Sync', $2, true)`, [
      suite.alice.userId,
      { nodes: [{ name: 'HTTP', type: 'n8n-nodes-base.httpRequest', typeVersion: 4, parameters: {}, credentials: { httpHeaderAuth: { id, name: 'used' } } }], connections: {} },
    ]);
    let r = await runCli(['credentials', 'delete', 'used'], { env: withKeys(suite.alice) });
    expectOneLineError(r, 2, /^error: confirmation needs a terminal to prompt \(pass --yes\)/);
    r = await runCli(['credentials', 'delete', 'used', '--yes'], { env: withKeys(suite.alice) });
    expectOneLineError(r, 5, /^error: credential "used" is used by 1 active workflow: "Sync" .*--force/);
    r = await runCli(['credentials', 'delete', 'used', '--yes', '--force', '--json'], { env: withKeys(suite.alice) });
    expect(r.code).toBe(0);
    expect(json(r)).toMatchObject({ id, deleted: true });
    expect(r.stderr).toMatch(/^warning: 1 active workflow\(s\) still refer to it: "Sync"/);
    r = await runCli(['credentials', 'show', id], { env: withKeys(suite.alice) });
    expectOneLineError(r, 3, /^error: credential ".*" not found/);
  });

  it('names a missing key and a tampered credential clearly', async () => {
    const id = json(await add('fragile', 'api_key', { apiKey: 'ak-' + randomBytes(12).toString('hex') })).id;
    let r = await runCli(['credentials', 'show', 'fragile', '--reveal'], { env: withKeys(suite.alice, k2) });
    expectOneLineError(r, 6, new RegExp(`^error: cannot decrypt credential ${id}: key k1 not configured \\(`));
    // Masked show needs no key at all.
    r = await runCli(['credentials', 'show', 'fragile'], { env: withKeys(suite.alice, k2) });
    expect(r.code).toBe(0);
    // One byte of the wrap tag: the data key no longer unwraps (so rotation cannot re-wrap it either).
    await suite.t.pool.query(`UPDATE credentials SET encrypted_data = set_byte(encrypted_data, 19, get_byte(encrypted_data, 19) # 1) WHERE id = $1`, [id]);
    r = await runCli(['credentials', 'show', 'fragile', '--reveal'], { env: withKeys(suite.alice) });
    expectOneLineError(r, 1, new RegExp(`^error: cannot decrypt credential ${id}: integrity check failed`));
    expect(r.stderr).not.toMatch(/Unsupported state|bad decrypt|--debug/);
  });
});

describe('credentials --user (an admin acting on another user)', () => {
  it('audits like workflows and integrations: user_id is the admin, metadata.tenant_user_id the owner, no secret', async () => {
    const pw = 'pw-' + randomBytes(12).toString('hex');
    let r = await runCli(['credentials', 'add', '--name', 'admin-made', '--type', 'basic_auth', '--data-stdin', '--json', '--user', 'alice@example.com'], {
      env: withKeys(suite.admin),
      input: JSON.stringify({ user: 'svc', password: pw }),
    });
    expect(r.code, r.stderr).toBe(0);
    const id = json(r).id;
    expect((await suite.t.pool.query(`SELECT user_id FROM credentials WHERE id = $1`, [id])).rows[0].user_id).toBe(suite.alice.userId);
    r = await runCli(['credentials', 'delete', id, '--yes', '--user', 'alice@example.com'], { env: withKeys(suite.admin) });
    expect(r.code, r.stderr).toBe(0);
    const audit = await suite.t.pool.query(`SELECT * FROM audit_logs WHERE resource_id = $1 ORDER BY created_at`, [id]);
    const session = expect.stringMatching(/^[0-9a-f-]{36}$/);
    expect(audit.rows.map(({ user_id, event_type, changes, metadata }) => ({ user_id, event_type, changes, metadata }))).toEqual([
      {
        user_id: suite.admin.userId,
        event_type: 'credential.created',
        changes: { name: 'admin-made', type: 'basic_auth', integration_id: null, fields: ['user', 'password'] },
        metadata: { actor_role: 'admin', session_id: session, tenant_user_id: suite.alice.userId },
      },
      {
        user_id: suite.admin.userId,
        event_type: 'credential.deleted',
        changes: { name: 'admin-made', type: 'basic_auth' },
        metadata: { actor_role: 'admin', session_id: session, tenant_user_id: suite.alice.userId },
      },
    ]);
    // Not in any column of the rows (changes, metadata, user agent, …).
    expect(JSON.stringify(audit.rows)).not.toContain(pw);
  });
});
