import type { Core } from '../context.js';
import type { Db } from '../db/types.js';
import type { EngineEvent, RunResult, WorkflowDefinition } from '../engine/types.js';
import { ServiceUnavailableError } from '../errors.js';
import { Batcher } from './batcher.js';
import { CANCEL_CHANNEL } from './cancel.js';
import { claimExecutions, classifyUnclaimed, heartbeat, loadDefinitions, releaseExecutions, type ClaimedExecution } from './claim.js';
import type { HttpClient } from '../engine/types.js';
import { credentialsFor, envAllowlistOf, inputItems, loadEngine, runnableDefinition, timeoutMsOf, type EngineRunner } from './engine-adapter.js';
import { EventSink, type PipelineLog } from './event-sink.js';
import { eventHead, executionFinishedText, executionStartedText, nodeFinishedText, nodeStartedText, type FinalStatus } from './events.js';
import { publishOutboxed } from './enqueue.js';
import type { ExecutionQueue, QueueDelivery } from './queue.js';
import { attemptOutcome } from './outcome.js';
import { NodeTracker, recordOutcomes, type AttemptOutcome } from './records.js';
import type { PipelineSettings } from './settings.js';

export interface WorkerHooks {
  onStarted?(executionId: string): void;
  onFinished?(status: string, durationMs: number): void;
}

export interface WorkerOptions {
  core: Core;
  db: Db;
  queue: ExecutionQueue;
  workerId: string;
  concurrency: number;
  settings: PipelineSettings;
  log: PipelineLog;
  hooks?: WorkerHooks;
  engine?: EngineRunner;
}

export type StopReason = 'cancel' | 'timeout' | 'shutdown' | 'lost';

interface Running {
  row: ClaimedExecution;
  delivery: QueueDelivery;
  controller: AbortController;
  reason: StopReason | null;
  phase: 'running' | 'finalizing';
  done: Promise<void>;
  /** When its heartbeat was last written (the claim writes the first). */
  beatAt: number;
  /**
   * When the engine is overdue: its own timer stops the run at the execution timeout; past
   * that plus ABORT_GRACE_MS the heartbeat loop stops it here (see beat). Infinity: no timeout.
   */
  overdueAt: number;
  /** While the engine runs: ends the wait for it (an engine that ignores its abort signal). */
  forceStop?: (err: Error) => void;
  forceTimer?: NodeJS.Timeout;
}

/** How long the engine gets to return after its abort signal before the worker records the end itself. */
const ABORT_GRACE_MS = 5000;

/**
 * Consumes execution messages and runs them: claim (batched, conditional), run through the
 * engine with an abort signal (cancel, timeout, shutdown), record the attempt (batched, one
 * transaction per batch), and only then ack. See claim.ts for why duplicates do nothing and
 * records.ts for why a worker presumed dead cannot record a second end.
 */
export class Worker {
  private readonly inflight = new Map<string, Running>();
  private readonly claiming = new Set<string>();
  private readonly definitions = new Map<
    string,
    { version: string; definition: WorkflowDefinition; settings: Record<string, unknown>; runnable?: Promise<WorkflowDefinition> }
  >();
  private readonly claimer: Batcher<QueueDelivery, void>;
  /** null: not recorded (the execution is no longer ours); else the outbox row of a scheduled retry, if any. */
  private readonly recorder: Batcher<AttemptOutcome, { outboxId: string | null } | null>;
  private readonly events: EventSink;
  private heartbeatTimer?: NodeJS.Timeout;
  private unsubscribeCancel?: () => Promise<void>;
  private cancelRetry?: NodeJS.Timeout;
  private engine?: EngineRunner;
  /** One outbound HTTP client per process (it owns the connection pools and the SSRF deny-list). */
  private httpClient?: HttpClient & { close(): Promise<void> };
  private stopping = false;
  private readonly jsonStrings = new Map<string, string>();
  /** env_allowlist, parsed once per worker (not per execution). */
  private envAllowlist: string[] = [];

