import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Core } from './context.js';
import { JobsprintError } from './errors.js';
import { maskUrl } from './mask.js';
import type { MigrationStatus } from './db/migrate.js';
import { withTimeout } from './timeout.js';

/**
 * `jobsprint doctor`: what each part of Jobsprint runs on here, and whether it works. Read-only:
 * it never creates the embedded database or applies migrations. Each probe is bounded by the
 * connect timeout, and they run side by side.
 */
export type Backend = 'embedded' | 'server' | 'in-process';

export interface ServiceCheck {
  backend: Backend;
  /** Masked URL, data directory, or "this process". */
  location: string;
  /** Whether this installation cannot work without it (the database; a configured server). */
  required: boolean;
  reachable: boolean;
  version: string | null;
  /** What is wrong or noteworthy, in one sentence. */
  detail: string | null;
}

export interface DoctorReport {
  ok: boolean;
  database: ServiceCheck;
  redis: ServiceCheck;
  rabbitmq: ServiceCheck;
  migrations: { applied: number; pending: number; pending_names: string[]; latest_applied: string | null } | null;
  encryption_keys: { configured: boolean; count: number; active_key_id: string | null; location: string | null; detail: string | null };
  login: { present: boolean; valid: boolean | null; email: string | null; role: string | null; expires_at: string | null; location: string | null; detail: string | null };
}

function message(err: unknown): string {
  return ((err as Error)?.message ?? String(err)).split('\n')[0]!;
}


interface DatabaseProbe {
  check: ServiceCheck;
  status: MigrationStatus[] | null;
  /** Keeps the embedded database open for the login check; call when done. */
  release?: () => Promise<void>;
}

async function checkDatabase(core: Core): Promise<DatabaseProbe> {
  const url = core.config.get('database_url');
  const timeout = core.connectTimeoutMs;
  if (url) {
    const check: ServiceCheck = { backend: 'server', location: maskUrl(url), required: true, reachable: false, version: null, detail: null };
    try {
      const { default: pg } = await import('pg');
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeout });
      client.on('error', () => {});
      try {
        await withTimeout(client.connect(), timeout + 500, `PostgreSQL: no answer within ${timeout + 500} ms`);
        const r = await client.query<{ v: string }>("SELECT current_setting('server_version') AS v");
        check.version = `PostgreSQL ${r.rows[0]!.v}`;
        check.reachable = true;
        // The migration status over the same connection.
        const { readMigrationStatus } = await import('./db/migrate.js');
        return { check, status: await readMigrationStatus(client) };
      } finally {
        await client.end().catch(() => {});
      }
    } catch (err) {
      check.detail = message(err);
      return { check, status: null };
    }
  }
  const { embeddedDataDir, embeddedLockPath, openEmbedded } = await import('./db/embedded.js');
  const dir = embeddedDataDir(core.config.env);
  const check: ServiceCheck = { backend: 'embedded', location: dir, required: true, reachable: false, version: null, detail: null };
  if (!existsSync(join(dir, 'PG_VERSION'))) {
    // Not an error: the first command that needs it creates it.
    check.reachable = true;
    check.detail = 'not created yet; `jobsprint quickstart` (or any command that needs it) creates it';
    return { check, status: null };
  }
  const { readLockHolder } = await import('./db/embedded-lock.js');
  const holder = readLockHolder(embeddedLockPath(core.config.env));
  if (holder && holder.pid !== process.pid) {
    check.detail = `in use by pid ${holder.pid} (${holder.command}); set JOBSPRINT_DATABASE_URL to share a server between processes`;
    return { check, status: null };
  }
  try {
    const db = await openEmbedded(core.config, { migrate: false, command: 'jobsprint doctor' });
    try {
      const r = await db.query<{ v: string }>("SELECT current_setting('server_version') AS v");
      check.version = `PostgreSQL ${r.rows[0]!.v} (PGlite)`;
      check.reachable = true;
      const { embeddedMigrationStatus } = await import('./db/pglite-migrate.js');
      return { check, status: await db.withClient((c) => embeddedMigrationStatus(c)), release: () => db.close() };
    } catch (err) {
      await db.close();
      throw err;
    }
  } catch (err) {
    check.detail = message(err);
    return { check, status: null };
  }
}

