import { readFileSync, mkdirSync, writeFileSync, renameSync, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, dirname } from 'node:path';
import { UsageError, NotFoundError } from './errors.js';
import { maskUrl } from './mask.js';

/**
 * Settings, resolved with the precedence flags > environment > selected profile > defaults.
 * Secret-bearing settings (URLs may hold passwords) are never taken from flags; they come from
 * the environment, a `*_FILE` path, or the profile file.
 */
export interface SettingSpec {
  key: string;
  env: string;
  description: string;
  default?: string;
  /** Accept `<ENV>_FILE` holding the value. */
  file?: boolean;
  /** The value is a URL whose password must be masked when printed. */
  url?: boolean;
  /** Never stored in a profile or printed. */
  secret?: boolean;
}

export const SETTINGS: SettingSpec[] = [
  { key: 'database_url', env: 'JOBSPRINT_DATABASE_URL', file: true, url: true, description: 'PostgreSQL URL; unset = embedded PGlite' },
  { key: 'redis_url', env: 'JOBSPRINT_REDIS_URL', file: true, url: true, description: 'Redis URL; unset = in-process cache/bus' },
  { key: 'amqp_url', env: 'JOBSPRINT_AMQP_URL', file: true, url: true, description: 'RabbitMQ URL; unset = in-process queue' },
  { key: 'redis_prefix', env: 'JOBSPRINT_REDIS_PREFIX', default: '', description: 'prefix for every Redis key and channel' },
  { key: 'amqp_prefix', env: 'JOBSPRINT_AMQP_PREFIX', default: 'jobsprint', description: 'prefix of RabbitMQ exchange and queue names' },
  { key: 'connect_timeout_ms', env: 'JOBSPRINT_CONNECT_TIMEOUT_MS', default: '5000', description: 'connect timeout for each service, ms' },
  { key: 'session_ttl_hours', env: 'JOBSPRINT_SESSION_TTL_HOURS', default: '24', description: 'login session lifetime, hours' },
  { key: 'execution_timeout_s', env: 'JOBSPRINT_EXECUTION_TIMEOUT_S', default: '3600', description: 'default execution timeout, seconds' },
  { key: 'env_allowlist', env: 'JOBSPRINT_ENV_ALLOWLIST', default: '', description: 'comma-separated env vars that $env may read' },
  { key: 'http_deny_networks', env: 'JOBSPRINT_HTTP_DENY_NETWORKS', default: '', description: 'extra CIDRs/hosts outbound HTTP may not reach, comma-separated (added to the defaults: link-local and cloud metadata are always denied)' },
  { key: 'execution_heartbeat_ms', env: 'JOBSPRINT_EXECUTION_HEARTBEAT_MS', default: '5000', description: 'how often a worker refreshes the heartbeat of running executions' },
  { key: 'execution_stale_ms', env: 'JOBSPRINT_EXECUTION_STALE_MS', default: '30000', description: 'a running execution with an older heartbeat may be re-claimed' },
  { key: 'execution_sweep_interval_ms', env: 'JOBSPRINT_EXECUTION_SWEEP_INTERVAL_MS', default: '5000', description: 'how often the daemon sweeper runs' },
  { key: 'execution_unpublished_after_ms', env: 'JOBSPRINT_EXECUTION_UNPUBLISHED_AFTER_MS', default: '5000', description: 'republish a pending execution never confirmed as published after this long' },
  { key: 'execution_stuck_pending_after_ms', env: 'JOBSPRINT_EXECUTION_STUCK_PENDING_AFTER_MS', default: '600000', description: 'republish a published execution still pending after this long' },
  { key: 'execution_node_data_max_bytes', env: 'JOBSPRINT_EXECUTION_NODE_DATA_MAX_BYTES', default: '65536', description: 'node input/output data above this size is stored truncated' },
  { key: 'execution_retry_base_ms', env: 'JOBSPRINT_EXECUTION_RETRY_BASE_MS', default: '1000', description: 'automatic retry backoff base (doubles each retry, plus jitter)' },
  { key: 'execution_retry_max_ms', env: 'JOBSPRINT_EXECUTION_RETRY_MAX_MS', default: '300000', description: 'automatic retry backoff cap' },
  { key: 'execution_event_log_ttl_s', env: 'JOBSPRINT_EXECUTION_EVENT_LOG_TTL_S', default: '600', description: "how long Redis keeps an execution's live event log after it ended (the database keeps the record)" },
  { key: 'execution_max_retries', env: 'JOBSPRINT_EXECUTION_MAX_RETRIES', default: '3', description: 'max_retries of a new execution unless run --max-retries says otherwise' },
  { key: 'log_level', env: 'JOBSPRINT_LOG_LEVEL', default: 'info', description: 'daemon log level' },
  { key: 'token', env: 'JOBSPRINT_TOKEN', secret: true, file: true, description: 'session token (CI); overrides keychain and token file' },
  { key: 'encryption_keys', env: 'JOBSPRINT_ENCRYPTION_KEYS', secret: true, file: true, description: 'key-encryption keys: id:base64,... (first is active)' },
];