  constructor(private readonly o: WorkerOptions) {
    this.engine = o.engine;
    this.events = new EventSink(o.core, o.log);
    // One statement in flight each: whatever arrives meanwhile goes into the next one, so
    // under load the batches grow (measured: ~8 → ~15 executions per statement at 64 slots,
    // +20% throughput, since PostgreSQL's per-statement cost dominates on a shared box).
    this.claimer = new Batcher((ds) => this.claimBatch(ds), { maxBatch: 500, maxConcurrent: 1 });
    this.recorder = new Batcher((outs) => this.recordBatch(outs), { maxBatch: 500, maxConcurrent: 1 });
  }

  get inFlight(): number {
    return this.inflight.size;
  }

  async start(): Promise<void> {
    this.engine ??= await loadEngine();
    this.envAllowlist = envAllowlistOf(this.o.core.config);
    const { httpClientFromConfig } = await import('../engine/http/config.js');
    this.httpClient = httpClientFromConfig(this.o.core.config.get('http_deny_networks'));
    await this.subscribeCancel();
    this.heartbeatTimer = setInterval(() => void this.beat(), this.o.settings.heartbeatMs);
    await this.o.queue.consume((d) => this.onDelivery(d), this.o.concurrency);
  }

  private async subscribeCancel(): Promise<void> {
    if (!this.o.core.hasRedis() || this.stopping) return;
    try {
      const bus = await this.o.core.bus();
      this.unsubscribeCancel = await bus.subscribe(CANCEL_CHANNEL, (m: { execution_id?: string }) => {
        const r = m?.execution_id ? this.inflight.get(m.execution_id) : undefined;
        if (r) this.abort(r, 'cancel');
      });
      if (this.cancelRetry) this.o.log.info('Redis available: cancel requests are instant again');
      this.cancelRetry = undefined;
    } catch (err) {
      if (!this.cancelRetry) {
        this.o.log.warn('Redis unavailable: cancel requests reach this worker at its next heartbeat instead', { error: (err as Error).message });
      }
      // Redis was down at start: keep trying, so instant cancels come back with it.
      this.cancelRetry = setTimeout(() => void this.subscribeCancel(), 5000);
      this.cancelRetry.unref();
    }
  }

  private onDelivery(d: QueueDelivery): void {
    if (this.stopping) return d.requeue();
    if (!d.executionId) {
      this.o.log.warn('dead-lettering a message that names no execution');
      return d.deadLetter();
    }
    void this.claimer.add(d);
  }

  private async claimBatch(ds: QueueDelivery[]): Promise<void[]> {
    const fresh: QueueDelivery[] = [];
    for (const d of ds) {
      // A duplicate of something this worker runs or is claiming right now.
      if (this.inflight.has(d.executionId!) || this.claiming.has(d.executionId!)) d.ack();
      else {
        this.claiming.add(d.executionId!);
        fresh.push(d);
      }
    }
    const ids = fresh.map((d) => d.executionId!);
    try {
      const got = await this.withDb('claim', async () => {
        const claimed = await claimExecutions(this.o.db, this.o.workerId, ids, this.o.settings.staleMs);
        const got = new Set(claimed.map((c) => c.id));
        const unclaimed = await classifyUnclaimed(this.o.db, ids.filter((id) => !got.has(id)));
        return { claimed, unclaimed };
      });
      if (!got) {
        for (const d of fresh) d.requeue();
        return ds.map(() => undefined);
      }
      const { claimed, unclaimed } = got;
      if (this.stopping) {
        // Claimed while shutting down: hand them straight back.
        await this.withDb('release', () => releaseExecutions(this.o.db, this.o.workerId, claimed.map((c) => c.id)));
        for (const d of fresh) d.requeue();
        return ds.map(() => undefined);
      }
      const byId = new Map(claimed.map((c) => [c.id, c]));
      const recheck: QueueDelivery[] = [];
      await this.ensureDefinitions(claimed);
      for (const d of fresh) {
        const id = d.executionId!;
        const row = byId.get(id);
        if (row) {
          this.startRun(row, d);
          continue;
        }
        const reason = unclaimed.get(id);
        if (reason === 'unknown') {
          this.o.log.warn('dead-lettering a message for an unknown execution', { execution_id: id });
          d.deadLetter();
        } else if (reason === 'running' && d.redelivered) {
          recheck.push(d);
        } else {
          d.ack();
        }
      }
      if (recheck.length) {
        // Their worker may have died: look again once its heartbeat can be stale (one delayed
        // publish for all of them, then the acks).
        await this.o.queue.publishDelayed(recheck.map((d) => d.executionId!), this.o.settings.staleMs + 250).catch(() => {});
        for (const d of recheck) d.ack();
      }
    } finally {
      for (const id of ids) this.claiming.delete(id);
    }
    return ds.map(() => undefined);
  }

