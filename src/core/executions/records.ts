import type { Queryable } from '../db/types.js';
import type { EngineEvent, INodeExecutionData, IRunData, RunResult, WorkflowDefinition } from '../engine/types.js';

/** One execution_nodes row. */
export interface NodeRecord {
  node_id: string;
  node_name: string;
  node_type: string;
  status: 'running' | 'success' | 'failed' | 'cancelled';
  started_at: string | null;
  completed_at: string | null;
  duration_ms: number | null;
  /** JSON text of the node's input items (capped, see capJson), or null. */
  input_json: string | null;
  /** JSON text of its output items (capped), or null. */
  output_json: string | null;
  error_message: string | null;
  retry_count: number;
}

/** The end of one attempt, as the worker hands it to the finalizer. */
export interface AttemptOutcome {
  id: string;
  workflow_id: string;
  attempt: number;
  /** What the row becomes: a final status, or pending again for an automatic retry. */
  status: 'success' | 'failed' | 'cancelled' | 'pending';
  /** JSON text of the execution's output (last node's items, capped), or null. */
  output_json: string | null;
  error_message: string | null;
  duration_ms: number;
  retry_count: number;
  /** Merged into execution_metadata. */
  metadata: Record<string, unknown>;
  /** Keys removed from execution_metadata first. */
  removeMetadata: string[];
  nodes: NodeRecord[];
  /** Earlier attempts may have left rows for nodes this one never reached. */
  replaceNodes: boolean;
  /** The workflow's static data as this attempt left it, when it changed and is to be kept. */
  staticData?: Record<string, unknown> | null;
}

/**
 * Node records of one attempt, built from the engine's events (timings, status, live order)
 * and its run data (items). Kept in memory until the attempt ends; the live view gets the
 * same events through Redis, so the database is written once per execution, not per node.
 */
export class NodeTracker {
  private readonly byName = new Map<string, NodeRecord>();
  /** Each node's first start, ms since the epoch (durations without parsing the ISO strings back). */
  private readonly startMs = new Map<string, number>();
  /** Microseconds since the epoch of the latest node start: starts stay strictly in run order. */
  private lastStartUs = 0;

  constructor(private readonly definition: WorkflowDefinition) {}

  /**
   * Nodes often start within the same millisecond; a microsecond step keeps `started_at` in the
   * order they ran, so `executions show` and logs list them as they happened.
   */
  private startStamp(ms: number): string {
    this.lastStartUs = Math.max(Math.round(ms * 1000), this.lastStartUs + 1);
    const wholeMs = Math.floor(this.lastStartUs / 1000);
    const micros = String(this.lastStartUs % 1000).padStart(3, '0');
    return `${isoAt(wholeMs).slice(0, 23)}${micros}Z`;
  }

  private nodeIdOf(name: string): string {
    const node = this.definition.nodes?.find((n) => n.name === name);
    return String(node?.id ?? name).slice(0, 100);
  }

  onEvent(e: EngineEvent): void {
    if (e.type === 'nodeStart') {
      const prev = this.byName.get(e.node);
      const startedAt = prev?.started_at ?? this.startStamp(e.time);
      if (!prev) this.startMs.set(e.node, Math.floor(this.lastStartUs / 1000));
      this.byName.set(e.node, {
        node_id: this.nodeIdOf(e.node),
        node_name: e.node.slice(0, 255),
        node_type: e.nodeType.slice(0, 100),
        status: 'running',
        started_at: startedAt,
        completed_at: null,
        duration_ms: null,
        input_json: null,
        output_json: null,
        error_message: null,
        retry_count: 0,
      });
    } else {
      const rec = this.byName.get(e.node);
      if (!rec) return;
      const now = Date.now();
      rec.status = e.status === 'success' ? 'success' : e.status === 'error' ? 'failed' : 'cancelled';
      rec.completed_at = isoAt(now);
      const started = this.startMs.get(e.node);
      rec.duration_ms = started !== undefined ? Math.max(0, now - started) : e.durationMs;
      rec.error_message = e.error?.message ?? null;
    }
  }

