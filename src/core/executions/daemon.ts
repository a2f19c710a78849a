import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Core } from '../context.js';
import type { PipelineLog } from './event-sink.js';
import type { EngineRunner } from './engine-adapter.js';
import { openExecutionQueue } from './open-queue.js';
import { pipelineSettings } from './settings.js';
import { startSweeper } from './sweeper.js';
import { Worker } from './worker.js';

export interface DaemonOptions {
  concurrency: number;
  /** HTTP port for /healthz, /readyz, /metrics; undefined = no server, 0 = any free port. */
  httpPort?: number;
  logLevel?: string;
  /** Test seam / embedded mode: run workflows with this instead of the engine module. */
  engine?: EngineRunner;
}

export interface Daemon {
  readonly workerId: string;
  /** The port the health server listens on, when one was asked for. */
  readonly httpPort?: number;
  /** Graceful stop (see Worker.stop); resolves when everything is closed. */
  stop(graceMs: number): Promise<{ finished: number; handedBack: number }>;
}

/**
 * The worker daemon: one queue connection (reconnecting), a Worker with `concurrency` slots,
 * the sweeper, and the observability server. Starts even when RabbitMQ, PostgreSQL or Redis is
 * down at that moment: it logs, reconnects with backoff and begins work when they are back.
 */
export async function startDaemon(core: Core, opts: DaemonOptions): Promise<Daemon> {
  const workerId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const { createLogger } = await import('./health.js');
  const pinoLog = await createLogger({ level: opts.logLevel ?? core.config.get('log_level') ?? 'info', bindings: { worker_id: workerId } });
  const log: PipelineLog = {
    debug: (msg, f) => pinoLog.debug(f ?? {}, msg),
    info: (msg, f) => pinoLog.info(f ?? {}, msg),
    warn: (msg, f) => pinoLog.warn(f ?? {}, msg),
    error: (msg, f) => pinoLog.error(f ?? {}, msg),
  };
  const settings = pipelineSettings(core.config);
  const db = await core.db();

  const queue = await openExecutionQueue(core, {
    reconnect: true,
    role: 'daemon',
    onStateChange: (state, err) =>
      state === 'connected' ? log.info('RabbitMQ connected; topology declared') : log.warn('RabbitMQ connection lost; reconnecting', { error: err?.message }),
  });
  if (!queue.isConnected()) log.warn('RabbitMQ unavailable at start; reconnecting in the background');

  if (core.hasRedis()) {
    await core.redis().catch((err) => log.warn('Redis unavailable: live events and instant cancels are off until it is back', { error: (err as Error).message }));
  }

  // Hourly upkeep (and once at start): audit partitions ahead of time, and sessions that ended
  // or expired over a week ago. Login purges those too, but a server where nobody logs in for a
  // while would otherwise keep them all.
  const upkeep = async () => {
    await db.query('SELECT jobsprint_ensure_audit_partitions()').catch((err) => log.warn('audit partition upkeep failed', { error: (err as Error).message }));
    try {
      const { purgeOldSessions, PURGE_BATCH } = await import('../auth/sessions.js');
      let purged = 0;
      for (let round = 0; round < 100; round++) {
        const n = await purgeOldSessions(db);
        purged += n;
        if (n < PURGE_BATCH) break;
      }
      if (purged) log.info('purged old sessions', { sessions: purged });
    } catch (err) {
      log.warn('session purge failed', { error: (err as Error).message });
    }
  };
  void upkeep();
  const upkeepTimer = setInterval(() => void upkeep(), 3600_000);
  upkeepTimer.unref();

  const { createMetrics } = await import('./metrics.js');
  // Read by the in-flight gauge at scrape time; assigned just below.
  let worker: Worker | undefined;
  const metrics = await createMetrics({ queueDepth: () => queue.stats(), inFlight: () => worker?.inFlight ?? 0, labels: { worker_id: workerId } });
  worker = new Worker({
    core,
    db,
    queue,
    workerId,
    concurrency: opts.concurrency,
    settings,
    log,
    engine: opts.engine,
    hooks: {
      onStarted: () => metrics.executionStarted(),
      onFinished: (status, durationMs) => metrics.executionFinished(status as 'success' | 'failed' | 'cancelled', durationMs),
    },
  });
  await worker.start();
  const sweeper = startSweeper(db, queue, settings, log);

  let server: { port: number; close(): Promise<void> } | undefined;
  if (opts.httpPort !== undefined) {
    const { startHealthServer, serviceChecks } = await import('./health.js');
    server = await startHealthServer({ port: opts.httpPort, checks: serviceChecks(core, { rabbitmq: () => queue.isConnected() }), metrics });
  }
  log.info('daemon started', { concurrency: opts.concurrency, http_port: server?.port ?? null, queue: core.config.get('amqp_prefix') });

  return {
    workerId,
    httpPort: server?.port,
    async stop(graceMs: number) {
      log.info('stopping: no new executions; waiting for in-flight ones', { in_flight: worker.inFlight, grace_ms: graceMs });
      const result = await worker.stop(graceMs);
      await sweeper.stop();
      clearInterval(upkeepTimer);
      await server?.close();
      log.info('stopped', { finished: result.finished, handed_back: result.handedBack });
      await new Promise<void>((resolve) => pinoLog.flush(() => resolve()));
      return result;
    },
  };
}