  private async ensureDefinitions(rows: ClaimedExecution[]): Promise<void> {
    const missing = [...new Set(rows.filter((r) => this.definitions.get(r.workflow_id)?.version !== r.workflow_version).map((r) => r.workflow_id))];
    if (!missing.length) return;
    const loaded = (await this.withDb('load workflows', () => loadDefinitions(this.o.db, missing))) ?? new Map();
    if (this.definitions.size > 1000) this.definitions.clear();
    for (const r of rows) {
      const wf = loaded.get(r.workflow_id);
      if (wf) this.definitions.set(r.workflow_id, { version: r.workflow_version, definition: wf.definition as unknown as WorkflowDefinition, settings: wf.settings });
    }
  }

  private startRun(row: ClaimedExecution, delivery: QueueDelivery): void {
    const running: Running = {
      row,
      delivery,
      controller: new AbortController(),
      reason: null,
      phase: 'running',
      done: Promise.resolve(),
      beatAt: Date.now(),
      overdueAt: Infinity,
    };
    this.inflight.set(row.id, running);
    running.done = this.run(running)
      .catch((err) => this.o.log.error('execution pipeline error', { execution_id: row.id, error: (err as Error).message }))
      .finally(() => this.inflight.delete(row.id));
  }

  private abort(r: Running, reason: StopReason): void {
    if (r.phase !== 'running' || r.reason) return;
    r.reason = reason;
    r.controller.abort(reason);
    this.armForceStop(r);
  }

  /** An engine that has not returned ABORT_GRACE_MS after its abort signal is given up on. */
  private armForceStop(r: Running): void {
    if (!r.forceStop || r.forceTimer || !r.reason) return;
    r.forceTimer = setTimeout(() => r.forceStop?.(new Error('the engine did not stop after the abort signal')), ABORT_GRACE_MS);
  }

