import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Core } from '../context.js';
import type { Db } from '../db/types.js';
import { ServiceUnavailableError } from '../errors.js';
import { addToOutbox } from './enqueue.js';
import type { PipelineLog } from './event-sink.js';
import type { PipelineSettings } from './settings.js';
import { decodeMessage, encodeMessage, type ExecutionQueue, type QueueDelivery, type QueueStats } from './queue.js';

/**
 * The execution queue of the embedded mode (no JOBSPRINT_AMQP_URL): the same contract as the
 * RabbitMQ queue (queue.ts), in this process. Messages are the same encoded bodies, so a
 * malformed one reaches the consumer as poison exactly as from the broker; a message returned
 * (requeue) comes back marked redelivered; dead-lettered ones are only counted.
 * test/embedded/queue-contract.test.ts runs the same cases against both.
 */
interface Message {
  body: Buffer;
  redelivered: boolean;
}

export class MemoryExecutionQueue implements ExecutionQueue {
  private readonly ready: Message[] = [];
  private readonly delayed = new Map<NodeJS.Timeout, string[]>();
  private unacked = 0;
  private deadLettered = 0;
  private handler?: (d: QueueDelivery) => void;
  private prefetch = 1;
  private scheduled = false;
  private closed = false;
  private idleWaiters: Array<() => void> = [];

  async publish(executionIds: string[]): Promise<void> {
    this.assertOpen();
    for (const id of executionIds) this.ready.push({ body: encodeMessage(id), redelivered: false });
    this.schedule();
  }

  async publishDelayed(executionIds: string[], delayMs: number): Promise<void> {
    this.assertOpen();
    if (!executionIds.length) return;
    if (delayMs <= 0) return this.publish(executionIds);
    const timer = setTimeout(() => {
      this.delayed.delete(timer);
      if (this.closed) return;
      for (const id of executionIds) this.ready.push({ body: encodeMessage(id), redelivered: false });
      this.schedule();
    }, delayMs);
    this.delayed.set(timer, [...executionIds]);
  }

  async consume(handler: (d: QueueDelivery) => void, prefetch: number): Promise<void> {
    this.assertOpen();
    this.handler = handler;
    this.prefetch = Math.max(1, prefetch);
    this.schedule();
  }

  async stopConsuming(): Promise<void> {
    this.handler = undefined;
    this.notifyIdle();
  }

  get hasConsumer(): boolean {
    return !!this.handler;
  }

  async stats(): Promise<QueueStats> {
    return { ready: this.ready.length, unacked: this.unacked, deadLettered: this.deadLettered, consumers: this.handler ? 1 : 0 };
  }

  isConnected(): boolean {
    return !this.closed;
  }

  /**
   * Resolve once nothing is left to do: no ready, unsettled or delayed message — or nobody
   * consuming, so nothing ever would be.
   */
  drain(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Execution ids of messages not yet delivered (ready or delayed): lost when the process ends. */
  undelivered(): string[] {
    const ids = this.ready.map((m) => decodeMessage(m.body)).filter((id): id is string => !!id);
    for (const d of this.delayed.values()) ids.push(...d);
    return ids;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.handler = undefined;
    for (const t of this.delayed.keys()) clearTimeout(t);
    this.delayed.clear();
    this.ready.length = 0;
    this.notifyIdle();
  }

  private assertOpen(): void {
    if (this.closed) throw new ServiceUnavailableError('queue', 'the in-process queue is closed');
  }

  private isIdle(): boolean {
    return this.closed || !this.handler || (!this.ready.length && !this.unacked && !this.delayed.size);
  }

  private notifyIdle(): void {
    if (!this.isIdle()) return;
    for (const w of this.idleWaiters.splice(0)) w();
  }

  /** Deliveries happen on a later tick, never inside publish or a settle. */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.handler && !this.closed && this.ready.length && this.unacked < this.prefetch) {
      const msg = this.ready.shift()!;
      this.unacked++;
      const handler = this.handler;
      handler(this.delivery(msg));
    }
    this.notifyIdle();
  }

  private delivery(msg: Message): QueueDelivery {
    let settled = false;
    const settle = (then: () => void) => {
      if (settled) return;
      settled = true;
      this.unacked--;
      if (!this.closed) then();
      this.schedule();
      this.notifyIdle();
    };
    return {
      executionId: decodeMessage(msg.body),
      redelivered: msg.redelivered,
      ack: () => settle(() => {}),
      requeue: () => settle(() => this.ready.unshift({ body: msg.body, redelivered: true })),
      deadLetter: () => settle(() => this.deadLettered++),
    };
  }
}

