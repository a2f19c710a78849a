import type { TestEnv } from './env.js';
import { runCli } from './cli.js';

export interface LoggedInUser {
  userId: string;
  token: string;
  /** t.env plus JOBSPRINT_TOKEN: pass it to runCli to act as this user. */
  env: NodeJS.ProcessEnv;
}

export const DEFAULT_TEST_PASSWORD = 'correct horse battery staple';

/**
 * Create a user through the CLI and log them in, in one line:
 *
 *   const alice = await createUserAndLogin(t, { email: 'alice@example.com', username: 'alice' });
 *   await runCli(['workflows', 'list', '--json'], { env: alice.env });
 *
 * The first user of a test database becomes admin (bootstrap, whatever `role` says); later users
 * are created with --as-operator and get `role` (default user). The token comes from
 * `login --print-token`, so nothing is written to the token file.
 */
export async function createUserAndLogin(
  t: TestEnv,
  opts: { email: string; username: string; role?: 'user' | 'admin'; password?: string },
): Promise<LoggedInUser> {
  const password = opts.password ?? DEFAULT_TEST_PASSWORD;
  const env = { ...t.env, JOBSPRINT_TOKEN: undefined };
  const created = await runCli(
    ['users', 'create', '--email', opts.email, '--username', opts.username, '--role', opts.role ?? 'user', '--password-stdin', '--as-operator', '--json'],
    { env, input: password },
  );
  if (created.code !== 0) throw new Error(`users create failed (exit ${created.code}): ${created.stderr}`);
  const userId = (JSON.parse(created.stdout) as { id: string }).id;
  const token = await loginToken(t, opts.email, password);
  return { userId, token, env: { ...t.env, JOBSPRINT_TOKEN: token } };
}

/** Log an existing user in and return a fresh session token (for JOBSPRINT_TOKEN). */
export async function loginToken(t: TestEnv, email: string, password = DEFAULT_TEST_PASSWORD): Promise<string> {
  const r = await runCli(['login', '--email', email, '--password-stdin', '--print-token'], {
    env: { ...t.env, JOBSPRINT_TOKEN: undefined },
    input: password,
  });
  if (r.code !== 0) throw new Error(`login failed (exit ${r.code}): ${r.stderr}`);
  return r.stdout.trim();
}

/**
 * A session row as days of use leave it, written directly (no token that works): `expires` and
 * `ended` are intervals relative to now (e.g. '-8 days'); `ended` null means it never ended.
 */
export async function insertSessionRow(
  pool: TestEnv['pool'],
  userId: string,
  s: { expires: string; active: boolean; ended: string | null },
): Promise<string> {
  const r = await pool.query(
    `INSERT INTO sessions (user_id, token_hash, session_data, expires_at, is_active)
     VALUES ($1, md5(random()::text) || md5(random()::text),
             CASE WHEN $2::interval IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('ended_reason', 'logout', 'ended_at', NOW() + $2::interval) END,
             NOW() + $3::interval, $4)
     RETURNING id`,
    [userId, s.ended, s.expires, s.active],
  );
  return r.rows[0].id;
}