export type SettingKey = (typeof SETTINGS)[number]['key'];
export type SettingSource = 'flag' | 'env' | 'env-file' | 'profile' | 'default' | 'unset';

export interface ResolvedSetting {
  key: string;
  value: string | undefined;
  source: SettingSource;
}

export interface ConfigFile {
  current_profile?: string;
  profiles: Record<string, Record<string, string>>;
}

export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'jobsprint');
}

export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_DATA_HOME || join(env.HOME || homedir(), '.local', 'share');
  return join(base, 'jobsprint');
}

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(configDir(env), 'config.json');
}

export function readConfigFile(env: NodeJS.ProcessEnv = process.env): ConfigFile {
  const path = configPath(env);
  if (!existsSync(path)) return { profiles: {} };
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UsageError(`config file ${path} is not valid JSON: ${(err as Error).message}`, {
      hint: 'fix or remove the file',
    });
  }
  const cfg = parsed as ConfigFile;
  if (!cfg || typeof cfg !== 'object') return { profiles: {} };
  cfg.profiles ??= {};
  return cfg;
}

export function writeConfigFile(cfg: ConfigFile, env: NodeJS.ProcessEnv = process.env): void {
  const path = configPath(env);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  // 0600: profiles may hold URLs with passwords.
  writeFileSync(tmp, JSON.stringify(cfg, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, path);
}

export class Config {
  readonly profile: string;
  private readonly values = new Map<string, ResolvedSetting>();

  constructor(
    readonly env: NodeJS.ProcessEnv = process.env,
    flags: { profile?: string; overrides?: Record<string, string | undefined>; allowMissingProfile?: boolean } = {},
  ) {
    const file = readConfigFile(env);
    this.profile = flags.profile || env.JOBSPRINT_PROFILE || file.current_profile || 'default';
    if (!flags.allowMissingProfile && (flags.profile || env.JOBSPRINT_PROFILE) && !file.profiles[this.profile] && this.profile !== 'default') {
      throw new NotFoundError(`profile "${this.profile}" not found`, { hint: 'see `jobsprint config list --profiles`' });
    }
    const prof = file.profiles[this.profile] ?? {};
    for (const spec of SETTINGS) {
      this.values.set(spec.key, resolveOne(spec, env, prof, flags.overrides?.[spec.key]));
    }
  }

  get(key: string): string | undefined {
    return this.values.get(key)?.value;
  }

  getNumber(key: string): number {
    const v = this.get(key);
    const n = Number(v);
    if (!Number.isFinite(n)) throw new UsageError(`setting ${key} must be a number, got "${v}"`);
    return n;
  }

  resolved(key: string): ResolvedSetting {
    const r = this.values.get(key);
    if (!r) throw new UsageError(`unknown setting "${key}"`, { hint: 'see `jobsprint config list`' });
    return r;
  }

  /** Every setting with its source; URL passwords masked and secrets hidden. */
  list(): Array<ResolvedSetting & { display: string; env: string }> {
    return SETTINGS.map((spec) => {
      const r = this.values.get(spec.key)!;
      return { ...r, env: spec.env, display: displayValue(spec, r.value) };
    });
  }
}

export function displayValue(spec: SettingSpec, value: string | undefined): string {
  if (value === undefined) return '';
  if (spec.secret) return value ? '(set)' : '';
  if (spec.url) return maskUrl(value);
  return value;
}

function resolveOne(
  spec: SettingSpec,
  env: NodeJS.ProcessEnv,
  profile: Record<string, string>,
  flag: string | undefined,
): ResolvedSetting {
  if (flag !== undefined && !spec.secret) return { key: spec.key, value: flag, source: 'flag' };
  const direct = env[spec.env];
  if (direct !== undefined && direct !== '') return { key: spec.key, value: direct, source: 'env' };
  if (spec.file) {
    const path = env[`${spec.env}_FILE`];
    if (path) {
      let value: string;
      try {
        value = readFileSync(path, 'utf8').trim();
      } catch (err) {
        throw new UsageError(`cannot read ${spec.env}_FILE (${path}): ${(err as NodeJS.ErrnoException).code ?? 'error'}`, {
          hint: 'point it at a readable file',
        });
      }
      return { key: spec.key, value, source: 'env-file' };
    }
  }
  if (!spec.secret && profile[spec.key] !== undefined) return { key: spec.key, value: profile[spec.key], source: 'profile' };
  if (spec.default !== undefined) return { key: spec.key, value: spec.default, source: 'default' };
  return { key: spec.key, value: undefined, source: 'unset' };
}

export function settingSpec(key: string): SettingSpec {
  const spec = SETTINGS.find((s) => s.key === key || s.env === key);
  if (!spec) {
    throw new UsageError(`unknown setting "${key}"`, {
      hint: `one of: ${SETTINGS.filter((s) => !s.secret).map((s) => s.key).join(', ')}`,
    });
  }
  return spec;
}
