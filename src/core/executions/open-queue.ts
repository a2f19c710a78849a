import type { Core } from '../context.js';
import type { ExecutionQueue } from './queue.js';

export interface OpenQueueOptions {
  /** Daemon: reconnect forever; CLI: fail fast (exit 6). */
  reconnect?: boolean;
  /** Shown as the broker connection's name (tests close their own connections by it). */
  role?: string;
  onStateChange?: (state: 'connected' | 'disconnected', err?: Error) => void;
}

/**
 * The execution queue for this configuration. RabbitMQ when `amqp_url` is set; the embedded
 * mode plugs its in-process queue in here. The queue is closed with the core.
 */
export async function openExecutionQueue(core: Core, opts: OpenQueueOptions = {}): Promise<ExecutionQueue> {
  const url = core.config.get('amqp_url');
  if (!url) {
    // Embedded mode: an in-process queue; a CLI publish runs the execution in this process.
    const { openMemoryQueue } = await import('./memory-queue.js');
    return openMemoryQueue(core, { consumeInProcess: !opts.reconnect });
  }
  const { RabbitExecutionQueue } = await import('./rabbitmq.js');
  const prefix = core.config.get('amqp_prefix') ?? 'jobsprint';
  const queue = await RabbitExecutionQueue.connect({
    url,
    prefix,
    connectTimeoutMs: core.connectTimeoutMs,
    reconnect: opts.reconnect,
    connectionName: `jobsprint ${opts.role ?? 'cli'} ${prefix} pid=${process.pid}`,
    onStateChange: opts.onStateChange,
  });
  core.onClose(() => queue.close());
  return queue;
}
