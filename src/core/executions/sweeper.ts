import type { Db } from '../db/types.js';
import { addToOutbox } from './enqueue.js';
import type { PipelineLog } from './event-sink.js';
import type { ExecutionQueue } from './queue.js';
import type { PipelineSettings } from './settings.js';

/** Only one daemon sweeps at a time (transaction-scoped advisory lock; no Redis needed). */
const SWEEP_LOCK = 0x6a6f6273; // "jobs"
const SWEEP_LIMIT = 5000;

export interface SweepResult {
  unpublished: number;
  stuckPending: number;
  staleRunning: number;
  countersFolded: number;
}

/**
 * The outbox's other half. Every few seconds one daemon:
 * 1. publishes what is still in the outbox a grace period after it was due (an enqueuer killed
 *    between commit and publish, a broker that was down, a retry whose delayed publish failed),
 *    deleting those outbox rows;
 * 2. republishes pending executions still waiting long after they were enqueued, due or swept
 *    (a message lost with a broker); duplicates are harmless, claiming is idempotent;
 * 3. republishes running executions whose heartbeat is stale (their worker died and no message
 *    is left to redeliver): the claim re-takes them as a new attempt;
 * 4. copies the sharded counters into the workflows rows.
 * Rows found are marked (swept_at, recovery_published_at) so the next sweep does not publish
 * them again; if the publish fails, they go back into the outbox, due at once.
 */
export async function sweep(db: Db, queue: ExecutionQueue, s: PipelineSettings, log: PipelineLog): Promise<SweepResult | null> {
  // One statement, so the transaction-scoped lock covers all of it without holding a client
  // across round trips.
  const r = await db.query<{ locked: boolean; unpublished: string[]; stuck: string[]; stale: string[] }>(
    `WITH lock AS (SELECT pg_try_advisory_xact_lock($4) AS ok),
     due AS (
       DELETE FROM execution_outbox
       WHERE (SELECT ok FROM lock) AND id IN (
         SELECT id FROM execution_outbox
         WHERE publish_after < now() - make_interval(secs => $1::double precision / 1000)
         ORDER BY publish_after LIMIT $5)
       RETURNING execution_ids),
     unpublished AS (
       UPDATE executions SET execution_metadata = execution_metadata || jsonb_build_object('swept_at', now())
       WHERE id IN (SELECT unnest(execution_ids) FROM due) AND status = 'pending'
       RETURNING id),
     stuck AS (
       UPDATE executions SET execution_metadata = execution_metadata || jsonb_build_object('swept_at', now())
       WHERE (SELECT ok FROM lock) AND id IN (
         SELECT id FROM executions
         WHERE status = 'pending'
           AND GREATEST(started_at,
                        COALESCE((execution_metadata->>'enqueued_at')::timestamptz, '-infinity'),
                        COALESCE((execution_metadata->>'not_before')::timestamptz, '-infinity'),
                        COALESCE((execution_metadata->>'swept_at')::timestamptz, '-infinity'))
               < now() - make_interval(secs => $2::double precision / 1000)
         ORDER BY started_at LIMIT $5)
       RETURNING id),
     stale AS (
       UPDATE executions SET execution_metadata = execution_metadata || jsonb_build_object('recovery_published_at', now())
       WHERE (SELECT ok FROM lock) AND id IN (
         SELECT id FROM executions
         WHERE status = 'running'
           AND COALESCE((execution_metadata->>'heartbeat_at')::timestamptz, '-infinity') < now() - make_interval(secs => $3::double precision / 1000)
           AND COALESCE((execution_metadata->>'recovery_published_at')::timestamptz, '-infinity') < now() - make_interval(secs => $3::double precision / 1000)
         ORDER BY started_at LIMIT $5)
       RETURNING id)
     SELECT (SELECT ok FROM lock) AS locked,
            ARRAY(SELECT id::text FROM unpublished) AS unpublished,
            ARRAY(SELECT id::text FROM stuck WHERE id NOT IN (SELECT id FROM unpublished)) AS stuck,
            ARRAY(SELECT id::text FROM stale) AS stale`,
    [s.unpublishedAfterMs, s.stuckPendingAfterMs, s.staleMs, SWEEP_LOCK, SWEEP_LIMIT],
  );
  const row = r.rows[0];
  if (!row?.locked) return null;
  const folded = await db.query<{ n: number }>('SELECT jobsprint_fold_workflow_counters() AS n');
  const found = { unpublished: row.unpublished, stuck: row.stuck, stale: row.stale, folded: folded.rows[0]?.n ?? 0 };
  const ids = [...found.unpublished, ...found.stuck, ...found.stale];
  if (ids.length) {
    try {
      await queue.publish(ids);
    } catch (err) {
      // Taken out of the outbox but not published: put them back, due at once, so the next
      // sweep tries again.
      await addToOutbox(db, [...found.unpublished, ...found.stuck], '-infinity').catch(() => {});
      if (found.stale.length) {
        await db
          .query(`UPDATE executions SET execution_metadata = execution_metadata - 'recovery_published_at' WHERE id = ANY($1::uuid[]) AND status = 'running'`, [
            found.stale,
          ])
          .catch(() => {});
      }
      throw err;
    }
    log.info('sweeper republished executions', {
      unpublished: found.unpublished.length,
      stuck_pending: found.stuck.length,
      stale_running: found.stale.length,
    });
  }
  return { unpublished: found.unpublished.length, stuckPending: found.stuck.length, staleRunning: found.stale.length, countersFolded: found.folded };
}

/** Run sweep() every interval until stopped; failures are logged and retried next time. */
export function startSweeper(db: Db, queue: ExecutionQueue, s: PipelineSettings, log: PipelineLog): { stop(): Promise<void>; runNow(): Promise<void> } {
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const tick = () => {
    running = running.then(async () => {
      if (stopped) return;
      try {
        await sweep(db, queue, s, log);
      } catch (err) {
        log.warn('sweep failed; will retry', { error: (err as Error).message });
      }
    });
    return running;
  };
  const timer = setInterval(() => void tick(), s.sweepIntervalMs);
  void tick();
  return {
    runNow: tick,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
