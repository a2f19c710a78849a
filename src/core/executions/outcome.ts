import type { RunResult } from '../engine/types.js';
import { ExecutionCanceledError } from '../engine/errors.js';
import type { ClaimedExecution } from './claim.js';
import { executionOutput, type AttemptOutcome, type NodeTracker } from './records.js';
import { retryDelayMs } from './retry.js';
import type { PipelineSettings } from './settings.js';
import type { StopReason } from './worker.js';

/** What the engine names the error of a run it stopped at its timeout. */
const TIMEOUT_ERROR_NAME = new ExecutionCanceledError('timeout').name;

export interface OutcomeInput {
  row: ClaimedExecution;
  /** Why the worker stopped the run, if it did. */
  reason: StopReason | null;
  result: RunResult | null;
  /** The engine threw instead of returning (e.g. a workflow it cannot run). */
  thrown: Error | null;
  tracker: NodeTracker | null;
  durationMs: number;
  settings: PipelineSettings;
  workerId: string;
}

/**
 * What an attempt's end means for the row: success, failed, cancelled, or pending again for an
 * automatic retry (exponential backoff with jitter; the delayed message is published after the
 * row is committed).
 */
export function attemptOutcome(i: OutcomeInput): AttemptOutcome {
  const { row, result, thrown, tracker, durationMs } = i;
  let reason = i.reason;
  const max = i.settings.nodeDataMaxBytes;
  let status: AttemptOutcome['status'];
  let error: string | null = null;
  if (reason === 'cancel') {
    status = 'cancelled';
    error = 'cancelled by user';
  } else if (reason === 'timeout' || (result?.status === 'canceled' && result.error?.name === TIMEOUT_ERROR_NAME)) {
    // The worker's timer fired (reason), or the engine's own for the workflow's
    // settings.executionTimeout got there first (its cancel error names the timeout).
    reason = 'timeout';
    status = 'failed';
    error = `timed out after ${Math.round(durationMs / 1000)} s (execution timeout)`;
  } else if (thrown) {
    status = 'failed';
    error = thrown.message;
  } else if (result?.status === 'success') {
    status = 'success';
  } else if (result?.status === 'canceled') {
    status = 'failed';
    error = result.error?.message ?? 'the engine stopped the execution';
  } else {
    status = 'failed';
    error = result?.error?.message ?? 'the execution failed';
  }
  const metadata: Record<string, unknown> = { finished_by: i.workerId, run_started_at: new Date(Date.now() - durationMs).toISOString() };
  const removeMetadata = ['heartbeat_at'];
  let retryCount = row.retry_count;
  // Timeouts, cancellations and workflows the engine cannot run at all are not retried:
  // the same run would only fail the same way again.
  const permanent = reason === 'timeout' || thrown?.name === 'EngineValidationError';
  if (status === 'failed' && !permanent && row.retry_count < row.max_retries) {
    const delay = retryDelayMs(row.retry_count, i.settings.retryBaseMs, i.settings.retryMaxMs);
    status = 'pending';
    retryCount = row.retry_count + 1;
    metadata.not_before = new Date(Date.now() + delay).toISOString();
    metadata.retry_delay_ms = delay;
    metadata.last_error = error;
    removeMetadata.push('published_at', 'worker_id');
  }
  const nodes = tracker ? tracker.records(result, max) : [];
  // The last node's record holds the execution's output items, already serialized.
  const lastNode = result?.lastNodeExecuted ? nodes.find((n) => n.node_name === result.lastNodeExecuted) : undefined;
  return {
    id: row.id,
    workflow_id: row.workflow_id,
    attempt: row.attempt,
    status,
    output_json: status === 'success' ? executionOutput(result, max, lastNode?.output_json) : null,
    error_message: error,
    duration_ms: durationMs,
    retry_count: retryCount,
    metadata,
    removeMetadata,
    nodes,
    replaceNodes: row.attempt > 1 || row.retry_count > 0,
    // As n8n: kept for production (here: non-manual) executions only, and not for a run that
    // was cut off.
    staticData: result?.staticData && row.trigger_type !== 'manual' && reason === null ? (result.staticData as Record<string, unknown>) : null,
  };
}