  /** Rows for the attempt: nodes still running when it ended were cut off (cancel, timeout). */
  records(result: RunResult | null, maxBytes: number): NodeRecord[] {
    const endedMs = Date.now();
    const endedAt = isoAt(endedMs);
    const runData: IRunData = result?.runData ?? {};
    const out: NodeRecord[] = [];
    // A node's input is its source's output (the same arrays): each is serialized once.
    const texts = new Map<INodeExecutionData[], string>();
    const dataJson = (main: Array<INodeExecutionData[] | null | undefined> | null): string | null => {
      if (!main) return null;
      let json = '{"main":[';
      for (let i = 0; i < main.length; i++) {
        const items = main[i];
        let text = items ? texts.get(items) : 'null';
        if (text === undefined) {
          text = JSON.stringify(items!.map(itemJson));
          texts.set(items!, text);
        }
        json += i ? `,${text}` : text;
      }
      json += ']}';
      return fits(json, maxBytes) ? json : capJson({ main: main.map((items) => (items ? items.map(itemJson) : null)) }, maxBytes);
    };
    for (const [name, rec] of this.byName) {
      if (rec.status === 'running') {
        rec.status = 'cancelled';
        rec.completed_at = endedAt;
        const started = this.startMs.get(name);
        rec.duration_ms = started !== undefined ? Math.max(0, endedMs - started) : null;
      }
      const tasks = runData[rec.node_name] ?? [];
      const last = tasks[tasks.length - 1];
      if (last) {
        rec.output_json = dataJson(last.data ? last.data.main : null);
        rec.input_json = dataJson(inputOf(runData, last.source));
        if (!rec.error_message && last.error) rec.error_message = last.error.message;
      }
      out.push(rec);
    }
    return out;
  }
}

/** Items a node received: its sources' outputs (n8n keeps no input copy). */
function inputOf(
  runData: IRunData,
  sources: Array<{ previousNode: string; previousNodeOutput?: number; previousNodeRun?: number } | null>,
): Array<INodeExecutionData[] | null> | null {
  if (!sources?.length) return null;
  return sources.map((src) => {
    if (!src) return null;
    const runs = runData[src.previousNode] ?? [];
    const run = runs[src.previousNodeRun ?? runs.length - 1];
    return run?.data?.main?.[src.previousNodeOutput ?? 0] ?? null;
  });
}

function itemJson(item: INodeExecutionData): unknown {
  // Binary payloads are base64 blobs: recorded as metadata only, never copied into the table.
  if (!item.binary) return { json: item.json };
  const binary: Record<string, unknown> = {};
  for (const [k, b] of Object.entries(item.binary)) binary[k] = { mimeType: b.mimeType, fileName: b.fileName, fileSize: b.fileSize };
  return { json: item.json, binary };
}

/**
 * Node data as JSON text, serialized once: data above maxBytes (as JSON) is replaced by a marker
 * with as many leading items as fit, so a node that returns 100 MB cannot bloat the table or the
 * final transaction.
 */
export function capJson(value: unknown, maxBytes: number): string | null {
  if (value === null || value === undefined) return null;
  const json = JSON.stringify(value);
  if (json === undefined) return null;
  return fits(json, maxBytes) ? json : JSON.stringify(truncated(value, json, maxBytes));
}

function fits(json: string, maxBytes: number): boolean {
  return json.length <= maxBytes && Buffer.byteLength(json) <= maxBytes;
}

function truncated(value: unknown, json: string, maxBytes: number): unknown {
  const bytes = Buffer.byteLength(json);
  const main = (value as { main?: unknown[] }).main;
  const kept: unknown[][] = [];
  const counts: number[] = [];
  let budget = maxBytes - 200;
  if (Array.isArray(main)) {
    for (const output of main) {
      const keep: unknown[] = [];
      counts.push(Array.isArray(output) ? output.length : 0);
      if (Array.isArray(output)) {
        for (const item of output) {
          const size = Buffer.byteLength(JSON.stringify(item)) + 1; // bytes, and the comma
          if (size > budget) break;
          budget -= size;
          keep.push(item);
        }
      }
      kept.push(keep);
    }
  }
  // `items` = item count per output (what `executions show` prints); `preview` = leading items.
  return { truncated: true, original_bytes: bytes, items: counts, preview: { main: kept } };
}

/**
 * The execution's output as JSON text: the last node's items, capped like node data. Its node
 * record holds the same items already serialized (`lastNodeJson`): reused rather than made again.
 */
