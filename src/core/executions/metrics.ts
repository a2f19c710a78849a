/**
 * Prometheus metrics of a worker daemon (prom-client, own registry per daemon).
 *
 *   const metrics = await createMetrics({ queueDepth: () => queue.stats(), inFlight: () => worker.inFlight });
 *   metrics.executionStarted();                       // a claim succeeded
 *   metrics.executionFinished('success', durationMs);  // final state committed
 *   startHealthServer({ port, checks, metrics })      // serves metrics.render() on /metrics
 *
 * Exposed (prefix `jobsprint_`):
 *   executions_started_total                     counter
 *   executions_finished_total{status}            counter; status = success | failed | cancelled
 *   execution_duration_seconds{status}           histogram, claim to final state
 *   executions_in_flight                         gauge, executions this daemon is running (read at scrape time)
 *   queue_depth{queue="ready"|"dead_lettered"}   gauge, read from the broker at scrape time
 *   plus Node.js process metrics (process_*, nodejs_*) unless defaultMetrics is false.
 */
import type { Registry } from 'prom-client';
import type { FinalStatus } from './events.js';
import { withTimeout } from '../timeout.js';

export interface QueueDepth {
  ready: number;
  /** The pipeline's QueueStats calls it deadLettered; either spelling is accepted. */
  deadLettered?: number;
  dead_lettered?: number;
}

export interface MetricsOptions {
  /** Read at scrape time; a failure or a slow broker (> 1 s) leaves the last values. */
  queueDepth?: () => Promise<QueueDepth>;
  /** Executions running now, read at scrape time (so no code path can leave the gauge stale). */
  inFlight?: () => number;
  /** Node.js process metrics; default true. */
  defaultMetrics?: boolean;
  /** Labels on every series (e.g. { worker_id }). */
  labels?: Record<string, string>;
}

export interface DaemonMetrics {
  readonly registry: Registry;
  executionStarted(): void;
  executionFinished(status: FinalStatus, durationMs: number | null): void;
  /** Body and content type for GET /metrics. */
  render(): Promise<{ contentType: string; body: string }>;
}

/** Seconds; executions run from milliseconds (Set → If) to the timeout (an hour by default). */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];

export async function createMetrics(opts: MetricsOptions = {}): Promise<DaemonMetrics> {
  const prom = await import('prom-client');
  const registry = new prom.Registry();
  if (opts.labels) registry.setDefaultLabels(opts.labels);
  if (opts.defaultMetrics !== false) prom.collectDefaultMetrics({ register: registry });

  const started = new prom.Counter({ name: 'jobsprint_executions_started_total', help: 'Executions claimed and started by this daemon', registers: [registry] });
  const finished = new prom.Counter({
    name: 'jobsprint_executions_finished_total',
    help: 'Executions that reached a final state in this daemon, by status',
    labelNames: ['status'],
    registers: [registry],
  });
  const duration = new prom.Histogram({
    name: 'jobsprint_execution_duration_seconds',
    help: 'Execution duration from claim to final state, by status',
    labelNames: ['status'],
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  const readInFlight = opts.inFlight;
  new prom.Gauge({
    name: 'jobsprint_executions_in_flight',
    help: 'Executions this daemon is running now',
    registers: [registry],
    collect() {
      this.set(readInFlight ? readInFlight() : 0);
    },
  });
  const readQueue = opts.queueDepth;
  new prom.Gauge({
    name: 'jobsprint_queue_depth',
    help: 'Messages in the execution queue (ready) and the dead-letter queue, read from the broker at scrape time',
    labelNames: ['queue'],
    registers: [registry],
    async collect() {
      if (!readQueue) return;
      try {
        const d = await withTimeout(readQueue(), 1000);
        this.set({ queue: 'ready' }, d.ready);
        this.set({ queue: 'dead_lettered' }, d.deadLettered ?? d.dead_lettered ?? 0);
      } catch {
        // Broker down or slow: keep the last values; /readyz reports the outage.
      }
    },
  });
  // Counters start at zero for every status so rate() works before the first failure.
  for (const s of ['success', 'failed', 'cancelled']) finished.inc({ status: s }, 0);

  return {
    registry,
    executionStarted: () => started.inc(),
    executionFinished: (status, durationMs) => {
      finished.inc({ status });
      if (durationMs !== null && durationMs >= 0) duration.observe({ status }, durationMs / 1000);
    },
    render: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
  };
}
