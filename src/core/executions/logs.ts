/**
 * The log follower behind `executions logs <id> [--follow]` and `jobsprint logs --follow`.
 *
 * followExecution(core, scope, id, {follow, onEvent, signal}) → {status, final}
 *   Subscribes first (live events are queued), then reads the execution's event log from Redis
 *   and its rows from PostgreSQL, and calls onEvent once per event in seq order: what already
 *   happened, then live events, with no gap and no duplicate (see events.ts for why the atomic
 *   append+publish makes that hold). A live event whose seq skips ahead triggers a re-read of
 *   the log. Every `pollMs` the database is checked too, so the follower ends even when the
 *   final event never reaches Redis (worker lost Redis, a pending execution was cancelled).
 *   Node rows in the database that no event covers (Redis was down, the log expired) are
 *   reported as reconstructed events with seq 0 once the execution is final (or at once without
 *   --follow); they are never mixed with live events for a running execution, which could
 *   print a node twice.
 *
 * tailExecutions(core, scope, {workflow, status, onEvent, signal, onReady})
 *   Live events of all the tenant's executions until the signal aborts.
 */
import type { Core } from '../context.js';
import type { TenantScope } from '../db/types.js';
import { ServiceUnavailableError, UsageError } from '../errors.js';
import {
  isFinalEvent,
  readEventLog,
  subscribeExecutionEvents,
  type ExecutionEvent,
  type ExecutionFinishedEvent,
  type NodeFinishedEvent,
} from './events.js';
import { FINAL_STATUSES, getExecutionNodes, getExecutionSummary, type ExecutionNodeRow, type ExecutionSummary } from './inspect.js';
import { findWorkflowId } from '../workflows/store.js';

export interface FollowOptions {
  follow: boolean;
  onEvent: (e: ExecutionEvent) => void;
  signal?: AbortSignal;
  /** How often the database is checked while following, ms. */
  pollMs?: number;
  /** Called once live events are being received, before the replay is read. */
  onSubscribed?: () => Promise<void> | void;
}

export interface FollowResult {
  /** The final status when the execution ended, else its current status. */
  status: string;
  final: boolean;
}

type Snapshot = { exec: ExecutionSummary; nodes: ExecutionNodeRow[] };

/** Emits each event once and remembers what has been shown. */
class Shown {
  lastSeq = 0;
  finishedNodes = new Set<string>();
  final: ExecutionFinishedEvent | null = null;
  constructor(private readonly onEvent: (e: ExecutionEvent) => void) {}

  emit(e: ExecutionEvent): void {
    if (this.final) return;
    if (e.seq > 0) {
      if (e.seq <= this.lastSeq) return;
      this.lastSeq = e.seq;
    }
    if (e.type === 'node.finished') this.finishedNodes.add(e.node_name);
    this.onEvent(e);
    if (isFinalEvent(e)) this.final = e;
  }

  /** Recorded events in seq order, then (when the execution is over) what only the database knows. */
  sync(events: ExecutionEvent[], snap: Snapshot, reconstruct: boolean): void {
    for (const e of [...events].sort((a, b) => a.seq - b.seq)) this.emit(e);
    if (!reconstruct || this.final) return;
    for (const n of snap.nodes) {
      if (!this.finishedNodes.has(n.node_name) && n.status !== 'running') this.emit(nodeEventFromRow(snap.exec, n));
    }
    if (FINAL_STATUSES.includes(snap.exec.status)) this.emit(finishedEventFromRow(snap.exec));
  }
}

export async function followExecution(core: Core, scope: TenantScope, executionId: string, opts: FollowOptions): Promise<FollowResult> {
  const db = await core.db();
  // Node rows (with their data) are only read once they can be shown: when the execution is
  // over, or for a one-off print. While following, the poll reads the summary alone.
  const load = (): Promise<Snapshot> =>
    db.tenantTransaction(scope, async (tx) => {
      const exec = await getExecutionSummary(tx, executionId);
      const nodes = !opts.follow || FINAL_STATUSES.includes(exec.status) ? await getExecutionNodes(tx, executionId) : [];
      return { exec, nodes };
    });
  // Unknown (or another tenant's) id fails here, before anything else is touched.
  let snap = await load();
  const shown = new Shown(opts.onEvent);
  const isFinal = (s: Snapshot) => FINAL_STATUSES.includes(s.exec.status);
  const result = (): FollowResult =>
    shown.final ? { status: shown.final.status, final: true } : { status: snap.exec.status, final: isFinal(snap) };

  if (!opts.follow || isFinal(snap)) {
    // Read after the database: for a final execution the log is then complete.
    let log: ExecutionEvent[] = [];
    try {
      log = await readEventLog(core, executionId);
    } catch {
      // Without Redis the database still tells what happened.
    }
    shown.sync(log, snap, true);
    return result();
  }

  const queue: ExecutionEvent[] = [];
  let broken: Error | null = null;
  let wake: (() => void) | null = null;
  const poke = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  const unsubscribe = await subscribeExecutionEvents(
    core,
    (e) => {
      if (e.execution_id !== executionId) return;
      queue.push(e);
      poke();
    },
    (err) => {
      broken = err;
      poke();
    },
  );
  await opts.onSubscribed?.();
  const onAbort = () => poke();
  opts.signal?.addEventListener('abort', onAbort);
  const pollMs = opts.pollMs ?? 2000;
  try {
    let needSync = true;
    let gapResynced = false;
    let lastSync = 0;
    while (!shown.final && !opts.signal?.aborted) {
      if (broken) {
        throw new ServiceUnavailableError('Redis', `lost the live event stream: ${(broken as Error).message}`, {
          hint: 'run the command again; it replays what was missed',
        });
      }
      if (needSync || Date.now() - lastSync >= pollMs) {
        const log = await readEventLog(core, executionId, shown.lastSeq);
        snap = await load();
        // Events that arrived while reading are in `queue`; take them in the same step.
        shown.sync([...log, ...queue.splice(0)], snap, isFinal(snap));
        lastSync = Date.now();
        needSync = false;
        continue;
      }
      const e = queue.shift();
      if (e) {
        if (e.seq > shown.lastSeq + 1 && !gapResynced) {
          // Missed something (a reconnect, a slow subscriber): the log has it.
          queue.unshift(e);
          needSync = true;
          gapResynced = true;
          continue;
        }
        gapResynced = false;
        shown.emit(e);
        continue;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
        const timer = setTimeout(poke, Math.max(10, pollMs - (Date.now() - lastSync)));
        timer.unref?.();
      });
    }
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    await unsubscribe();
  }
  return result();
}

