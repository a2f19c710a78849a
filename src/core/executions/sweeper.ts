import type { Db } from '../db/types.js';
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
 * 1. publishes pending executions whose publish was never confirmed (enqueuer killed between
 *    commit and publish, broker down, a retry's delayed publish failed) once they are due;
 * 2. republishes pending executions still waiting long after their publish (a message lost
 *    with a broker's classic delay queue); duplicates are harmless, claiming is idempotent;
 * 3. republishes running executions whose heartbeat is stale (their worker died and no message
 *    is left to redeliver): the claim re-takes them as a new attempt;
 * 4. copies the sharded counters into the workflows rows.
 * Rows found are marked before publishing so the next sweep does not publish them again.
 */
export async function sweep(db: Db, queue: ExecutionQueue, s: PipelineSettings, log: PipelineLog): Promise<SweepResult | null> {
  // One statement, so the transaction-scoped lock covers all three marks without holding a
  // client across round trips.
  const r = await db.query<{ locked: boolean; unpublished: string[]; stuck: string[]; stale: string[] }>(
    `WITH lock AS (SELECT pg_try_advisory_xact_lock($4) AS ok),
     unpublished AS (
       UPDATE executions SET execution_metadata = execution_metadata || jsonb_build_object('published_at', now(), 'swept_at', now())
       WHERE (SELECT ok FROM lock) AND id IN (
         SELECT id FROM executions
         WHERE status = 'pending' AND NOT (execution_metadata ? 'published_at')
           AND GREATEST(started_at, COALESCE((execution_metadata->>'not_before')::timestamptz, started_at))
               < now() - make_interval(secs => $1::double precision / 1000)
         ORDER BY started_at LIMIT $5)
       RETURNING id),
     stuck AS (
       UPDATE executions SET execution_metadata = execution_metadata || jsonb_build_object('published_at', now(), 'swept_at', now())
       WHERE (SELECT ok FROM lock) AND id IN (
         SELECT id FROM executions
         WHERE status = 'pending' AND (execution_metadata->>'published_at')::timestamptz < now() - make_interval(secs => $2::double precision / 1000)
           AND COALESCE((execution_metadata->>'not_before')::timestamptz, '-infinity') < now()
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
            ARRAY(SELECT id::text FROM stuck) AS stuck,
            ARRAY(SELECT id::text FROM stale) AS stale`,
    [s.unpublishedAfterMs, s.stuckPendingAfterMs, s.staleMs, SWEEP_LOCK, SWEEP_LIMIT],
  );
  const row = r.rows[0];
  if (!row?.locked) return null;
  const folded = await db.query<{ n: number }>('SELECT jobsprint_fold_workflow_counters() AS n');
  const found = { unpublished: row.unpublished, stuck: row.stuck, stale: row.stale, folded: folded.rows[0]?.n ?? 0 };
  if (!found) return null;
  const ids = [...found.unpublished, ...found.stuck, ...found.stale];
  if (ids.length) {
    try {
      await queue.publish(ids);
    } catch (err) {
      // Marked but not published: undo the marks so the next sweep tries again.
      await db
        .query(
          `UPDATE executions SET execution_metadata = execution_metadata - 'published_at' - 'recovery_published_at'
           WHERE id = ANY($1::uuid[]) AND status IN ('pending', 'running')`,
          [ids],
        )
        .catch(() => {});
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
