import type { Config } from '../config.js';
import { UsageError } from '../errors.js';

/**
 * Tunables of the execution pipeline. Each is a setting (`jobsprint config set <key>`) once it
 * is listed in config.ts SETTINGS, and always an environment variable; tests shorten the
 * heartbeat and stale thresholds so crash recovery takes seconds, not minutes.
 */
export interface PipelineSettings {
  /** How often a worker refreshes the heartbeat of the executions it runs. */
  heartbeatMs: number;
  /** A running execution whose heartbeat is older than this may be re-claimed. */
  staleMs: number;
  /** How often the sweeper runs. */
  sweepIntervalMs: number;
  /** A pending execution not confirmed as published this long after it became due is republished. */
  unpublishedAfterMs: number;
  /** A pending execution still waiting this long after its publish is republished (lost message). */
  stuckPendingAfterMs: number;
  /** Input/output data of a node record above this many bytes (JSON) is truncated. */
  nodeDataMaxBytes: number;
  /** Backoff of automatic retries: base * 2^retry, capped, plus up to 50 % jitter. */
  retryBaseMs: number;
  retryMaxMs: number;
  /** max_retries of a new execution unless `run --max-retries` says otherwise. */
  defaultMaxRetries: number;
  /** Default execution timeout when the workflow sets none (0 = none). */
  defaultTimeoutS: number;
}

const SPECS: Array<[keyof PipelineSettings, string, string, number]> = [
  ['heartbeatMs', 'execution_heartbeat_ms', 'JOBSPRINT_EXECUTION_HEARTBEAT_MS', 5000],
  ['staleMs', 'execution_stale_ms', 'JOBSPRINT_EXECUTION_STALE_MS', 30_000],
  ['sweepIntervalMs', 'execution_sweep_interval_ms', 'JOBSPRINT_EXECUTION_SWEEP_INTERVAL_MS', 5000],
  ['unpublishedAfterMs', 'execution_unpublished_after_ms', 'JOBSPRINT_EXECUTION_UNPUBLISHED_AFTER_MS', 5000],
  ['stuckPendingAfterMs', 'execution_stuck_pending_after_ms', 'JOBSPRINT_EXECUTION_STUCK_PENDING_AFTER_MS', 600_000],
  ['nodeDataMaxBytes', 'execution_node_data_max_bytes', 'JOBSPRINT_EXECUTION_NODE_DATA_MAX_BYTES', 65_536],
  ['retryBaseMs', 'execution_retry_base_ms', 'JOBSPRINT_EXECUTION_RETRY_BASE_MS', 1000],
  ['retryMaxMs', 'execution_retry_max_ms', 'JOBSPRINT_EXECUTION_RETRY_MAX_MS', 300_000],
  ['defaultMaxRetries', 'execution_max_retries', 'JOBSPRINT_EXECUTION_MAX_RETRIES', 3],
  ['defaultTimeoutS', 'execution_timeout_s', 'JOBSPRINT_EXECUTION_TIMEOUT_S', 3600],
];

export function pipelineSettings(config: Config): PipelineSettings {
  const out = {} as PipelineSettings;
  for (const [field, key, env, fallback] of SPECS) {
    const raw = config.get(key) ?? config.env[env];
    if (raw === undefined || raw === '') {
      out[field] = fallback;
      continue;
    }
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0) throw new UsageError(`setting ${key} (${env}) must be a non-negative number, got "${raw}"`);
    out[field] = n;
  }
  return out;
}
