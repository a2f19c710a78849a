import type { ChannelModel, ConfirmChannel } from 'amqplib';
import { ServiceUnavailableError } from '../errors.js';
import { maskUrl } from '../mask.js';

export type AmqpConnection = ChannelModel;
export type { ConfirmChannel };

export function amqpUnavailable(url: string, err: unknown): ServiceUnavailableError {
  const e = err as { code?: string; message?: string };
  const reason = e?.code ?? (e?.message ?? String(err)).split('\n')[0];
  return new ServiceUnavailableError('RabbitMQ', `RabbitMQ unavailable at ${maskUrl(url)}: ${reason}`, {
    hint: 'check that the broker is running and JOBSPRINT_AMQP_URL is right',
    cause: err,
  });
}

/** Connect (lazily imported amqplib) or fail within the connect timeout. */
export async function connectAmqp(url: string, connectTimeoutMs = 5000): Promise<AmqpConnection> {
  const amqp = await import('amqplib');
  let timer: NodeJS.Timeout | undefined;
  try {
    const conn = await Promise.race([
      amqp.connect(url, { timeout: connectTimeoutMs }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })), connectTimeoutMs);
        timer.unref();
      }),
    ]);
    // A broker-side close must not surface as an unhandled 'error' event.
    conn.on('error', () => {});
    return conn;
  } catch (err) {
    throw amqpUnavailable(url, err);
  } finally {
    if (timer) clearTimeout(timer);
  }
}