/** Statuses `logs --follow --status` accepts; started events count as `running`. */
export const EVENT_STATUSES = ['running', 'success', 'failed', 'cancelled', 'skipped'] as const;

export function eventStatus(e: ExecutionEvent): string {
  return e.type === 'node.started' || e.type === 'execution.started' ? 'running' : e.status;
}

export interface TailOptions {
  workflow?: string;
  status?: string;
  onEvent: (e: ExecutionEvent) => void;
  signal: AbortSignal;
  /** Called once the subscription is live. */
  onReady?: () => void;
}

/** Live events of every execution the tenant owns, until the signal aborts. */
export async function tailExecutions(core: Core, scope: TenantScope, opts: TailOptions): Promise<void> {
  if (opts.status !== undefined && !(EVENT_STATUSES as readonly string[]).includes(opts.status)) {
    throw new UsageError(`invalid --status "${opts.status}"`, { hint: `use one of ${EVENT_STATUSES.join(', ')}` });
  }
  let workflowId: string | undefined;
  if (opts.workflow !== undefined) {
    const db = await core.db();
    workflowId = await db.tenantTransaction(scope, (tx) => findWorkflowId(tx, opts.workflow!, scope.userId));
  }
  if (!core.hasRedis()) {
    throw new ServiceUnavailableError('Redis', 'following live events across processes needs Redis', { hint: 'set JOBSPRINT_REDIS_URL' });
  }
  const lastSeq = new Map<string, number>();
  let broken: Error | null = null;
  let stop: () => void = () => {};
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const unsubscribe = await subscribeExecutionEvents(
    core,
    (e) => {
      // The channel carries every tenant's events; only the caller's own are shown.
      if (e.user_id !== scope.userId) return;
      if (workflowId && e.workflow_id !== workflowId) return;
      if ((lastSeq.get(e.execution_id) ?? 0) >= e.seq) return;
      lastSeq.set(e.execution_id, e.seq);
      if (e.type === 'execution.finished') lastSeq.delete(e.execution_id);
      if (opts.status && eventStatus(e) !== opts.status) return;
      opts.onEvent(e);
    },
    (err) => {
      broken = err;
      stop();
    },
  );
  try {
    opts.onReady?.();
    if (!opts.signal.aborted) {
      opts.signal.addEventListener('abort', () => stop(), { once: true });
      await stopped;
    }
    if (broken) {
      throw new ServiceUnavailableError('Redis', `lost the live event stream: ${(broken as Error).message}`, { hint: 'run the command again' });
    }
  } finally {
    await unsubscribe();
  }
}

function nodeEventFromRow(exec: ExecutionSummary, n: ExecutionNodeRow): NodeFinishedEvent {
  return {
    type: 'node.finished',
    seq: 0,
    execution_id: exec.id,
    workflow_id: exec.workflow_id,
    user_id: exec.user_id,
    at: (n.completed_at ?? n.started_at ?? exec.started_at).toISOString(),
    node_id: n.node_id,
    node_name: n.node_name,
    node_type: n.node_type,
    status: (['success', 'failed', 'cancelled', 'skipped'].includes(n.status) ? n.status : 'failed') as NodeFinishedEvent['status'],
    items_in: n.items_in ?? 0,
    items_out: n.items_out ?? [],
    duration_ms: n.duration_ms,
    error: n.error_message,
    run_index: 0,
    retry: n.retry_count,
  };
}

function finishedEventFromRow(exec: ExecutionSummary): ExecutionFinishedEvent {
  return {
    type: 'execution.finished',
    seq: 0,
    execution_id: exec.id,
    workflow_id: exec.workflow_id,
    user_id: exec.user_id,
    at: (exec.completed_at ?? exec.started_at).toISOString(),
    ...(exec.attempt !== null ? { attempt: exec.attempt } : {}),
    status: exec.status as ExecutionFinishedEvent['status'],
    error: exec.error_message,
    duration_ms: exec.duration_ms,
  };
}
