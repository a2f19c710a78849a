import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import { ServiceUnavailableError } from '../errors.js';
import { amqpUnavailable } from '../services/amqp.js';
import type { ExecutionQueue, QueueDelivery, QueueStats } from './queue.js';
import { decodeMessage, encodeMessage } from './queue.js';
import { declareDelayQueue, declareTopology, topology, type Topology } from './topology.js';

export interface RabbitQueueOptions {
  url: string;
  prefix: string;
  connectTimeoutMs?: number;
  /**
   * Long-running (daemon): reconnect with backoff forever, re-declare the topology and resume
   * consuming. Otherwise (CLI) the first failure is final and surfaces as exit 6.
   */
  reconnect?: boolean;
  /** Shown in `rabbitmqctl list_connections client_properties` (tests close their own). */
  connectionName?: string;
  onStateChange?: (state: 'connected' | 'disconnected', err?: Error) => void;
}

interface Session {
  conn: ChannelModel;
  pub: ConfirmChannel;
  sub?: Channel;
  /** Acks of the consuming channel, coalesced. */
  acks?: AckBatcher;
  consumerTag?: string;
  declaredDelays: Set<number>;
  generation: number;
  /** Publishes waiting for confirms, told when the publishing channel closes (one listener, not one per publish). */
  pubCloseWaiters: Set<() => void>;
}

/**
 * The RabbitMQ execution queue: one connection, a confirm channel for publishing and a channel
 * for consuming. amqplib's own recovery reconnects the connection but not channels or
 * consumers, so this class owns the whole cycle: connect, declare, (re)consume, and on any
 * unexpected close start over with exponential backoff and jitter.
 */
export class RabbitExecutionQueue implements ExecutionQueue {
  readonly topology: Topology;
  private session?: Session;
  private connecting?: Promise<Session>;
  private generation = 0;
  private closed = false;
  private handler?: (d: QueueDelivery) => void;
  private prefetch = 1;
  private attempt = 0;
  private reconnectTimer?: NodeJS.Timeout;
  private readyWaiters: Array<() => void> = [];

  private constructor(private readonly opts: RabbitQueueOptions) {
    this.topology = topology(opts.prefix);
  }

  /** Connect and declare; CLI mode fails with exit 6 when the broker is unreachable. */
  static async connect(opts: RabbitQueueOptions): Promise<RabbitExecutionQueue> {
    const q = new RabbitExecutionQueue(opts);
    if (opts.reconnect) {
      // The daemon starts even while the broker is down; it connects when it can.
      q.connecting = q.open().catch((err) => {
        q.connecting = undefined;
        q.scheduleReconnect(err);
        return undefined as never;
      });
      await Promise.race([q.connecting, new Promise((r) => setTimeout(r, opts.connectTimeoutMs ?? 5000).unref())]);
    } else {
      await q.open();
    }
    return q;
  }

  isConnected(): boolean {
    return !!this.session;
  }

  private async open(): Promise<Session> {
    const amqp = await import('amqplib');
    let conn: ChannelModel;
    try {
      conn = await amqp.connect(this.opts.url, {
        timeout: this.opts.connectTimeoutMs ?? 5000,
        clientProperties: { connection_name: this.opts.connectionName ?? `jobsprint ${this.opts.prefix}` },
      });
    } catch (err) {
      throw amqpUnavailable(this.opts.url, err);
    }
    const generation = ++this.generation;
    conn.on('error', () => {});
    conn.on('close', (err?: Error) => this.lost(generation, err));
    try {
      const pub = await conn.createConfirmChannel();
      const pubCloseWaiters = new Set<() => void>();
      pub.on('error', () => {});
      pub.on('close', () => {
        for (const w of pubCloseWaiters) w();
        pubCloseWaiters.clear();
        this.channelClosed(generation);
      });
      await declareTopology(pub, this.topology);
      const session: Session = { conn, pub, declaredDelays: new Set(), generation, pubCloseWaiters };
      if (this.handler) await this.startConsumer(session);
      this.session = session;
      this.connecting = undefined;
      this.attempt = 0;
      this.opts.onStateChange?.('connected');
      for (const w of this.readyWaiters.splice(0)) w();
      return session;
    } catch (err) {
      await conn.close().catch(() => {});
      throw err;
    }
  }