async function checkRedis(core: Core): Promise<ServiceCheck> {
  const url = core.config.get('redis_url');
  if (!url) {
    return { backend: 'in-process', location: 'this process', required: false, reachable: true, version: null, detail: 'cache, rate limits, locks and live events stay inside each process' };
  }
  const check: ServiceCheck = { backend: 'server', location: maskUrl(url), required: true, reachable: false, version: null, detail: null };
  try {
    const { connectRedis } = await import('./services/redis.js');
    const client = await connectRedis({ url, connectTimeoutMs: core.connectTimeoutMs });
    try {
      const info = await client.info('server');
      check.version = `Redis ${/redis_version:([^\r\n]+)/.exec(info)?.[1] ?? 'unknown'}`;
      check.reachable = true;
    } finally {
      client.disconnect();
    }
  } catch (err) {
    check.detail = message(err);
  }
  return check;
}

async function checkRabbit(core: Core): Promise<ServiceCheck> {
  const url = core.config.get('amqp_url');
  if (!url) {
    return { backend: 'in-process', location: 'this process', required: false, reachable: true, version: null, detail: '`run` executes workflows in the process that queues them' };
  }
  const check: ServiceCheck = { backend: 'server', location: maskUrl(url), required: true, reachable: false, version: null, detail: null };
  try {
    const { connectAmqp } = await import('./services/amqp.js');
    const conn = await connectAmqp(url, core.connectTimeoutMs);
    try {
      const props = (conn as unknown as { connection?: { serverProperties?: { product?: string; version?: string } } }).connection?.serverProperties;
      check.version = props?.version ? `${props.product ?? 'RabbitMQ'} ${props.version}` : null;
      check.reachable = true;
    } finally {
      await conn.close().catch(() => {});
    }
  } catch (err) {
    check.detail = message(err);
  }
  return check;
}

async function checkKeys(core: Core): Promise<DoctorReport['encryption_keys']> {
  try {
    const { loadKeys } = await import('./credentials/keys.js');
    const loaded = await loadKeys(core.config);
    if (!loaded) {
      return { configured: false, count: 0, active_key_id: null, location: null, detail: 'no key-encryption keys: credentials cannot be stored; run `jobsprint keys init` or set JOBSPRINT_ENCRYPTION_KEYS' };
    }
    return { configured: true, count: loaded.keys.length, active_key_id: loaded.keys[0]?.id ?? null, location: loaded.location, detail: null };
  } catch (err) {
    return { configured: false, count: 0, active_key_id: null, location: null, detail: message(err) };
  }
}

async function checkLogin(core: Core, databaseUsable: boolean): Promise<DoctorReport['login']> {
  const none = { present: false, valid: null, email: null, role: null, expires_at: null, location: null };
  try {
    const { TokenStore } = await import('./auth/token-store.js');
    const stored = await new TokenStore(core.config).read();
    if (!stored) return { ...none, detail: 'not logged in; run `jobsprint login`' };
    const base = { ...none, present: true, location: stored.location };
    if (!databaseUsable) return { ...base, detail: 'not checked: the database is not usable' };
    const { authenticateSession } = await import('./auth/authenticate.js');
    try {
      const s = await authenticateSession(core, stored.token);
      return { ...base, valid: true, email: s.actor.email, role: s.actor.role, expires_at: s.expiresAt.toISOString(), detail: null };
    } catch (err) {
      if (err instanceof JobsprintError && err.exitCode === 4) return { ...base, valid: false, detail: `${err.message}; run \`jobsprint login\`` };
      throw err;
    }
  } catch (err) {
    return { ...none, detail: message(err) };
  }
}

export async function runDoctor(core: Core): Promise<DoctorReport> {
  const [db, redis, rabbitmq, keys] = await Promise.all([checkDatabase(core), checkRedis(core), checkRabbit(core), checkKeys(core)]);
  const status = db.status;
  const pending = status?.filter((s) => !s.applied) ?? [];
  const applied = status?.filter((s) => s.applied) ?? [];
  const migrations = status
    ? { applied: applied.length, pending: pending.length, pending_names: pending.map((s) => s.name), latest_applied: applied.at(-1)?.name ?? null }
    : null;
  // The session lives in the database (and Redis): check it only on an up-to-date schema,
  // so doctor never triggers the embedded database's automatic migration.
  const usable = db.check.reachable && !!status && pending.length === 0 && (!redis.required || redis.reachable);
  let login: DoctorReport['login'];
  try {
    login = await checkLogin(core, usable);
  } finally {
    await db.release?.();
  }
  const ok = [db.check, redis, rabbitmq].every((c) => !c.required || c.reachable);
  return { ok, database: db.check, redis, rabbitmq, migrations, encryption_keys: keys, login };
}