export function executionOutput(result: RunResult | null, maxBytes: number, lastNodeJson?: string | null): string | null {
  if (!result?.lastNodeExecuted) return null;
  let capped = lastNodeJson;
  if (capped === undefined) {
    const tasks = result.runData[result.lastNodeExecuted] ?? [];
    const last = tasks[tasks.length - 1];
    if (!last?.data) return null;
    capped = capJson({ main: last.data.main.map((items) => (items ? items.map(itemJson) : null)) }, maxBytes);
  }
  if (!capped || capped[0] !== '{') return null;
  return `{"last_node":${JSON.stringify(result.lastNodeExecuted)}${capped.length > 2 ? ',' : ''}${capped.slice(1)}`;
}

/** ISO time of `ms`, made once per millisecond (toISOString per node start and end was measurable). */
export function isoAt(ms: number): string {
  if (ms !== isoCache.ms) {
    isoCache.ms = ms;
    isoCache.iso = new Date(ms).toISOString();
  }
  return isoCache.iso;
}
const isoCache = { ms: NaN, iso: '' };

/** A JSON string or null, for building JSON text. */
function str(s: string | null): string {
  return s === null ? 'null' : JSON.stringify(s);
}

/** A number or null, for building JSON text (JSON has no NaN). */
function num(n: number | null): string {
  return n !== null && Number.isFinite(n) ? String(n) : 'null';
}

/**
 * Write the end of a batch of attempts in ONE statement (so one implicit transaction and one
 * round trip): the executions rows — only those this worker still owns at this attempt, so a
 * worker presumed dead whose execution was re-claimed writes nothing — then every node row of
 * those executions in one multi-row upsert, and rows an earlier attempt left for nodes this
 * one never reached are removed. The counters follow from the UPDATE through the statistics
 * trigger. Returns the ids whose outcome was recorded, each with the outbox row of its retry
 * (null when it ended).
 */
export async function recordOutcomes(db: Queryable, workerId: string, outcomes: AttemptOutcome[]): Promise<Map<string, string | null>> {
  if (!outcomes.length) return new Map();
  // One static-data write per workflow and batch (an upsert may not touch a row twice): the
  // last outcome of the batch that changed it wins, as the last writer does across batches.
  const staticWriter = new Map<string, string>();
  for (const o of outcomes) if (o.staticData) staticWriter.set(o.workflow_id, o.id);
  // The statement's JSON is built as text around each outcome's already-serialized data: node
  // items are serialized once (when capped), not again for the statement.
  let rows = '';
  let nodes = '';
  for (const o of outcomes) {
    const staticData = o.staticData && staticWriter.get(o.workflow_id) === o.id ? JSON.stringify(o.staticData) : 'null';
    rows +=
      `${rows ? ',' : '['}{"id":${JSON.stringify(o.id)},"static_data":${staticData},"attempt":${o.attempt},"status":"${o.status}",` +
      `"output_data":${o.output_json ?? 'null'},"error_message":${str(o.error_message)},"duration_ms":${num(Math.round(o.duration_ms))},` +
      `"retry_count":${o.retry_count},"meta":${JSON.stringify(o.metadata)},"remove":${JSON.stringify(o.removeMetadata)}}`;
    const execution = JSON.stringify(o.id);
    for (const n of o.nodes) {
      nodes +=
        `${nodes ? ',' : '['}{"execution_id":${execution},"node_id":${str(n.node_id)},"node_name":${str(n.node_name)},"node_type":${str(n.node_type)},` +
        `"status":"${n.status}","started_at":${str(n.started_at)},"completed_at":${str(n.completed_at)},"duration_ms":${num(n.duration_ms)},` +
        `"input_data":${n.input_json ?? 'null'},"output_data":${n.output_json ?? 'null'},"error_message":${str(n.error_message)},"retry_count":${n.retry_count}}`;
    }
  }
  rows += ']';
  nodes = nodes ? nodes + ']' : '[]';
  const ids = outcomes.map((o) => o.id);
  const replace = outcomes.filter((o) => o.replaceNodes).map((o) => o.id);
  // The common case is a named statement (prepared once per connection); re-run attempts, which
  // also delete their earlier attempts' node rows, are rare and planned each time.
  const params: unknown[] = [rows, workerId, nodes, ids];
  const r = replace.length
    ? await db.query<{ id: string; outbox_id: string | null }>(RECORD_AND_REPLACE_SQL, [...params, replace])
    : await db.query<{ id: string; outbox_id: string | null }>(RECORD_SQL, params, { name: 'jobsprint_record' });
  return new Map(r.rows.map((row) => [row.id, row.outbox_id]));
}

