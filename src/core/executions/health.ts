/**
 * Daemon observability: JSON logs, the health/metrics HTTP server, service checks, queue status.
 *
 *   const log = await createLogger({ level: opts.logLevel, bindings: { worker_id } });
 *   const metrics = await createMetrics({ queueDepth: () => queue.stats() });   // metrics.ts
 *   const server = await startHealthServer({
 *     port: opts.httpPort,                               // 0 = any free port; server.port says which
 *     checks: serviceChecks(core, { rabbitmq: () => queue.isConnected() }),
 *     metrics,
 *   });
 *   …; await server.close();
 *
 *   GET /healthz → 200 {"status":"ok"} while the process serves requests (liveness).
 *   GET /readyz  → {"status":"ready"|"unavailable","checks":{"postgresql":{"ok":true,"required":true,
 *                  "latency_ms":2},"rabbitmq":{…},"redis":{"ok":false,"required":false,"error":"…"}}};
 *                  503 when a required check fails. Redis is optional: without it executions still
 *                  run, only live events are lost. Each check times out after `timeoutMs` (2 s).
 *   GET /metrics → Prometheus text format.
 *
 * queueStatus(core) backs `jobsprint queue status`.
 */
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import type { Core } from '../context.js';
import { ServiceUnavailableError, UsageError } from '../errors.js';
import type { DaemonMetrics } from './metrics.js';
import { topology } from './topology.js';
import { withTimeout } from '../timeout.js';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

export interface LoggerOptions {
  level?: string;
  /** Fields on every line (worker_id, …). */
  bindings?: Record<string, unknown>;
  /** Default: stdout. */
  destination?: NodeJS.WritableStream;
}

/** A pino JSON logger. Keys that may hold secrets are redacted wherever they appear. */
export async function createLogger(opts: LoggerOptions = {}): Promise<Logger> {
  const level = opts.level ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new UsageError(`invalid log level "${level}"`, { hint: `use one of ${LOG_LEVELS.join(', ')}` });
  }
  const { pino } = await import('pino');
  const secretKeys = ['password', 'token', 'secret', 'authorization', 'apiKey', 'api_key', 'credentials', 'encryption_keys'];
  const logger = pino(
    {
      level,
      base: { pid: process.pid, service: 'jobsprint-daemon', ...opts.bindings },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: secretKeys.flatMap((k) => [k, `*.${k}`]), censor: '[redacted]' },
    },
    (opts.destination ?? process.stdout) as NodeJS.WritableStream & { write: (s: string) => boolean },
  );
  return logger;
}

export interface Check {
  /** A failing required check makes /readyz answer 503. Default true. */
  required?: boolean;
  /** Resolve when healthy; throw (or return false) when not. */
  run: () => Promise<unknown> | unknown;
}

export interface CheckResult {
  ok: boolean;
  required: boolean;
  latency_ms: number;
  error?: string;
}

export interface Readiness {
  status: 'ready' | 'unavailable';
  checks: Record<string, CheckResult>;
}

/** Run every check concurrently, each bounded by timeoutMs. */
export async function runChecks(checks: Record<string, Check>, timeoutMs = 2000): Promise<Readiness> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]): Promise<[string, CheckResult]> => {
      const required = check.required !== false;
      const t0 = Date.now();
      try {
        const r = await withTimeout(Promise.resolve().then(() => check.run()), timeoutMs);
        if (r === false) throw new Error('not connected');
        return [name, { ok: true, required, latency_ms: Date.now() - t0 }];
      } catch (err) {
        return [name, { ok: false, required, latency_ms: Date.now() - t0, error: errorText(err) }];
      }
    }),
  );
  const results = Object.fromEntries(entries);
  const ready = entries.every(([, r]) => r.ok || !r.required);
  return { status: ready ? 'ready' : 'unavailable', checks: results };
}

/**
 * PostgreSQL, RabbitMQ and Redis checks on the daemon's Core. Pass `rabbitmq` (the queue's own
 * connection state) so readiness reflects the consumer's connection rather than a new one.
 */
export function serviceChecks(core: Core, opts: { rabbitmq?: () => boolean | Promise<unknown> } = {}): Record<string, Check> {
  const checks: Record<string, Check> = {
    postgresql: { run: async () => (await core.db()).query('SELECT 1') },
    rabbitmq: {
      run:
        opts.rabbitmq ??
        (async () => {
          const ch = await (await core.amqp()).createChannel();
          ch.on('error', () => {});
          await ch.close();
        }),
    },
  };
  if (core.hasRedis()) checks.redis = { required: false, run: async () => (await core.redis()).ping() };
  return checks;
}

export interface HealthServerOptions {
  port: number;
  /** Default all interfaces, so container probes can reach it. Nothing secret is served. */
  host?: string;
  checks: Record<string, Check>;
  metrics?: DaemonMetrics;
  timeoutMs?: number;
}

