import type { Core } from '../context.js';
import type { ExecutionEventInput } from './events.js';

export interface PipelineLog {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/**
 * The worker's side of live events. Events of one execution go out in order (one chain per
 * execution) and those produced in the same tick are coalesced into one Redis call, so a fast
 * three-node workflow costs one round trip, not eight. Redis is never on the execution's
 * critical path: when it fails, events are dropped for a few seconds (one warning per outage)
 * and the execution runs and is recorded regardless; followers then fall back to the database.
 */
export class EventSink {
  private readonly buffers = new Map<string, { events: ExecutionEventInput[]; chain: Promise<void>; scheduled: boolean }>();
  private downUntil = 0;
  private warned = false;

  constructor(
    private readonly core: Core,
    private readonly log: PipelineLog,
  ) {}

  emit(event: ExecutionEventInput): void {
    if (Date.now() < this.downUntil) return;
    const id = event.execution_id;
    let b = this.buffers.get(id);
    if (!b) {
      b = { events: [], chain: Promise.resolve(), scheduled: false };
      this.buffers.set(id, b);
    }
    b.events.push(event);
    if (!b.scheduled) {
      b.scheduled = true;
      const buf = b;
      setImmediate(() => {
        buf.scheduled = false;
        const batch = buf.events.splice(0);
        buf.chain = buf.chain.then(() => this.send(batch));
      });
    }
  }

  /** Wait until everything emitted for this execution is sent (or dropped), then forget it. */
  async settle(executionId: string): Promise<void> {
    const b = this.buffers.get(executionId);
    if (!b) return;
    await new Promise((r) => setImmediate(r));
    await b.chain;
    if (!b.events.length && !b.scheduled) this.buffers.delete(executionId);
  }

  private async send(batch: ExecutionEventInput[]): Promise<void> {
    if (!batch.length || Date.now() < this.downUntil) return;
    const { appendAndPublish } = await import('./events.js');
    const ok = await appendAndPublish(this.core, batch);
    if (ok === false) {
      this.downUntil = Date.now() + 5000;
      if (!this.warned) {
        this.warned = true;
        this.log.warn('Redis unavailable: live execution events are not published; executions still run and are recorded');
      }
    } else if (this.warned) {
      this.warned = false;
      this.log.info('Redis available again: live execution events resumed');
    }
  }
}
