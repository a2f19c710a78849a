import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { createTestEnv, type TestEnv } from '../../helpers/env.js';
import { RabbitExecutionQueue } from '../../../src/core/executions/rabbitmq.js';
import type { QueueDelivery } from '../../../src/core/executions/queue.js';
import { deleteQueues, queueDepth, waitFor } from './helpers.js';

// The consumer's acks are coalesced (one multiple=true ack for the settled front): against the
// real broker, every settled delivery must end acked, and an unsettled one must neither be
// acked by a later multiple ack nor hold back the acks of the deliveries behind it.
let t: TestEnv;
let queue: RabbitExecutionQueue;
const deliveries: QueueDelivery[] = [];

beforeAll(async () => {
  t = await createTestEnv({ redis: false });
  queue = await RabbitExecutionQueue.connect({ url: t.amqpUrl, prefix: t.amqpPrefix, connectionName: `jobsprint test ${t.amqpPrefix}` });
  await queue.consume((d) => deliveries.push(d), 50);
});

afterAll(async () => {
  await queue?.close();
  await deleteQueues(t.amqpUrl, t.amqpPrefix).catch(() => {});
  await t?.cleanup();
});

/** Ready messages in the main queue: once the consumer's connection is gone, what it never acked. */
function ready(): Promise<number> {
  return queueDepth(t.amqpUrl, `${t.amqpPrefix}.executions`);
}

describe('coalesced acks', () => {
  it('acks every settled delivery, out of order, while one stays unsettled; requeue and dead-letter still work', async () => {
    const ids = Array.from({ length: 40 }, () => randomUUID());
    await queue.publish(ids);
    await waitFor(async () => deliveries.length === 40, 10_000, '40 deliveries');
    const byId = new Map(deliveries.map((d) => [d.executionId!, d]));
    // The first stays unsettled (a long execution); the rest settle in scrambled order, some
    // in the same tick (one multiple ack), some later, one dead-lettered and one requeued.
    const [first, ...rest] = ids;
    const scrambled = [...rest].reverse();
    for (const id of scrambled.slice(0, 20)) byId.get(id)!.ack();
    await new Promise((r) => setTimeout(r, 20));
    byId.get(scrambled[20]!)!.deadLetter();
    for (const id of scrambled.slice(21, 38)) byId.get(id)!.ack();
    const requeued = scrambled[38]!;
    byId.get(requeued)!.requeue();
    // The requeued one comes back; ack it this time.
    await waitFor(async () => deliveries.length === 41, 10_000, 'the requeued delivery');
    expect(deliveries[40]!.executionId).toBe(requeued);
    expect(deliveries[40]!.redelivered).toBe(true);
    deliveries[40]!.ack();
    await waitFor(async () => (await queueDepth(t.amqpUrl, `${t.amqpPrefix}.executions.dead`)) === 1, 10_000, 'one dead-lettered');

    // Stop consuming and drop the connection: the broker requeues exactly what was never acked.
    await queue.stopConsuming();
    await queue.close();
    await waitFor(async () => (await ready()) === 1, 10_000, 'only the unsettled delivery back in the queue');
    queue = await RabbitExecutionQueue.connect({ url: t.amqpUrl, prefix: t.amqpPrefix, connectionName: `jobsprint test ${t.amqpPrefix}` });
    const again: QueueDelivery[] = [];
    await queue.consume((d) => again.push(d), 5);
    await waitFor(async () => again.length === 1, 10_000, 'the unsettled one redelivered');
    expect(again[0]!.executionId).toBe(first);
    again[0]!.ack();
    await queue.stopConsuming();
    await queue.close();
    await waitFor(async () => (await ready()) === 0, 10_000, 'nothing left');
    queue = await RabbitExecutionQueue.connect({ url: t.amqpUrl, prefix: t.amqpPrefix });
  });
});