// $1 the outcomes, $2 this worker, $3 the node rows, $4 the outcomes' ids (so the executions are
// found through the primary key, not by scanning every running row), $5 ids whose earlier
// attempts' node rows are replaced.
const RECORD_CTES = `WITH v AS (
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS v(id uuid, attempt int, status text, output_data jsonb, error_message text,
                                                       duration_ms int, retry_count int, meta jsonb, remove text[], static_data jsonb)
     ), upd AS (
       UPDATE executions e SET
         status = v.status,
         output_data = v.output_data,
         error_message = v.error_message,
         completed_at = CASE WHEN v.status = 'pending' THEN NULL ELSE now() END,
         duration_ms = v.duration_ms,
         retry_count = v.retry_count,
         execution_metadata = (e.execution_metadata - v.remove) || v.meta
       FROM v
       -- "IS TRUE": not a condition the status index can serve, so the rows come through the
       -- primary key however many executions are running.
       WHERE e.id = ANY($4::uuid[]) AND e.id = v.id AND (e.status = 'running') IS TRUE
         AND e.execution_metadata->>'worker_id' = $2 AND (e.execution_metadata->>'attempt')::int = v.attempt
       RETURNING e.id, e.user_id, e.workflow_id, e.status, e.execution_metadata->>'not_before' AS not_before, v.static_data
     ), static_data AS (
       INSERT INTO workflow_static_data AS sd (workflow_id, data)
       SELECT workflow_id, static_data FROM upd WHERE static_data IS NOT NULL
       ON CONFLICT (workflow_id) DO UPDATE SET data = EXCLUDED.data, updated_at = now()
     ), outbox AS (
       -- An automatic retry is pending again: it is the outbox's until its delayed publish is confirmed.
       INSERT INTO execution_outbox (user_id, execution_ids, publish_after)
       SELECT user_id, ARRAY[id], COALESCE(not_before::timestamptz, now()) FROM upd WHERE status = 'pending'
       RETURNING id, execution_ids[1] AS execution_id
     ), n AS (
       SELECT * FROM jsonb_to_recordset($3::jsonb) AS n(execution_id uuid, node_id text, node_name text, node_type text, status text,
              started_at timestamptz, completed_at timestamptz, duration_ms int, input_data jsonb, output_data jsonb,
              error_message text, retry_count int)
     ), ins AS (
       INSERT INTO execution_nodes (execution_id, node_id, node_name, node_type, status, started_at, completed_at, duration_ms,
                                    input_data, output_data, error_message, retry_count)
       SELECT execution_id, node_id, node_name, node_type, status, started_at, completed_at, duration_ms,
              input_data, output_data, error_message, retry_count
       FROM n WHERE n.execution_id IN (SELECT id FROM upd)
       ON CONFLICT (execution_id, node_id) DO UPDATE SET
         node_name = EXCLUDED.node_name, node_type = EXCLUDED.node_type, status = EXCLUDED.status,
         started_at = EXCLUDED.started_at, completed_at = EXCLUDED.completed_at, duration_ms = EXCLUDED.duration_ms,
         input_data = EXCLUDED.input_data, output_data = EXCLUDED.output_data,
         error_message = EXCLUDED.error_message, retry_count = EXCLUDED.retry_count
     )`;
const RECORD_RESULT = `SELECT upd.id, outbox.id::text AS outbox_id FROM upd LEFT JOIN outbox ON outbox.execution_id = upd.id`;
const RECORD_SQL = `${RECORD_CTES}
     ${RECORD_RESULT}`;
const RECORD_AND_REPLACE_SQL = `${RECORD_CTES}, stale_nodes AS (
       DELETE FROM execution_nodes en
       WHERE en.execution_id = ANY($5::uuid[]) AND en.execution_id IN (SELECT id FROM upd)
         AND NOT EXISTS (SELECT 1 FROM n WHERE n.execution_id = en.execution_id AND n.node_id = en.node_id)
     )
     ${RECORD_RESULT}`;
