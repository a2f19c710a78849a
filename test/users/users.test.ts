import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { createTestEnv, type TestEnv } from '../helpers/env.js';
import { expectOneLineError, runCli, json } from '../helpers/cli.js';
import { DEFAULT_TEST_PASSWORD as PW, createUserAndLogin, loginToken, type LoggedInUser } from '../helpers/users.js';

let t: TestEnv;
let redis: Redis;
let admin: LoggedInUser;
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const count = async (sql: string, params: unknown[] = []) => (await t.pool.query(sql, params)).rows[0].n as number;

beforeAll(async () => {
  t = await createTestEnv({ amqp: false });
  redis = new Redis(t.redisUrl, { keyPrefix: t.redisPrefix });
  admin = await createUserAndLogin(t, { email: 'root@example.com', username: 'root' });
});
afterAll(async () => {
  redis?.disconnect();
  await t?.cleanup();
});

describe('users management by an admin', () => {
  let bobId: string;

  it('creates users with the admin session, audited with request id and user agent', async () => {
    const r = await runCli(
      ['users', 'create', '--email', 'bob@example.com', '--username', 'bob', '--full-name', 'Bob B', '--password-stdin', '--json'],
      { env: admin.env, input: PW },
    );
    expect(r.code, r.stderr).toBe(0);
    const bob = json(r);
    expect(bob).toMatchObject({ email: 'bob@example.com', username: 'bob', full_name: 'Bob B', role: 'user' });
    expect(bob).not.toHaveProperty('password_hash');
    bobId = bob.id;
    const { rows } = await t.pool.query(`SELECT * FROM audit_logs WHERE event_type = 'user.created' AND resource_id = $1`, [bobId]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ user_id: admin.userId, resource_type: 'user', action: 'create', user_agent: expect.stringMatching(/^jobsprint-cli\//) });
    expect(rows[0].request_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(rows[0].changes.after).toMatchObject({ email: 'bob@example.com', role: 'user' });
    expect(JSON.stringify(rows[0])).not.toMatch(/argon2|password_hash|correct horse/);
  });

  it('creates a user with --as-operator, audited as the operator', async () => {
    const r = await runCli(['users', 'create', '--email', 'op@example.com', '--username', 'opmade', '--role', 'admin', '--password-stdin', '--as-operator', '--json'], {
      env: t.env,
      input: PW,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(json(r).role).toBe('admin');
    const { rows } = await t.pool.query(`SELECT metadata FROM audit_logs WHERE event_type = 'user.created' AND resource_id = $1`, [json(r).id]);
    expect(rows[0].metadata).toEqual({ operator: true });
  });

  it('lists users with filters', async () => {
    let r = await runCli(['users', 'list', '--json'], { env: admin.env });
    expect(r.code, r.stderr).toBe(0);
    expect(json(r).map((u: any) => u.username)).toEqual(['root', 'bob', 'opmade']);
    r = await runCli(['users', 'list', '--role', 'admin', '--json'], { env: admin.env });
    expect(json(r).map((u: any) => u.username)).toEqual(['root', 'opmade']);
    r = await runCli(['users', 'list', '--search', 'Bob B', '--json'], { env: admin.env });
    expect(json(r).map((u: any) => u.username)).toEqual(['bob']);
    r = await runCli(['users', 'list', '--inactive', '--json'], { env: admin.env });
    expect(json(r)).toEqual([]);
    r = await runCli(['users', 'list'], { env: admin.env });
    expect(r.stdout.trim().split('\n')).toHaveLength(3);
    expect(r.stdout).toMatch(/^\S+\tbob@example.com\tbob\tuser\tyes\t/m);
  });

  it('shows a user by id, email or username', async () => {
    const results = await Promise.all([bobId, 'BOB@example.com', 'bob'].map((ref) => runCli(['users', 'show', ref, '--json'], { env: admin.env })));
    for (const r of results) {
      expect(r.code, r.stderr).toBe(0);
      expect(json(r).id).toBe(bobId);
    }
    const r = await runCli(['users', 'show', 'ghost'], { env: admin.env });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^error: user "ghost" not found \(/);
  });

  it('updates a profile and a role, with before/after in the audit row', async () => {
    const r = await runCli(['users', 'update', 'bob', '--full-name', 'Robert', '--avatar-url', 'https://example.com/b.png', '--json'], { env: admin.env });
    expect(r.code, r.stderr).toBe(0);
    expect(json(r)).toMatchObject({ full_name: 'Robert', avatar_url: 'https://example.com/b.png' });
    const { rows } = await t.pool.query(`SELECT changes FROM audit_logs WHERE event_type = 'user.updated' AND resource_id = $1`, [bobId]);
    expect(rows[0].changes).toEqual({
      before: { full_name: 'Bob B', avatar_url: null },
      after: { full_name: 'Robert', avatar_url: 'https://example.com/b.png' },
    });
  });

  it('gives exit 5 naming the field for a duplicate email or username, and changes nothing', async () => {
    let r = await runCli(['users', 'create', '--email', 'bob@example.com', '--username', 'bob2', '--password-stdin'], { env: admin.env, input: PW });
    expect(r.code).toBe(5);
    expect(r.stderr).toBe('error: a user with email "bob@example.com" already exists (choose another email)\n');
    r = await runCli(['users', 'update', 'bob', '--username', 'root'], { env: admin.env });
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/^error: a user with username "root" already exists/);
    expect(await count(`SELECT count(*)::int AS n FROM users WHERE username = 'bob2'`)).toBe(0);
  });

  it('rejects bad input with exit 2 and writes nothing', async () => {
    const before = await count(`SELECT count(*)::int AS n FROM audit_logs`);
    const cases: Array<[string[], string | undefined, RegExp]> = [
      [['users', 'create', '--email', 'not-an-email', '--username', 'x1', '--password-stdin'], PW, /^error: invalid email "not-an-email"/],
      [['users', 'create', '--email', 'a@b', '--username', 'x1', '--password-stdin'], PW, /^error: invalid email "a@b"/],
      [['users', 'create', '--email', 'x1@example.com', '--username', 'x1', '--password-stdin'], 'short', /^error: password must be at least 12 characters/],
      [['users', 'create', '--email', 'x1@example.com', '--username', 'x1', '--role', 'root', '--password-stdin'], PW, /^error: unknown role "root" \(use one of: user, admin\)/],
      [['users', 'create', '--email', 'x1@example.com', '--username', 'x1'], PW, /^error: the password needs a terminal to prompt \(pass --password-stdin\)/],
      [['users', 'update', 'bob', '--role', 'superuser'], undefined, /^error: unknown role "superuser"/],
      [['users', 'update', 'bob'], undefined, /^error: nothing to update/],
      [['users', 'set-password', 'bob', '--password-stdin'], 'tooshort', /^error: password must be at least 12/],
      [['users', 'set-password', 'bob'], PW, /pass --password-stdin/],
      [['users', 'delete', 'bob'], undefined, /pass --yes/],
    ];
    const results = await Promise.all(cases.map(([args, input]) => runCli(args, { env: admin.env, input })));
    for (const [i, [, , err]] of cases.entries()) {
      expectOneLineError(results[i]!, 2, err);
    }
    expect(await count(`SELECT count(*)::int AS n FROM users WHERE username = 'x1'`)).toBe(0);
    expect(await count(`SELECT count(*)::int AS n FROM audit_logs`)).toBe(before);
  });

  it("ends a disabled user's live session at once, in both stores", async () => {
    const bobToken = await loginToken(t, 'bob@example.com');
    const bobEnv = { ...t.env, JOBSPRINT_TOKEN: bobToken };
    expect((await runCli(['whoami'], { env: bobEnv })).code).toBe(0); // now cached in Redis
    const sid = (await t.pool.query(`SELECT id FROM sessions WHERE token_hash = $1`, [sha256(bobToken)])).rows[0].id;
    expect(await redis.exists(`session:${sid}`)).toBe(1);

    const r = await runCli(['users', 'disable', 'bob', '--json'], { env: admin.env });
    expect(r.code, r.stderr).toBe(0);
    expect(json(r)).toMatchObject({ is_active: false, sessions_ended: 1 });
    expect(await redis.exists(`session:${sid}`)).toBe(0);
    expect((await t.pool.query(`SELECT is_active FROM sessions WHERE id = $1`, [sid])).rows[0].is_active).toBe(false);

    const next = await runCli(['whoami'], { env: bobEnv });
    expect(next.code).toBe(4);
    expect(next.stderr).toBe('error: the session has ended: your account was disabled (ask an admin to enable your account)\n');
    const login = await runCli(['login', '--email', 'bob@example.com', '--password-stdin'], { env: t.env, input: PW });
    expect(login.code).toBe(4);
    expect(login.stderr).toMatch(/^error: your account is disabled/);
    const ev = await t.pool.query(`SELECT metadata FROM audit_logs WHERE event_type = 'user.disabled' AND resource_id = $1`, [bobId]);
    expect(ev.rows[0].metadata).toMatchObject({ sessions_ended: 1 });

    expect((await runCli(['users', 'enable', 'bob'], { env: admin.env })).code).toBe(0);
    expect((await runCli(['login', '--email', 'bob@example.com', '--password-stdin', '--print-token'], { env: t.env, input: PW })).code).toBe(0);
  });

  it('drops cached sessions when a role changes, so the next command sees the new role', async () => {
    const bob = { ...t.env, JOBSPRINT_TOKEN: await loginToken(t, 'bob@example.com') };
    expect(json(await runCli(['whoami', '--json'], { env: bob })).role).toBe('user');
    expect((await runCli(['users', 'update', 'bob', '--role', 'admin'], { env: admin.env })).code).toBe(0);
    expect(json(await runCli(['whoami', '--json'], { env: bob })).role).toBe('admin');
    expect((await runCli(['users', 'update', 'bob', '--role', 'user'], { env: admin.env })).code).toBe(0);
    expect(json(await runCli(['whoami', '--json'], { env: bob })).role).toBe('user');
  });

  it('set-password ends the other sessions; the old password stops working', async () => {
    const bob = { ...t.env, JOBSPRINT_TOKEN: await loginToken(t, 'bob@example.com') };
    const newPw = 'a brand new passphrase';
    const r = await runCli(['users', 'set-password', 'bob', '--password-stdin'], { env: admin.env, input: newPw });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toContain(newPw);
    expect((await runCli(['whoami'], { env: bob })).code).toBe(4);
    expect((await runCli(['login', '--email', 'bob@example.com', '--password-stdin', '--print-token'], { env: t.env, input: PW })).code).toBe(4);
    const own = { ...t.env, JOBSPRINT_TOKEN: await loginToken(t, 'bob@example.com', newPw) };
    // A user changes their own password; their current session survives.
    expect((await runCli(['users', 'set-password', 'bob', '--password-stdin'], { env: own, input: PW })).code).toBe(0);
    expect((await runCli(['whoami'], { env: own })).code).toBe(0);
    const ev = await t.pool.query(`SELECT changes, metadata FROM audit_logs WHERE event_type = 'user.password_changed' ORDER BY created_at`);
    expect(ev.rows).toHaveLength(2);
    expect(JSON.stringify(ev.rows)).not.toMatch(/passphrase|correct horse|argon2/);
  });

  it('protects the last active admin', async () => {
    expect((await runCli(['users', 'disable', 'opmade'], { env: admin.env })).code).toBe(0);
    const r = await runCli(['users', 'update', 'root', '--role', 'user'], { env: admin.env });
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/^error: cannot demote the last active admin/);
    expect((await runCli(['users', 'disable', 'root'], { env: admin.env })).code).toBe(5);
    expect((await runCli(['users', 'delete', 'root', '--yes'], { env: admin.env })).code).toBe(5);
    expect((await runCli(['users', 'enable', 'opmade'], { env: admin.env })).code).toBe(0);
  });

  it('deletes a user: their sessions end and the audit row survives', async () => {
    const carol = await createUserAndLogin(t, { email: 'carol@example.com', username: 'carol' });
    const r = await runCli(['users', 'delete', 'carol', '--yes', '--json'], { env: admin.env });
    expect(r.code, r.stderr).toBe(0);
    expect(json(r)).toMatchObject({ id: carol.userId, deleted: true, sessions_ended: 1 });
    const next = await runCli(['whoami'], { env: carol.env });
    expect(next.code).toBe(4);
    expect(await count(`SELECT count(*)::int AS n FROM users WHERE id = $1`, [carol.userId])).toBe(0);
    const ev = await t.pool.query(`SELECT user_id, changes FROM audit_logs WHERE event_type = 'user.deleted' AND resource_id = $1`, [carol.userId]);
    expect(ev.rows[0]).toMatchObject({ user_id: admin.userId, changes: { before: { email: 'carol@example.com' } } });
  });
});

describe('audit list', () => {
  it('shows admins every event, with filters', async () => {
    let r = await runCli(['audit', 'list', '--json', '--limit', '500'], { env: admin.env });
    expect(r.code, r.stderr).toBe(0);
    const all = json(r);
    expect(new Set(all.map((e: any) => e.event_type))).toEqual(
      new Set(['user.created', 'user.login', 'user.updated', 'user.disabled', 'user.enabled', 'user.login_failed', 'user.password_changed', 'user.deleted']),
    );
    r = await runCli(['audit', 'list', '--event', 'user.login', '--user', 'bob', '--json'], { env: admin.env });
    const bobLogins = json(r);
    expect(bobLogins.length).toBeGreaterThan(0);
    expect(bobLogins.every((e: any) => e.event_type === 'user.login' && e.resource_type === 'session')).toBe(true);
    r = await runCli(['audit', 'list', '--event', 'user.*', '--resource-type', 'user', '--since', '1h', '--limit', '2', '--json'], { env: admin.env });
    expect(json(r)).toHaveLength(2);
    r = await runCli(['audit', 'list', '--until', '2000-01-01', '--json'], { env: admin.env });
    expect(json(r)).toEqual([]);
    r = await runCli(['audit', 'list', '--since', 'yesterday-ish'], { env: admin.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: --since must be an ISO date\/time or a duration/);
  });

  it('shows a user only their own events', async () => {
    const dave = await createUserAndLogin(t, { email: 'dave@example.com', username: 'dave' });
    let r = await runCli(['audit', 'list', '--json'], { env: dave.env });
    expect(r.code, r.stderr).toBe(0);
    const rows = json(r);
    expect(rows.map((e: any) => e.event_type).sort()).toEqual(['user.created', 'user.login']);
    expect(rows.every((e: any) => e.user_id === dave.userId || e.resource_id === dave.userId)).toBe(true);
    r = await runCli(['audit', 'list', '--user', 'bob'], { env: dave.env });
    expect(r.code).toBe(3);
  });
});
