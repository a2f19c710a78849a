import type { Channel } from 'amqplib';

/**
 * RabbitMQ names and arguments of the execution queue, derived from the `amqp_prefix` setting
 * (each test file has its own prefix). Arguments of an existing queue cannot change in place
 * (PRECONDITION_FAILED), so changing one here needs a new name.
 *
 *   <p>.executions (direct exchange) --run--> <p>.executions (quorum queue, manual acks)
 *   <p>.executions --rejected--> <p>.executions.dlx (exchange) --dead--> <p>.executions.dead
 *   <p>.executions.delay.<ms> (TTL ms, dead-letters to <p>.executions/run): retry backoff
 */
export interface Topology {
  exchange: string;
  routingKey: string;
  queue: string;
  deadExchange: string;
  deadQueue: string;
  delayQueue(delayMs: number): string;
}

export function topology(prefix: string): Topology {
  const base = `${prefix || 'jobsprint'}.executions`;
  return {
    exchange: base,
    routingKey: 'run',
    queue: base,
    deadExchange: `${base}.dlx`,
    deadQueue: `${base}.dead`,
    delayQueue: (ms) => `${base}.delay.${Math.round(ms)}`,
  };
}

/**
 * A message returned this many times (consumer crashes, requeues) is dead-lettered by the
 * broker: a message that kills every worker must not loop forever. High, because every
 * connection loss returns all of a consumer's unacked messages.
 */
export const DELIVERY_LIMIT = 50;

/** Idempotent: every (re)connect declares the whole topology before consuming or publishing. */
export async function declareTopology(ch: Channel, t: Topology): Promise<void> {
  await ch.assertExchange(t.exchange, 'direct', { durable: true });
  await ch.assertExchange(t.deadExchange, 'direct', { durable: true });
  await ch.assertQueue(t.queue, {
    durable: true,
    arguments: {
      'x-queue-type': 'quorum',
      'x-dead-letter-exchange': t.deadExchange,
      'x-dead-letter-routing-key': 'dead',
      'x-delivery-limit': DELIVERY_LIMIT,
    },
  });
  await ch.bindQueue(t.queue, t.exchange, t.routingKey);
  await ch.assertQueue(t.deadQueue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await ch.bindQueue(t.deadQueue, t.deadExchange, 'dead');
}

/**
 * One classic queue per delay value: a TTL queue holds messages until they expire, then
 * dead-letters them to the main exchange. Per-queue TTL (not per-message) keeps expiry in order.
 * Unused delay queues delete themselves a minute after their delay. Delay values are bucketed
 * by the caller (retry.ts) so the number of queues stays small.
 */
export async function declareDelayQueue(ch: Channel, t: Topology, delayMs: number): Promise<string> {
  const name = t.delayQueue(delayMs);
  await ch.assertQueue(name, {
    durable: true,
    arguments: {
      'x-message-ttl': Math.round(delayMs),
      'x-dead-letter-exchange': t.exchange,
      'x-dead-letter-routing-key': t.routingKey,
      'x-expires': Math.round(delayMs) + 60_000,
    },
  });
  return name;
}
