import type { Db, TenantScope } from '../db/types.js';
import { NotFoundError } from '../errors.js';

export interface ExecutionEnd {
  id: string;
  workflow_id: string;
  status: string;
  trigger_type: string;
  started_at: string;
  completed_at: string | null;
  duration_ms: number | null;
  retry_count: number;
  error_message: string | null;
  output_data: unknown;
}

const FINAL = new Set(['success', 'failed', 'cancelled']);

/**
 * `run --wait`: poll the row until it is final (an automatic retry is not an end). Polling,
 * not Redis events, so waiting works when Redis is down; the interval backs off to 250 ms.
 */
export async function waitForExecution(db: Db, scope: TenantScope, id: string, opts: { signal?: AbortSignal } = {}): Promise<ExecutionEnd> {
  let interval = 20;
  for (;;) {
    const r = await db.tenantTransaction(scope, (tx) =>
      tx.query<ExecutionEnd>(
        `SELECT id, workflow_id, status, trigger_type, started_at, completed_at, duration_ms, retry_count, error_message, output_data
         FROM executions WHERE id = $1`,
        [id],
      ),
    );
    const row = r.rows[0];
    if (!row) throw new NotFoundError(`execution ${id} not found`, { hint: 'it may have been deleted' });
    if (FINAL.has(row.status) || opts.signal?.aborted) return row;
    await new Promise((res) => setTimeout(res, interval));
    interval = Math.min(250, interval * 1.5);
  }
}
