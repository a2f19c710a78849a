import { isUuid } from '../ids.js';
/**
 * The execution queue as the pipeline sees it. RabbitMQ implements it (rabbitmq.ts); the
 * embedded mode implements it in process. Messages name an execution by id and nothing else:
 * the executions row is the source of truth (and the outbox), so a message may be duplicated
 * or lost without harm — claiming is idempotent and the sweeper republishes what is missing.
 *
 * Contract for an implementation:
 * - publish/publishDelayed resolve only once every message is durably accepted (publisher
 *   confirms); they reject otherwise, and the caller leaves the row unpublished for the sweeper.
 * - consume delivers each message to the handler at least once, at most `prefetch` unsettled
 *   at a time; a delivery settled by ack/requeue/deadLetter is never delivered again except
 *   after requeue. Unsettled deliveries are redelivered when the consumer goes away (crash,
 *   connection loss), with `redelivered` set.
 * - Settling a delivery whose connection is gone is a silent no-op (it will be redelivered).
 */
export interface QueueDelivery {
  /** The execution the message names, or null when the body is not a valid message (poison). */
  readonly executionId: string | null;
  /** The broker delivered it before (to a consumer that died or handed it back). */
  readonly redelivered: boolean;
  /** Done with it: the execution's state is committed. */
  ack(): void;
  /** Hand it back for redelivery (shutdown). */
  requeue(): void;
  /** Poison: move it to the dead-letter queue. */
  deadLetter(): void;
}

export interface QueueStats {
  ready: number;
  unacked: number;
  deadLettered: number;
  consumers: number;
}

export interface ExecutionQueue {
  /** Publish one message per id; resolves when all are confirmed. */
  publish(executionIds: string[]): Promise<void>;
  /** Publish so that the messages reach the main queue after delayMs (retry backoff, re-checks). */
  publishDelayed(executionIds: string[], delayMs: number): Promise<void>;
  /** Start delivering to handler; survives reconnects (the implementation re-subscribes). */
  consume(handler: (delivery: QueueDelivery) => void, prefetch: number): Promise<void>;
  /** Stop receiving new deliveries; unsettled ones can still be settled. */
  stopConsuming(): Promise<void>;
  stats(): Promise<QueueStats>;
  /** True while connected (readiness). */
  isConnected(): boolean;
  close(): Promise<void>;
}

/** The message body: small, versioned, and only an id. */
export interface ExecutionMessage {
  v: 1;
  execution_id: string;
}

export function encodeMessage(executionId: string): Buffer {
  return Buffer.from(JSON.stringify({ v: 1, execution_id: executionId } satisfies ExecutionMessage));
}

/** The execution id of a message body, or null for anything else. */
export function decodeMessage(body: Buffer): string | null {
  try {
    const m = JSON.parse(body.toString('utf8')) as Partial<ExecutionMessage> | null;
    return m && m.v === 1 && isUuid(m.execution_id) ? m.execution_id.toLowerCase() : null;
  } catch {
    return null;
  }
}