export interface MemoryQueueOptions {
  /**
   * Start a worker in this process for what is published (default). The daemon passes false:
   * it consumes with its own worker and sweeps with its own sweeper.
   */
  consumeInProcess?: boolean;
  log?: PipelineLog;
  /** Test seam: run workflows with this instead of the engine module. */
  engine?: import('./engine-adapter.js').EngineRunner;
}

const silent: PipelineLog = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/**
 * The embedded mode's queue for a process: the first message published with nobody consuming
 * (a CLI `run`, as opposed to the daemon, which consumes itself) starts an in-process worker,
 * so the execution runs at once, here. Closing the queue — `core.close()` at the end of the
 * command — waits until everything published has run (retries included), because nobody
 * else would run it.
 */
class InProcessQueue extends MemoryExecutionQueue {
  private worker?: import('./worker.js').Worker;
  private starting?: Promise<void>;
  private stopping?: Promise<unknown>;
  private closing?: Promise<void>;

  constructor(
    private readonly core: Core,
    private readonly db: Db,
    private readonly settings: PipelineSettings,
    private readonly opts: MemoryQueueOptions & { log: PipelineLog },
  ) {
    super();
  }

  override async publish(executionIds: string[]): Promise<void> {
    await super.publish(executionIds);
    if (this.opts.consumeInProcess !== false && !this.hasConsumer && executionIds.length) {
      this.starting ??= this.startWorker();
      await this.starting;
    }
  }

  private async startWorker(): Promise<void> {
    const { Worker } = await import('./worker.js');
    this.worker = new Worker({
      core: this.core,
      db: this.db,
      queue: this,
      workerId: `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}:in-process`,
      concurrency: 4,
      settings: this.settings,
      log: this.opts.log,
      engine: this.opts.engine,
    });
    await this.worker.start();
  }

  private stopWorker(): Promise<unknown> {
    return (this.stopping ??= this.worker ? this.worker.stop(0) : Promise.resolve());
  }

  override close(): Promise<void> {
    return (this.closing ??= this.finish());
  }

  private async finish(): Promise<void> {
    if (this.starting) await this.starting.catch(() => {});
    // Ctrl-C while waiting for the executions: stop them now; they are handed back as pending
    // and the next embedded `run` picks them up. A second Ctrl-C exits at once.
    const interrupt = () => void this.stopWorker();
    process.once('SIGINT', interrupt);
    process.once('SIGTERM', interrupt);
    try {
      await this.drain();
    } finally {
      process.off('SIGINT', interrupt);
      process.off('SIGTERM', interrupt);
    }
    await this.stopWorker();
    // What never ran here goes back to the outbox, so the next sweep publishes it again.
    const left = this.undelivered();
    if (left.length) await addToOutbox(this.db, left, '-infinity').catch(() => {});
    await super.close();
  }
}

/**
 * Open the in-process queue for this core (closed with it). A CLI process first republishes
 * what earlier processes left pending, as the daemon's sweeper does on a server.
 */
export async function openMemoryQueue(core: Core, opts: MemoryQueueOptions = {}): Promise<MemoryExecutionQueue> {
  const log = opts.log ?? silent;
  // Opened first so its cleanup runs after the queue's (cleanups run newest first).
  const db = await core.db();
  const { pipelineSettings } = await import('./settings.js');
  const settings = pipelineSettings(core.config);
  const queue = new InProcessQueue(core, db, settings, { ...opts, log });
  core.onClose(() => queue.close());
  if (opts.consumeInProcess !== false) {
    try {
      const { sweep } = await import('./sweeper.js');
      await sweep(db, queue, settings, log);
    } catch (err) {
      log.warn('could not republish pending executions', { error: (err as Error).message });
    }
  }
  return queue;
}