  private async run(r: Running): Promise<void> {
    const { row } = r;
    const started = Date.now();
    // Every event of this attempt starts with these fields; events are built as JSON text.
    const head = eventHead(row.id, row.workflow_id, row.user_id, row.attempt);
    this.o.hooks?.onStarted?.(row.id);
    this.events.started(row.id, row.attempt, executionStartedText(head, this.events.stamp(), this.o.workerId));
    const wf = this.definitions.get(row.workflow_id);
    let result: RunResult | null = null;
    let thrown: Error | null = null;
    let tracker: NodeTracker | null = null;
    if (row.cancel_requested) r.reason = 'cancel';
    else if (!wf) thrown = new Error('the workflow could not be loaded');
    else {
      // Mapped once per cached workflow version, not per execution.
      wf.runnable ??= runnableDefinition(wf.definition);
      const runnable = await wf.runnable;
      // The workflow's kept static data, as of the claim, replaces what the definition carries.
      const definition = row.static_data ? { ...runnable, staticData: row.static_data } : runnable;
      tracker = new NodeTracker(definition);
      // The engine's timer enforces the timeout (its cancel error names it, see outcome.ts);
      // the worker only watches for an engine that overruns it (overdueAt, checked by beat).
      const timeoutMs = timeoutMsOf(wf.definition, wf.settings, this.o.settings.defaultTimeoutS);
      try {
        const credentials = await credentialsFor(this.o.core, row.user_id);
        // From when the engine's own timer starts.
        if (timeoutMs) r.overdueAt = Date.now() + timeoutMs + ABORT_GRACE_MS;
        const runP = this.engine!(definition, {
          executionId: row.id,
          input: inputItems(row.input_data),
          signal: r.controller.signal,
          timeoutMs: timeoutMs || undefined,
          mode: row.trigger_type === 'manual' ? 'manual' : 'trigger',
          credentials,
          httpClient: this.httpClient,
          envAllowlist: this.envAllowlist,
          onEvent: (e) => {
            tracker!.onEvent(e);
            this.nodeEvent(row.id, head, e);
          },
        });
        result = await new Promise<RunResult>((resolve, reject) => {
          r.forceStop = reject;
          this.armForceStop(r);
          runP.then(resolve, reject);
        });
      } catch (err) {
        thrown = err as Error;
      } finally {
        r.forceStop = undefined;
        if (r.forceTimer) clearTimeout(r.forceTimer);
      }
    }
    r.phase = 'finalizing';
    if (r.reason === 'lost') return r.delivery.ack();
    if (r.reason === 'shutdown') {
      await this.withDb('release', () => releaseExecutions(this.o.db, this.o.workerId, [row.id]));
      return r.delivery.requeue();
    }

    const durationMs = Date.now() - started;
    const outcome = attemptOutcome({ row, reason: r.reason, result, thrown, tracker, durationMs, settings: this.o.settings, workerId: this.o.workerId });
    const recorded = await this.recorder.add(outcome);
    r.delivery.ack();
    if (!recorded) return;
    const retryScheduled = outcome.status === 'pending';
    const finalStatus = retryScheduled ? 'failed' : outcome.status;
    this.o.hooks?.onFinished?.(finalStatus, durationMs);
    this.events.finished(
      row.id,
      !retryScheduled,
      executionFinishedText(head, this.events.stamp(), finalStatus as FinalStatus, outcome.error_message, durationMs, retryScheduled),
    );
    if (retryScheduled) {
      const delay = Number(outcome.metadata.retry_delay_ms);
      publishOutboxed(this.o.db, this.o.queue, [row.id], recorded.outboxId, delay).catch(() => this.o.log.warn('retry not published; the sweeper publishes it', { execution_id: row.id }));
    }
  }

  /** Node events as JSON text (no object per event): this runs twice per node of every execution. */
  private nodeEvent(executionId: string, head: string, e: EngineEvent): void {
    const at = this.events.stamp();
    const name = this.jsonString(e.node);
    const type = this.jsonString(e.nodeType);
    if (e.type === 'nodeStart') {
      this.events.emitText(executionId, nodeStartedText(head, at, name, type, e.runIndex));
    } else {
      let itemsIn = 0;
      for (const n of e.itemsIn) itemsIn += n;
      this.events.emitText(
        executionId,
        nodeFinishedText(head, at, name, type, {
          status: e.status === 'success' ? 'success' : e.status === 'error' ? 'failed' : 'cancelled',
          itemsIn,
          itemsOut: e.itemsOut,
          durationMs: e.durationMs,
          error: e.error?.message ?? null,
          runIndex: e.runIndex,
        }),
      );
    }
  }

  /** Node names and types as JSON strings, made once per name. */
  private jsonString(s: string): string {
    let j = this.jsonStrings.get(s);
    if (j === undefined) {
      if (this.jsonStrings.size > 10_000) this.jsonStrings.clear();
      j = JSON.stringify(s);
      this.jsonStrings.set(s, j);
    }
    return j;
  }