  /** A channel closing on its own (e.g. a broker-side error) means the session is unusable. */
  private channelClosed(generation: number): void {
    if (this.session?.generation === generation && !this.closed) void this.session.conn.close().catch(() => {});
  }

  private lost(generation: number, err?: Error): void {
    if (this.session && this.session.generation !== generation) return;
    this.session = undefined;
    if (this.closed) return;
    this.opts.onStateChange?.('disconnected', err);
    if (this.opts.reconnect) this.scheduleReconnect(err);
  }

  private scheduleReconnect(err?: unknown): void {
    if (this.closed || this.reconnectTimer || this.connecting) return;
    const delay = Math.min(5000, 200 * 2 ** this.attempt++) * (0.8 + Math.random() * 0.4);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connecting = this.open().catch((e) => {
        this.connecting = undefined;
        this.scheduleReconnect(e);
        return undefined as never;
      });
    }, delay);
    void err;
  }

  /** The current session; in reconnect mode wait (bounded) for the next one. */
  private async current(waitMs: number): Promise<Session> {
    if (this.session) return this.session;
    if (this.closed) throw new ServiceUnavailableError('RabbitMQ', 'the queue connection is closed');
    if (this.opts.reconnect && waitMs > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, waitMs);
        t.unref();
        this.readyWaiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
      if (this.session) return this.session;
    }
    throw new ServiceUnavailableError('RabbitMQ', 'RabbitMQ is not connected', {
      hint: 'the execution stays pending; the daemon publishes it once the broker is back',
    });
  }

  async publish(executionIds: string[]): Promise<void> {
    if (!executionIds.length) return;
    const s = await this.current(1000);
    await this.confirmAll(s, executionIds, (id, cb) =>
      s.pub.publish(this.topology.exchange, this.topology.routingKey, encodeMessage(id), messageProps(id), cb),
    );
  }

  async publishDelayed(executionIds: string[], delayMs: number): Promise<void> {
    if (!executionIds.length) return;
    if (delayMs <= 0) return this.publish(executionIds);
    const s = await this.current(1000);
    const name = this.topology.delayQueue(delayMs);
    if (!s.declaredDelays.has(Math.round(delayMs))) {
      await declareDelayQueue(s.pub, this.topology, delayMs);
      s.declaredDelays.add(Math.round(delayMs));
    }
    await this.confirmAll(s, executionIds, (id, cb) => s.pub.sendToQueue(name, encodeMessage(id), messageProps(id), cb));
  }

  private async confirmAll(
    s: Session,
    ids: string[],
    send: (id: string, cb: (err: unknown) => void) => boolean,
  ): Promise<void> {
    const confirms: Promise<void>[] = [];
    for (const id of ids) {
      let writable = true;
      confirms.push(
        new Promise<void>((resolve, reject) => {
          writable = send(id, (err) => (err ? reject(new ServiceUnavailableError('RabbitMQ', 'the broker did not confirm a publish')) : resolve()));
        }),
      );
      // Respect the socket's back-pressure on large batches.
      if (!writable) await new Promise<void>((r) => s.pub.once('drain', () => r()));
    }
    const closed = new Promise<never>((_, reject) => {
      const onClose = () => reject(new ServiceUnavailableError('RabbitMQ', 'the connection closed before the broker confirmed'));
      s.pubCloseWaiters.add(onClose);
      void Promise.allSettled(confirms).then(() => s.pubCloseWaiters.delete(onClose));
    });
    closed.catch(() => {});
    await Promise.race([Promise.all(confirms), closed]);
  }

  async consume(handler: (d: QueueDelivery) => void, prefetch: number): Promise<void> {
    this.handler = handler;
    this.prefetch = Math.max(1, prefetch);
    if (this.session) await this.startConsumer(this.session);
  }

  private async startConsumer(s: Session): Promise<void> {
    const sub = await s.conn.createChannel();
    sub.on('error', () => {});
    sub.on('close', () => this.channelClosed(s.generation));
    await sub.prefetch(this.prefetch);
    s.sub = sub;
    s.acks = new AckBatcher(sub);
    const reply = await sub.consume(this.topology.queue, (msg) => {
      if (!msg) {
        // The broker cancelled the consumer (queue deleted): start over.
        this.channelClosed(s.generation);
        return;
      }
      this.handler?.(this.delivery(s, sub, msg));
    });
    s.consumerTag = reply.consumerTag;
  }

  private delivery(s: Session, ch: Channel, msg: ConsumeMessage): QueueDelivery {
    const acks = s.acks!;
    const tag = msg.fields.deliveryTag;
    acks.delivered(tag);
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      // A delivery from a previous connection cannot be settled: the broker already requeued it.
      if (this.session?.generation !== s.generation || s.sub !== ch) return;
      try {
        fn();
      } catch {
        // Channel closing under us: the message will be redelivered.
      }
    };
    return {
      executionId: decodeMessage(msg.content),
      redelivered: msg.fields.redelivered,
      ack: () => settle(() => acks.ack(tag)),
      requeue: () => settle(() => acks.nack(msg, true)),
      deadLetter: () => settle(() => acks.nack(msg, false)),
    };
  }

  async stopConsuming(): Promise<void> {
    this.handler = undefined;
    const s = this.session;
    if (s?.sub && s.consumerTag) {
      const tag = s.consumerTag;
      s.consumerTag = undefined;
      await s.sub.cancel(tag).catch(() => {});
    }
  }

  async stats(): Promise<QueueStats> {
    const s = await this.current(0);
    const main = await s.pub.checkQueue(this.topology.queue);
    const dead = await s.pub.checkQueue(this.topology.deadQueue);
    // checkQueue reports ready messages only; unacked needs the management API, so it is the
    // caller's in-flight count when known.
    return { ready: main.messageCount, unacked: 0, deadLettered: dead.messageCount, consumers: main.consumerCount };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const s = this.session;
    this.session = undefined;
    for (const w of this.readyWaiters.splice(0)) w();
    if (s) await s.conn.close().catch(() => {});
  }
}