export interface HealthServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function startHealthServer(opts: HealthServerOptions): Promise<HealthServer> {
  const { createServer } = await import('node:http');
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (code: number, body: string, type = 'application/json') => {
      res.writeHead(code, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, JSON.stringify({ error: 'method not allowed' }));
    if (path === '/healthz') return send(200, JSON.stringify({ status: 'ok' }));
    if (path === '/readyz') {
      runChecks(opts.checks, opts.timeoutMs).then(
        (r) => send(r.status === 'ready' ? 200 : 503, JSON.stringify(r)),
        (err) => send(503, JSON.stringify({ status: 'unavailable', error: errorText(err) })),
      );
      return;
    }
    if (path === '/metrics' && opts.metrics) {
      opts.metrics.render().then(
        (m) => send(200, m.body, m.contentType),
        (err) => send(500, `# metrics failed: ${errorText(err)}\n`, 'text/plain'),
      );
      return;
    }
    send(404, JSON.stringify({ error: 'not found', paths: ['/healthz', '/readyz', ...(opts.metrics ? ['/metrics'] : [])] }));
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new UsageError(`--http-port ${opts.port} is already in use`, { hint: 'choose another port, or 0 for any free one' })
          : err,
      ),
    );
    server.listen(opts.port, opts.host, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      }),
  };
}

export interface QueueStatus {
  queue: string;
  dead_letter_queue: string;
  /** false until a daemon or `run` has declared the queue. */
  declared: boolean;
  ready: number;
  /** Delivered to a worker and not yet acknowledged; null when the broker cannot say over AMQP. */
  unacked: number | null;
  unacked_note?: string;
  dead_lettered: number;
  consumers: number;
  /**
   * Executions committed but not yet confirmed on the broker (the outbox: an enqueue in flight,
   * or a publish that failed and waits for the sweeper); null when no database is configured
   * or it could not be read.
   */
  awaiting_publish: number | null;
}

/**
 * Counts from the broker. AMQP reports ready messages and consumers (queue.declare-ok) but not
 * unacknowledged ones; those come from `rabbitmqctl` when the broker runs on this host.
 */
/** Executions in the publish outbox; best effort (the broker's figures are this command's job). */
async function awaitingPublish(core: Core): Promise<number | null> {
  // Only a configured server: opening the embedded database here would take its lock.
  if (!core.config.get('database_url')) return null;
  try {
    const db = await core.db();
    const r = await db.query<{ n: number }>(`SELECT COALESCE(SUM(cardinality(execution_ids)), 0)::int AS n FROM execution_outbox`);
    return r.rows[0]?.n ?? 0;
  } catch {
    return null;
  }
}

export async function queueStatus(core: Core): Promise<QueueStatus> {
  const t = topology(core.config.get('amqp_prefix') ?? 'jobsprint');
  const conn = await core.amqp();
  const check = async (name: string) => {
    const ch = await conn.createChannel();
    ch.on('error', () => {});
    try {
      return await ch.checkQueue(name);
    } catch {
      return null; // 404: not declared yet (the channel is closed by the broker)
    } finally {
      await ch.close().catch(() => {});
    }
  };
  const [main, dead] = [await check(t.queue), await check(t.deadQueue)];
  const status: QueueStatus = {
    queue: t.queue,
    dead_letter_queue: t.deadQueue,
    declared: !!main,
    ready: main?.messageCount ?? 0,
    unacked: main ? null : 0,
    dead_lettered: dead?.messageCount ?? 0,
    consumers: main?.consumerCount ?? 0,
    awaiting_publish: await awaitingPublish(core),
  };
  if (main) {
    const res = await unackedFromRabbitmqctl(core.config.get('amqp_url') ?? '', t.queue);
    if (typeof res === 'number') status.unacked = res;
    else status.unacked_note = res;
  }
  return status;
}

async function unackedFromRabbitmqctl(amqpUrl: string, queue: string): Promise<number | string> {
  let url: URL;
  try {
    url = new URL(amqpUrl);
  } catch {
    return 'the AMQP URL cannot be parsed';
  }
  if (!['localhost', '127.0.0.1', '::1', '[::1]'].includes(url.hostname)) {
    return 'AMQP does not report it; run `rabbitmqctl list_queues name messages_unacknowledged` on the broker host';
  }
  const vhost = decodeURIComponent(url.pathname.slice(1)) || '/';
  const { execFile } = await import('node:child_process');
  return new Promise((resolve) => {
    execFile(
      'rabbitmqctl',
      ['list_queues', '-q', '-p', vhost, '--formatter', 'json', 'name', 'messages_unacknowledged'],
      { timeout: 10_000 },
      (err, stdout) => {
        if (err) return resolve('AMQP does not report it and rabbitmqctl is not usable here');
        try {
          // Erlang may print an error report before the JSON (e.g. an unreadable
          // $XDG_CONFIG_HOME/erlang): read from the line where the array starts.
          const start = stdout.startsWith('[') ? 0 : stdout.indexOf('\n[') + 1;
          const rows = JSON.parse(stdout.slice(start)) as Array<{ name: string; messages_unacknowledged: number }>;
          const row = rows.find((r) => r.name === queue);
          resolve(row ? Number(row.messages_unacknowledged) : 0);
        } catch {
          resolve('rabbitmqctl output could not be read');
        }
      },
    );
  });
}

function errorText(err: unknown): string {
  if (err instanceof ServiceUnavailableError) return err.message;
  const e = err as { code?: string; message?: string };
  return (e?.message || e?.code || String(err)).split('\n')[0]!;
}