  /**
   * Record a batch of attempt ends. A batch that fails for a reason other than the database
   * being away is split, so one bad record (e.g. data PostgreSQL rejects) cannot block others;
   * a single one that still fails is recorded without its data.
   */
  private async recordBatch(outs: AttemptOutcome[]): Promise<Array<{ outboxId: string | null } | null>> {
    for (;;) {
      try {
        const owned = await recordOutcomes(this.o.db, this.o.workerId, outs);
        return outs.map((o) => (owned.has(o.id) ? { outboxId: owned.get(o.id) ?? null } : null));
      } catch (err) {
        if (err instanceof ServiceUnavailableError) {
          this.o.log.warn('database unavailable while recording; retrying', { error: err.message });
          await sleep(500);
          continue;
        }
        if (outs.length > 1) return (await Promise.all(outs.map((o) => this.recordBatch([o])))).flat();
        const o = outs[0]!;
        if (!o.nodes.length && o.output_json === null) throw err;
        this.o.log.error('could not record execution data; recording without it', { execution_id: o.id, error: (err as Error).message });
        outs = [{ ...o, output_json: null, nodes: [], error_message: `${o.error_message ?? ''} (output not recorded: ${(err as Error).message})`.trim() }];
      }
    }
  }

  private async beat(): Promise<void> {
    // Executions claimed (or beaten) less than half an interval ago are skipped: their
    // heartbeat is fresh, and at thousands of short executions per second rewriting every
    // in-flight row each interval would be a burst of index writes for nothing.
    const now = Date.now();
    const ids: string[] = [];
    for (const [id, r] of this.inflight) {
      if (r.phase !== 'running') continue;
      // Past its timeout and the grace: the engine's own timer did not stop it.
      if (now >= r.overdueAt) {
        this.abort(r, 'timeout');
        r.forceStop?.(new Error('the engine did not stop at the execution timeout'));
      }
      if (now - r.beatAt >= this.o.settings.heartbeatMs / 2) ids.push(id);
    }
    if (!ids.length) return;
    try {
      const { owned, cancelRequested } = await heartbeat(this.o.db, this.o.workerId, ids);
      for (const id of ids) {
        const r = this.inflight.get(id);
        if (!r) continue;
        r.beatAt = now;
        if (!owned.has(id)) this.abort(r, 'lost');
        else if (cancelRequested.has(id)) this.abort(r, 'cancel');
      }
    } catch (err) {
      this.o.log.warn('heartbeat failed', { error: (err as Error).message });
    }
  }

  /** Retry while the database is away (restart, terminated backends); null once stopping. */
  private async withDb<T>(what: string, fn: () => Promise<T>): Promise<T | null> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (this.stopping && attempt > 0) return null;
        this.o.log.warn(`${what} failed; retrying`, { error: (err as Error).message });
        await sleep(Math.min(2000, 100 * 2 ** attempt));
      }
    }
  }

  /**
   * Stop: no new deliveries, in-flight executions get graceMs to finish, the rest are aborted,
   * handed back (pending again) and requeued for another worker.
   */
  async stop(graceMs: number): Promise<{ finished: number; handedBack: number }> {
    this.stopping = true;
    await this.o.queue.stopConsuming();
    const before = this.inflight.size;
    const deadline = Date.now() + graceMs;
    while (this.inflight.size && Date.now() < deadline) await sleep(50);
    let handedBack = 0;
    for (const r of this.inflight.values()) {
      if (r.phase === 'running') {
        handedBack++;
        this.abort(r, 'shutdown');
      }
    }
    await Promise.race([Promise.all([...this.inflight.values()].map((r) => r.done)), sleep(ABORT_GRACE_MS + 1000, true)]);
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    if (this.cancelRetry) clearTimeout(this.cancelRetry);
    await this.unsubscribeCancel?.().catch(() => {});
    await this.httpClient?.close().catch(() => {});
    return { finished: before - handedBack, handedBack };
  }
}

function sleep(ms: number, unref = false): Promise<void> {
  return new Promise((r) => {
    const t = setTimeout(r, ms);
    if (unref) t.unref();
  });
}
