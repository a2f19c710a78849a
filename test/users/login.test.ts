import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createTestEnv, type TestEnv } from '../helpers/env.js';
import { runCli, json } from '../helpers/cli.js';
import { DEFAULT_TEST_PASSWORD as PW, createUserAndLogin, insertSessionRow, loginToken } from '../helpers/users.js';

let t: TestEnv;
let redis: Redis;
const tokenFile = () => join(t.home, '.config', 'jobsprint', 'tokens.json');
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

beforeAll(async () => {
  t = await createTestEnv({ amqp: false });
  redis = new Redis(t.redisUrl, { keyPrefix: t.redisPrefix });
});
afterAll(async () => {
  redis?.disconnect();
  await t?.cleanup();
});

describe('first admin, login, whoami, logout', () => {
  let token: string;

  it('creates the first user without a session, as admin', async () => {
    const r = await runCli(['users', 'create', '--email', 'Ada@Example.com', '--username', 'ada', '--password-stdin', '--json'], { env: t.env, input: PW });
    expect(r.code, r.stderr).toBe(0);
    expect(json(r)).toMatchObject({ email: 'ada@example.com', username: 'ada', role: 'admin', is_active: true });
    expect(r.stdout).not.toContain('password');
    const { rows } = await t.pool.query(`SELECT password_hash FROM users WHERE email = 'ada@example.com'`);
    expect(rows[0].password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  });

  it('refuses a second user without a session, naming --as-operator', async () => {
    const r = await runCli(['users', 'create', '--email', 'eve@example.com', '--username', 'eve', '--password-stdin'], { env: t.env, input: PW });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^error: only an admin can create users \(.*--as-operator/);
    const { rows } = await t.pool.query(`SELECT count(*)::int AS n FROM users`);
    expect(rows[0].n).toBe(1);
  });

  it('logs in with --password-stdin, stores the token in a 0600 file and never prints it', async () => {
    const r = await runCli(['login', '--email', 'ada@example.com', '--password-stdin'], { env: t.env, input: PW + '\n' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Logged in as ada <ada@example.com> \(admin\)/);
    expect(statSync(tokenFile()).mode & 0o777).toBe(0o600);
    token = JSON.parse(readFileSync(tokenFile(), 'utf8')).default;
    expect(token).toMatch(/^jsp_[0-9a-f]{32}_[A-Za-z0-9_-]{43}$/);
    expect(r.stdout + r.stderr).not.toContain(token);
  });

  it('login --json prints user and session metadata but not the token', async () => {
    const r = await runCli(['login', '--email', 'ada@example.com', '--password-stdin', '--json'], { env: t.env, input: PW });
    expect(r.code, r.stderr).toBe(0);
    const doc = json(r);
    expect(doc).toMatchObject({ user: { email: 'ada@example.com', role: 'admin' }, session: { device_type: 'cli' }, token_storage: 'file' });
    const newToken = JSON.parse(readFileSync(tokenFile(), 'utf8')).default as string;
    expect(r.stdout).not.toContain(newToken);
    // The session the new login replaced is over.
    const old = await runCli(['whoami'], { env: { ...t.env, JOBSPRINT_TOKEN: token } });
    expect(old.code).toBe(4);
    token = newToken;
  });

  it('whoami --json shows user, role, expiry and where the token is, never the token', async () => {
    const r = await runCli(['whoami', '--json'], { env: t.env });
    expect(r.code, r.stderr).toBe(0);
    const doc = json(r);
    expect(doc).toMatchObject({ email: 'ada@example.com', username: 'ada', role: 'admin', token_source: 'file', token_location: tokenFile() });
    const hours = (Date.parse(doc.session_expires_at) - Date.now()) / 3_600_000;
    expect(hours).toBeGreaterThan(23.9);
    expect(hours).toBeLessThanOrEqual(24);
    expect(r.stdout).not.toContain(token);
    const human = await runCli(['whoami'], { env: t.env });
    expect(human.stdout).toMatch(/^email\tada@example.com$/m);
    expect(human.stdout).not.toContain(token);
  });

  it('stores only the SHA-256 of the token in PostgreSQL, and caches the session in Redis', async () => {
    const { rows } = await t.pool.query(`SELECT * FROM sessions WHERE token_hash = $1`, [sha256(token)]);
    expect(rows).toHaveLength(1);
    const s = rows[0];
    expect(s).toMatchObject({ device_type: 'cli', is_active: true });
    expect(s.device_name).toBeTruthy();
    for (const table of ['sessions', 'audit_logs', 'users']) {
      const { rows: hits } = await t.pool.query(`SELECT count(*)::int AS n FROM ${table} x WHERE row_to_json(x)::text LIKE $1`, [`%${token.slice(-43)}%`]);
      expect(hits[0].n, table).toBe(0);
    }
    const cached = await redis.hgetall(`session:${s.id}`);
    expect(cached).toMatchObject({ user_id: s.user_id, token_hash: sha256(token) });
    expect(Object.keys(cached)).toEqual(expect.arrayContaining(['user_id', 'created_at', 'last_activity', 'device_info']));
    expect(JSON.stringify(cached)).not.toContain(token);
    const ttl = await redis.ttl(`session:${s.id}`);
    expect(ttl).toBeGreaterThan(24 * 3600 - 120);
    expect(ttl).toBeLessThanOrEqual(24 * 3600);
  });

  it('falls back to PostgreSQL when Redis lost the session, and refills it', async () => {
    const { rows } = await t.pool.query(`SELECT id FROM sessions WHERE token_hash = $1`, [sha256(token)]);
    await redis.del(`session:${rows[0].id}`);
    const r = await runCli(['whoami', '--json'], { env: t.env });
    expect(r.code, r.stderr).toBe(0);
    expect(await redis.exists(`session:${rows[0].id}`)).toBe(1);
  });

  it('writes last_activity_at at most once a minute', async () => {
    const { rows } = await t.pool.query(
      `UPDATE sessions SET last_activity_at = NOW() - INTERVAL '5 minutes' WHERE token_hash = $1 RETURNING id, last_activity_at`,
      [sha256(token)],
    );
    await redis.hset(`session:${rows[0].id}`, { last_activity: rows[0].last_activity_at.toISOString() });
    expect((await runCli(['whoami'], { env: t.env })).code).toBe(0);
    const after1 = (await t.pool.query(`SELECT last_activity_at FROM sessions WHERE id = $1`, [rows[0].id])).rows[0].last_activity_at as Date;
    expect(Date.now() - after1.getTime()).toBeLessThan(30_000);
    expect((await runCli(['whoami'], { env: t.env })).code).toBe(0);
    const after2 = (await t.pool.query(`SELECT last_activity_at FROM sessions WHERE id = $1`, [rows[0].id])).rows[0].last_activity_at as Date;
    expect(after2.getTime()).toBe(after1.getTime());
  });

  it('logout ends the session in both stores and forgets the token', async () => {
    const { rows } = await t.pool.query(`SELECT id FROM sessions WHERE token_hash = $1`, [sha256(token)]);
    const r = await runCli(['logout'], { env: t.env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Logged out of ada@example.com/);
    const s = await t.pool.query(`SELECT is_active FROM sessions WHERE id = $1`, [rows[0].id]);
    expect(s.rows[0].is_active).toBe(false);
    expect(await redis.exists(`session:${rows[0].id}`)).toBe(0);
    expect(JSON.parse(readFileSync(tokenFile(), 'utf8')).default).toBeUndefined();
    const who = await runCli(['whoami'], { env: t.env });
    expect(who.code).toBe(4);
    expect(who.stderr).toBe('error: not logged in (run `jobsprint login` (or set JOBSPRINT_TOKEN))\n');
    const reuse = await runCli(['whoami'], { env: { ...t.env, JOBSPRINT_TOKEN: token } });
    expect(reuse.code).toBe(4);
    expect(reuse.stderr).toMatch(/^error: the session has ended: you logged out \(run `jobsprint login`\)$/m);
    const audit = await t.pool.query(`SELECT event_type, user_agent, request_id FROM audit_logs WHERE resource_id = $1 ORDER BY created_at`, [rows[0].id]);
    expect(audit.rows.map((a) => a.event_type)).toEqual(['user.login', 'session.revoked']);
    expect(audit.rows[1].user_agent).toMatch(/^jobsprint-cli\/\d+\.\d+\.\d+/);
    expect(audit.rows[1].request_id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('login --print-token prints only the token and stores nothing', async () => {
    const r = await runCli(['login', '--email', 'ada@example.com', '--password-stdin', '--print-token'], { env: t.env, input: PW });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^jsp_[0-9a-f]{32}_[A-Za-z0-9_-]{43}\n$/);
    expect(JSON.parse(readFileSync(tokenFile(), 'utf8')).default).toBeUndefined();
    const who = await runCli(['whoami', '--json'], { env: { ...t.env, JOBSPRINT_TOKEN: r.stdout.trim() } });
    expect(json(who)).toMatchObject({ email: 'ada@example.com', token_source: 'env', token_location: 'JOBSPRINT_TOKEN' });
  });
});

describe('login protection', () => {
  beforeAll(async () => {
    if (!existsSync(tokenFile())) await createUserAndLogin(t, { email: 'ada@example.com', username: 'ada' });
    await runCli(['users', 'create', '--email', 'bob@example.com', '--username', 'bob', '--password-stdin', '--as-operator'], { env: t.env, input: PW });
  });

  it('gives the same one-line error, exit 4, for a wrong password and an unknown email, and audits both', async () => {
    const wrong = await runCli(['login', '--email', 'bob@example.com', '--password-stdin'], { env: t.env, input: 'not the password!' });
    const unknown = await runCli(['login', '--email', 'nobody@example.com', '--password-stdin'], { env: t.env, input: 'not the password!' });
    expect(wrong.code).toBe(4);
    expect(unknown.code).toBe(4);
    expect(wrong.stderr).toBe('error: invalid email or password (check them and try again)\n');
    expect(unknown.stderr).toBe(wrong.stderr);
    expect(wrong.stdout + unknown.stdout).toBe('');
    const { rows } = await t.pool.query(
      `SELECT a.user_id, a.metadata, u.email FROM audit_logs a LEFT JOIN users u ON u.id = a.user_id
        WHERE event_type = 'user.login_failed' ORDER BY a.created_at`,
    );
    expect(rows.map((r) => [r.email, r.metadata.reason])).toEqual([
      ['bob@example.com', 'wrong_password'],
      [null, 'unknown_email'],
    ]);
    expect(JSON.stringify(rows)).not.toContain('not the password!');
    const s = await t.pool.query(`SELECT count(*)::int AS n FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = 'bob@example.com'`);
    expect(s.rows[0].n).toBe(0);
  });

  it('rate-limits the sixth failure within a minute, even with the right password', async () => {
    const email = 'carol@example.com';
    await runCli(['users', 'create', '--email', email, '--username', 'carol', '--password-stdin', '--as-operator'], { env: t.env, input: PW });
    // In parallel, so a loaded machine still fits five failures into the 60 s window.
    const failures = await Promise.all(
      [0, 1, 2, 3, 4].map((i) => runCli(['login', '--email', email, '--password-stdin'], { env: t.env, input: `wrong password ${i}` })),
    );
    for (const r of failures) expect(r.stderr).toMatch(/invalid email or password/);
    const sixth = await runCli(['login', '--email', email, '--password-stdin'], { env: t.env, input: PW });
    expect(sixth.code).toBe(4);
    expect(sixth.stderr).toMatch(/^error: too many failed logins for carol@example.com; try again in (\d+) s/);
    const seconds = Number(/try again in (\d+) s/.exec(sixth.stderr)![1]);
    expect(seconds).toBeGreaterThan(0);
    expect(seconds).toBeLessThanOrEqual(60);
    expect(await redis.zcard(`ratelimit:${email}:login`)).toBe(5);
    const { rows } = await t.pool.query(`SELECT metadata->>'reason' AS reason FROM audit_logs WHERE event_type = 'user.login_failed' AND metadata->>'email' = $1`, [email]);
    expect(rows.map((r) => r.reason).sort()).toEqual([...Array(5).fill('wrong_password'), 'rate_limited'].sort());
    // Another email is not affected.
    expect((await runCli(['login', '--email', 'bob@example.com', '--password-stdin', '--print-token'], { env: t.env, input: PW })).code).toBe(0);
  });

  it('rejects a password on a non-TTY without --password-stdin, naming the flag', async () => {
    const r = await runCli(['login', '--email', 'bob@example.com'], { env: t.env, input: PW });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('error: the password needs a terminal to prompt (pass --password-stdin)\n');
  });

  it('rejects forged, malformed and expired tokens with exit 4', async () => {
    const forged = `jsp_${'a'.repeat(32)}_${'b'.repeat(43)}`;
    for (const tok of [forged, 'not-a-token']) {
      const r = await runCli(['whoami'], { env: { ...t.env, JOBSPRINT_TOKEN: tok } });
      expect(r.code).toBe(4);
      expect(r.stderr).toMatch(/^error: the session token is (not valid|malformed) \(run `jobsprint login`\)\n$/);
    }
    const tok = await loginToken(t, 'bob@example.com');
    const { rows } = await t.pool.query(`UPDATE sessions SET expires_at = NOW() - INTERVAL '1 second' WHERE token_hash = $1 RETURNING id`, [sha256(tok)]);
    await redis.del(`session:${rows[0].id}`);
    const r = await runCli(['whoami'], { env: { ...t.env, JOBSPRINT_TOKEN: tok } });
    expect(r.code).toBe(4);
    expect(r.stderr).toBe('error: the session has expired (run `jobsprint login`)\n');
  });

  it('falls back to a 0600 file with a one-line warning where no OS keychain is available', async () => {
    const cfg = join(t.home, 'nokeychain');
    const env = { ...t.env, JOBSPRINT_KEYRING: undefined, DBUS_SESSION_BUS_ADDRESS: undefined, XDG_CONFIG_HOME: cfg };
    const r = await runCli(['login', '--email', 'bob@example.com', '--password-stdin'], { env, input: PW });
    expect(r.code, r.stderr).toBe(0);
    const file = join(cfg, 'jobsprint', 'tokens.json');
    expect(r.stderr).toBe(`warning: no OS keychain available; the token is stored in plain text in ${file} (mode 0600)\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(json(await runCli(['whoami', '--json'], { env }))).toMatchObject({ email: 'bob@example.com', token_source: 'file' });
  });

  it('fails with exit 6 within seconds when Redis is down', async () => {
    const tok = await loginToken(t, 'bob@example.com');
    const r = await runCli(['whoami'], { env: { ...t.env, JOBSPRINT_TOKEN: tok, JOBSPRINT_REDIS_URL: 'redis://127.0.0.1:1', JOBSPRINT_CONNECT_TIMEOUT_MS: '2000' } });
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/^error: Redis unavailable at redis:\/\/127.0.0.1:1/);
  });

  it('honours session_ttl_hours for new sessions', async () => {
    const r = await runCli(['login', '--email', 'bob@example.com', '--password-stdin', '--json'], {
      env: { ...t.env, JOBSPRINT_SESSION_TTL_HOURS: '2', XDG_CONFIG_HOME: join(t.home, 'ttl') },
      input: PW,
    });
    const hours = (Date.parse(json(r).session.expires_at) - Date.now()) / 3_600_000;
    expect(hours).toBeGreaterThan(1.9);
    expect(hours).toBeLessThanOrEqual(2);
  });

  it('a login deletes sessions that expired or ended over a week ago, keeping live and recent ones', async () => {
    const bob = (await t.pool.query(`SELECT id FROM users WHERE email = 'bob@example.com'`)).rows[0].id;
    // Rows as days of use leave them: [expires_at, is_active, ended_at] relative to now.
    const rows: Record<string, [string, boolean, string | null]> = {
      expiredLongAgo: ['-8 days', true, null],
      endedLongAgo: ['+1 day', false, '-8 days'],
      endedLongAgoNoStamp: ['-9 days', false, null],
      expiredRecently: ['-1 day', true, null],
      endedRecently: ['+1 day', false, '-1 day'],
      live: ['+1 day', true, null],
    };
    const ids: Record<string, string> = {};
    for (const [name, [expires, active, ended]] of Object.entries(rows)) ids[name] = await insertSessionRow(t.pool, bob, { expires, active, ended });
    const live = await loginToken(t, 'bob@example.com');
    const left = (await t.pool.query(`SELECT id FROM sessions WHERE id = ANY($1::uuid[])`, [Object.values(ids)])).rows.map((r) => r.id);
    expect(left.sort()).toEqual([ids.expiredRecently, ids.endedRecently, ids.live].sort());
    // No stale session of any user is left; the new one works.
    const stale = await t.pool.query(
      `SELECT count(*)::int AS n FROM sessions WHERE expires_at < NOW() - INTERVAL '7 days'
          OR (NOT is_active AND COALESCE((session_data->>'ended_at')::timestamptz, expires_at) < NOW() - INTERVAL '7 days')`,
    );
    expect(stale.rows[0].n).toBe(0);
    expect((await runCli(['whoami'], { env: { ...t.env, JOBSPRINT_TOKEN: live } })).code).toBe(0);
  });
});