function messageProps(id: string) {
  return { persistent: true, messageId: id, contentType: 'application/json' };
}

/**
 * Coalesces acks of one channel: acks made in the same tick go out together, the run of
 * settled deliveries at the front as ONE `basic.ack` with multiple=true (a batch recorded in
 * one statement is acked in one frame, and the quorum queue settles it in one command), and
 * any other settled delivery behind a still-running one on its own, at once, so a long
 * execution never holds back the acks (and so the prefetch slots) of short ones.
 */
export class AckBatcher {
  /** Unsettled delivery tags in delivery order (tags increase per channel); true once acked. */
  private readonly outstanding = new Map<number, boolean>();
  private scheduled = false;

  constructor(private readonly ch: Pick<Channel, 'ack' | 'nack'>) {}

  delivered(tag: number): void {
    this.outstanding.set(tag, false);
  }

  ack(tag: number): void {
    if (!this.outstanding.has(tag)) return;
    this.outstanding.set(tag, true);
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  /** Requeue or dead-letter: sent at once (after the acks made before it). */
  nack(msg: ConsumeMessage, requeue: boolean): void {
    this.flush();
    this.outstanding.delete(msg.fields.deliveryTag);
    this.ch.nack(msg, false, requeue);
  }

  private flush(): void {
    this.scheduled = false;
    let front: number | undefined;
    for (const [tag, acked] of this.outstanding) {
      if (!acked) break;
      front = tag;
      this.outstanding.delete(tag);
    }
    // Runs as a microtask, outside the caller's try: a channel that closed meanwhile throws
    // here, and its unacked messages are redelivered by the broker anyway.
    try {
      if (front !== undefined) this.ch.ack(ackable(front), true);
      for (const [tag, acked] of this.outstanding) {
        if (!acked) continue;
        this.outstanding.delete(tag);
        this.ch.ack(ackable(tag), false);
      }
    } catch {
      this.outstanding.clear();
    }
  }
}

/** amqplib only reads the delivery tag of the message it acks. */
function ackable(deliveryTag: number): ConsumeMessage {
  return { fields: { deliveryTag } } as ConsumeMessage;
}
