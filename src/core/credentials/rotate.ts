import { setTimeout as sleep } from 'node:timers/promises';
import { recordAudit, type AuditContext } from '../audit.js';
import type { Db } from '../db/types.js';
import { ConflictError, JobsprintError, UsageError } from '../errors.js';
import { rewrapCredential } from './envelope.js';
import type { KeySet } from './keys.js';

/**
 * Online key rotation: re-wrap every credential's data key under the target KEK, in batches,
 * each batch one transaction holding row locks (FOR UPDATE SKIP LOCKED). Live writers lock the
 * same rows, so an update made during rotation is never overwritten by a stale re-wrap; rows a
 * writer holds are skipped and picked up by a later pass. Nothing is remembered between runs:
 * a rerun after an interruption simply finds the rows not yet on the target key.
 */
export interface RotateOptions {
  /** Target KEK id; default the active (first) key. */
  to?: string;
  batchSize?: number;
  /** Pause between batches, to keep a busy database responsive. */
  pauseMs?: number;
  signal?: AbortSignal;
  onProgress?: (p: RotateProgress) => void;
  /** The acting user for the audit row (null: the operator). */
  actorUserId?: string | null;
}

export interface RotateProgress {
  target_key_id: string;
  total: number;
  rotated: number;
  failed: number;
}

export interface RotateFailure {
  id: string;
  key_id: string | null;
  reason: string;
}

export interface RotateResult extends RotateProgress {
  /** Rows per previous key id that were re-wrapped. */
  from: Record<string, number>;
  failures: RotateFailure[];
  /** Rows still not on the target key (failed ones included). */
  remaining: number;
  interrupted: boolean;
  batches: number;
  duration_ms: number;
}

interface Row {
  id: string;
  user_id: string;
  key_id: string | null;
  encrypted_data: Buffer;
}

const NIL_UUID = '00000000-0000-0000-0000-000000000000';
/** Passes in a row that find only locked rows before giving up (locks are held for milliseconds). */
const MAX_IDLE_PASSES = 50;

export async function rotateKeys(db: Db, keys: KeySet, audit: AuditContext, opts: RotateOptions = {}): Promise<RotateResult> {
  const target = opts.to ?? keys.active.id;
  if (!keys.get(target)) {
    throw new UsageError(`key ${target} is not configured`, { hint: `configured keys: ${keys.ids.join(', ')}` });
  }
  const batchSize = opts.batchSize ?? 500;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new UsageError('--batch-size must be at least 1');
  const started = Date.now();
  const countRemaining = async (): Promise<number> => {
    const r = await db.query<{ n: string }>(`SELECT count(*) AS n FROM credentials WHERE key_id IS DISTINCT FROM $1`, [target]);
    return Number(r.rows[0]!.n);
  };
  const progress: RotateProgress = { target_key_id: target, total: await countRemaining(), rotated: 0, failed: 0 };
  const from: Record<string, number> = {};
  const failures = new Map<string, RotateFailure>();
  let batches = 0;
  let interrupted = false;
  let idlePasses = 0;
  let remaining = progress.total;

  passes: while (remaining > failures.size) {
    let after = NIL_UUID;
    let rotatedThisPass = 0;
    for (;;) {
      if (opts.signal?.aborted) {
        interrupted = true;
        break passes;
      }
      const batch = await db.transaction(async (tx) => {
        await tx.query(`SELECT set_config('jobsprint.preserve_updated_at', 'on', true)`);
        const r = await tx.query<Row>(
          `SELECT id, user_id, key_id, encrypted_data FROM credentials
            WHERE key_id IS DISTINCT FROM $1 AND id > $2
            ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED`,
          [target, after, batchSize],
        );
        const ids: string[] = [];
        const envelopes: Buffer[] = [];
        const fromKeys: Array<string | null> = [];
        for (const row of r.rows) {
          if (failures.has(row.id)) continue;
          try {
            envelopes.push(rewrapCredential(keys, { credentialId: row.id, userId: row.user_id }, row.key_id, target, row.encrypted_data));
            ids.push(row.id);
            fromKeys.push(row.key_id);
          } catch (err) {
            if (!(err instanceof JobsprintError)) throw err;
            failures.set(row.id, { id: row.id, key_id: row.key_id, reason: err.message });
          }
        }
        if (ids.length) {
          await tx.query(
            `UPDATE credentials c SET encrypted_data = v.data, key_id = $3
               FROM unnest($1::uuid[], $2::bytea[]) AS v(id, data) WHERE c.id = v.id`,
            [ids, envelopes, target],
          );
        }
        return { seen: r.rows.length, lastId: r.rows.at(-1)?.id, rotated: ids.length, fromKeys };
      });
      batches++;
      if (!batch.seen) break;
      after = batch.lastId!;
      rotatedThisPass += batch.rotated;
      progress.rotated += batch.rotated;
      progress.failed = failures.size;
      for (const k of batch.fromKeys) from[k ?? '(none)'] = (from[k ?? '(none)'] ?? 0) + 1;
      // Rows written with an old key while we run can raise the count; never show more than 100%.
      progress.total = Math.max(progress.total, progress.rotated + progress.failed);
      opts.onProgress?.({ ...progress });
      if (opts.pauseMs) await sleep(opts.pauseMs);
    }
    remaining = await countRemaining();
    if (rotatedThisPass === 0 && remaining > failures.size) {
      if (++idlePasses >= MAX_IDLE_PASSES) break;
      await sleep(100);
    } else idlePasses = 0;
  }

  remaining = await countRemaining();
  const result: RotateResult = {
    ...progress,
    failed: failures.size,
    from,
    failures: [...failures.values()],
    remaining,
    interrupted,
    batches,
    duration_ms: Date.now() - started,
  };
  if (result.rotated || result.failed) {
    await db.transaction((tx) =>
      recordAudit(tx, audit, {
        userId: opts.actorUserId ?? null,
        eventType: 'credential.key_rotated',
        resourceType: 'credential',
        resourceId: null,
        action: 'update',
        changes: { key_id: { from: Object.keys(from), to: target } },
        metadata: { rotated: result.rotated, failed: result.failed, remaining, interrupted, failed_ids: result.failures.map((f) => f.id) },
      }),
    );
  }
  if (!interrupted && remaining > failures.size) {
    throw new ConflictError(`${remaining - failures.size} credentials stayed locked by other transactions`, {
      hint: 'run `jobsprint credentials rotate-key` again to finish',
    });
  }
  return result;
}

/** Credentials per key id (`keys list --usage`): shows when an old key is no longer needed. */
export async function keyUsage(db: Db): Promise<Record<string, number>> {
  const r = await db.query<{ key_id: string | null; n: string }>(`SELECT key_id, count(*) AS n FROM credentials GROUP BY key_id ORDER BY key_id`);
  return Object.fromEntries(r.rows.map((row) => [row.key_id ?? '(none)', Number(row.n)]));
}
