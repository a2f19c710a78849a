/**
 * Live execution events: what workers publish and what `executions logs --follow` and
 * `logs --follow` read. The contract between the worker and the followers lives here.
 *
 * Worker side (call these, nothing else):
 *   appendAndPublish(core, event | events[])  → Promise<ExecutionEvent[] | false>
 *   appendAndPublishMany(core, [events of one execution, …]) → the same for several executions, one round trip
 *   appendSerialized(core, groups) → the worker's variant: events as JSON text, seq written by the
     caller when it knows the log length (see there); appendGroups is the same for event objects
 *     Appends to the per-execution log `execution:{id}:events` (a Redis list, one entry per
 *     event, TTL refreshed on every append) AND publishes on `channel:workflow:execution_updated`
 *     (one message per call and execution: an event object, or a JSON array of that execution's
 *     consecutive events when there are several — one PUBLISH instead of eight per short
 *     execution, the largest share of Redis's work), in ONE Lua script,
 *     which also assigns `seq` (1, 2, 3 … per execution, across attempts). Never throws; returns
 *     false when Redis is down or slow (> EVENT_PUBLISH_TIMEOUT_MS) — log a warning and go on,
 *     the execution itself must not depend on Redis. Without Redis (embedded mode) the events
 *     go to the in-process bus and an in-process log.
 *   Emit, per attempt: execution.started, then per node run node.started / node.finished,
 *   then execution.finished with the final status. Emit execution.finished also when a pending
 *   execution is cancelled (no worker involved) so followers end; set `retry_scheduled: true` on
 *   a failed execution.finished when an automatic retry is queued (followers keep following).
 *
 * Follower side (logs.ts): subscribe to the channel first, then readEventLog(), then the
 * database; because append and publish are one atomic step, every event is either in the log
 * when it is read or arrives on the subscription afterwards: no gap; duplicates are dropped by seq.
 */
import type { Core } from '../context.js';
import type { EventBus } from '../services/types.js';
import type { RedisClient } from '../services/redis.js';
import { withTimeout } from '../timeout.js';

/** The seed's channel name; every execution and node event goes here. */
export const EXECUTION_EVENTS_CHANNEL = 'channel:workflow:execution_updated';
/** How long a running execution's event log outlives its last event. */
export const EVENT_LOG_TTL_SECONDS = 24 * 3600;
/**
 * Once the execution has ended, its log only serves followers that are catching up; everything
 * is in the database by then. Kept for `execution_event_log_ttl_s` (default 10 min), so Redis
 * holds minutes of events, not a day of them (at 1,000 executions/s a day is ~200 GB).
 */
export const FINISHED_EVENT_LOG_TTL_SECONDS = 600;
/** A worker never waits longer than this on a Redis command for events (connecting has its own timeout). */
export const EVENT_PUBLISH_TIMEOUT_MS = 2000;
/** Error messages in events are cut to this many characters. */
const MAX_ERROR_CHARS = 2000;

export function eventLogKey(executionId: string): string {
  return `execution:${executionId}:events`;
}

export type FinalStatus = 'success' | 'failed' | 'cancelled';
export type NodeStatus = 'running' | 'success' | 'failed' | 'cancelled' | 'skipped';

interface EventBase {
  /** Per execution, 1, 2, 3 … in publish order (assigned by appendAndPublish). */
  seq: number;
  execution_id: string;
  workflow_id: string;
  user_id: string;
  /** ISO time the event happened. */
  at: string;
  /** 1 for the first run; each re-claim after a crash or a retry is a new attempt. */
  attempt?: number;
}

export interface ExecutionStartedEvent extends EventBase {
  type: 'execution.started';
  status: 'running';
  worker_id?: string;
}

export interface ExecutionFinishedEvent extends EventBase {
  type: 'execution.finished';
  status: FinalStatus;
  error: string | null;
  duration_ms: number | null;
  /** A failed attempt whose automatic retry is queued: the execution is not over yet. */
  retry_scheduled?: boolean;
}

export interface NodeStartedEvent extends EventBase {
  type: 'node.started';
  node_id?: string;
  node_name: string;
  node_type: string;
  run_index: number;
  /** 0 for the first try of this node run; node-level retries (retryOnFail) count up. */
  retry: number;
}

export interface NodeFinishedEvent extends EventBase {
  type: 'node.finished';
  node_id?: string;
  node_name: string;
  node_type: string;
  status: Exclude<NodeStatus, 'running'>;
  items_in: number;
  /** Items on each output (an If node has two). */
  items_out: number[];
  duration_ms: number | null;
  error: string | null;
  run_index: number;
  retry: number;
}

export type ExecutionEvent = ExecutionStartedEvent | ExecutionFinishedEvent | NodeStartedEvent | NodeFinishedEvent;

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** What a worker passes: seq is assigned on append; `at` defaults to now. */
export type ExecutionEventInput = DistributiveOmit<ExecutionEvent, 'seq' | 'at'> & { at?: string };

export function isFinalEvent(e: ExecutionEvent): e is ExecutionFinishedEvent {
  return e.type === 'execution.finished' && !e.retry_scheduled;
}

function normalize(input: ExecutionEventInput): Omit<ExecutionEvent, 'seq'> {
  const error = (input as { error?: unknown }).error;
  // The worker's hot path stamps `at` itself: no copy then (this runs for every event).
  if (input.at && !(typeof error === 'string' && error.length > MAX_ERROR_CHARS)) return input as Omit<ExecutionEvent, 'seq'>;
  const e = { ...input, at: input.at ?? new Date().toISOString() } as Omit<ExecutionEvent, 'seq'> & { error?: string | null };
  if (typeof e.error === 'string') e.error = cutError(e.error);
  return e;
}

// KEYS[k] = event log of the k-th execution; ARGV[1] = ttl while running, ARGV[2] = prefixed
// channel, ARGV[3] = ttl once ended, then per key: the event count, 1 if the execution ended
// with these events (else 0), the log length the caller expects (-1: unknown), then ONE
// argument with its events as JSON objects, one per line (JSON text never holds a raw newline;
// one argument per execution rather than per event: the client's per-argument cost was the
// larger part of this call). seq = the event's position in the log, so it is dense per
// execution and survives attempts. When the caller's expected length is right (the worker knows
// it for a first attempt and after each send), the events arrive with their seq already in them
// and the script only pushes and publishes them; otherwise it writes the seq in (replacing the
// caller's guess). Returns each log's new length. The whole call is atomic, so each execution's
// append + publish is too.
const APPEND_AND_PUBLISH = `
local a = 4
local out = {}
for k = 1, #KEYS do
  local count = tonumber(ARGV[a])
  local ended = ARGV[a + 1] == '1'
  local expected = tonumber(ARGV[a + 2])
  local blob = ARGV[a + 3]
  a = a + 4
  local n = redis.call('LLEN', KEYS[k])
  local exact = expected == n
  local msgs = {}
  local pos = 1
  for i = 1, count do
    local nl = string.find(blob, '\\n', pos, true)
    local msg = string.sub(blob, pos, (nl or (#blob + 1)) - 1)
    pos = (nl or #blob) + 1
    if not exact then
      local rest
      if expected >= 0 then rest = string.sub(msg, string.find(msg, ',', 1, true) + 1) else rest = string.sub(msg, 2) end
      msg = '{"seq":' .. (n + i) .. ',' .. rest
    end
    msgs[#msgs + 1] = msg
    -- One RPUSH and one PUBLISH per key (per 500 events: unpack's limit is the Lua stack).
    if #msgs == 500 or i == count then
      redis.call('RPUSH', KEYS[k], unpack(msgs))
      if #msgs == 1 then
        redis.call('PUBLISH', ARGV[2], msgs[1])
      else
        redis.call('PUBLISH', ARGV[2], '[' .. table.concat(msgs, ',') .. ']')
      end
      msgs = {}
    end
  end
  redis.call('EXPIRE', KEYS[k], ended and ARGV[3] or ARGV[1])
  out[k] = n + count
end
return out
`;
const APPEND_COMMAND = 'jobsprintAppendExecutionEvents';
type AppendCommand = (numKeys: number, ...args: Array<string | number>) => Promise<number[]>;

/** The script as an ioredis command: EVALSHA, with EVAL only when Redis does not have it yet. */
function appendCommand(redis: RedisClient): AppendCommand {
  const r = redis as unknown as Record<string, AppendCommand | undefined>;
  if (!r[APPEND_COMMAND]) redis.defineCommand(APPEND_COMMAND, { lua: APPEND_AND_PUBLISH });
  return r[APPEND_COMMAND]!.bind(redis);
}

/**
 * Append events of ONE execution to its log and publish them, atomically (see the file header).
 * Returns the events with their seq, or false when they could not be recorded.
 */
export async function appendAndPublish(
  core: Pick<Core, 'hasRedis' | 'redis' | 'bus' | 'config'>,
  input: ExecutionEventInput | ExecutionEventInput[],
): Promise<ExecutionEvent[] | false> {
  const inputs = Array.isArray(input) ? input : [input];
  if (!inputs.length) return [];
  const executionId = inputs[0]!.execution_id;
  if (inputs.some((e) => e.execution_id !== executionId)) throw new Error('appendAndPublish: events of one execution per call');
  const r = await appendAndPublishMany(core, [inputs]);
  return r === false ? false : r[0]!;
}

/**
 * appendAndPublish for several executions in one Redis round trip (one script call): each
 * group holds events of one execution, in order; each group's append + publish is atomic and
 * its seq dense, exactly as with appendAndPublish. Returns the events per group, or false.
 */
export async function appendAndPublishMany(
  core: Pick<Core, 'hasRedis' | 'redis' | 'bus' | 'config'>,
  groups: ExecutionEventInput[][],
): Promise<ExecutionEvent[][] | false> {
  const normalized = groups.map((g) => g.map(normalize));
  const nonEmpty = normalized.filter((g) => g.length);
  const lengths = await appendGroups(core, nonEmpty as ExecutionEventInput[][], nonEmpty.map(() => -1));
  if (lengths === false) return false;
  let k = 0;
  return normalized.map((g) => {
    if (!g.length) return [];
    const first = lengths[k++]! - g.length + 1;
    return g.map((e, i) => ({ seq: first + i, ...e }) as ExecutionEvent);
  });
}

/**
 * appendSerialized for event objects: `expected[k]` is the log length the caller believes group
 * k's execution has (-1: unknown). Returns each log's new length, or false when Redis failed.
 */
export async function appendGroups(
  core: Pick<Core, 'hasRedis' | 'redis' | 'bus' | 'config'>,
  groups: ExecutionEventInput[][],
  expected: number[],
  /** Whether each group holds its execution's final event (computed when not given). */
  ended?: boolean[],
): Promise<number[] | false> {
  return appendSerialized(
    core,
    groups.map((events, k) => ({
      executionId: events[0]!.execution_id,
      events: events.map(serializeEvent),
      expected: expected[k] ?? -1,
      ended: ended ? !!ended[k] : events.some((e) => isFinalEvent(e as ExecutionEvent)),
    })),
  );
}

/**
 * One execution's events as the worker sends them: each is its JSON text WITHOUT the opening
 * brace and without seq (`"execution_id":"…",…}`), so the seq can be put in front as text.
 */
export interface SerializedGroup {
  executionId: string;
  events: string[];
  /** The log length the caller believes the execution has; -1: unknown. */
  expected: number;
  /** Whether these events include the execution's final one. */
  ended: boolean;
}

/** An event as SerializedGroup holds it: normalized JSON without its opening brace. */
export function serializeEvent(input: ExecutionEventInput): string {
  return JSON.stringify(normalize(input)).slice(1);
}

/**
 * The fields every event of one attempt starts with, as JSON text without braces: made once per
 * attempt, so node events are built as text without an object per event (the worker's event
 * path was a quarter of its CPU at thousands of executions per second).
 */
export function eventHead(execution_id: string, workflow_id: string, user_id: string, attempt: number): string {
  return `"execution_id":${JSON.stringify(execution_id)},"workflow_id":${JSON.stringify(workflow_id)},"user_id":${JSON.stringify(user_id)},"attempt":${attempt}`;
}

/** execution.started as serialized text (see SerializedGroup). */
export function executionStartedText(head: string, at: string, workerId: string): string {
  return `${head},"at":"${at}","type":"execution.started","status":"running","worker_id":${JSON.stringify(workerId)}}`;
}

/** execution.finished as serialized text (see SerializedGroup). */
export function executionFinishedText(head: string, at: string, status: FinalStatus, error: string | null, durationMs: number | null, retryScheduled: boolean): string {
  return (
    `${head},"at":"${at}","type":"execution.finished","status":"${status}","error":${errorText(error)},` +
    `"duration_ms":${Number.isFinite(durationMs) ? durationMs : 'null'}${retryScheduled ? ',"retry_scheduled":true' : ''}}`
  );
}

function errorText(error: string | null): string {
  return error === null ? 'null' : JSON.stringify(cutError(error));
}

/** Error messages in events are cut to MAX_ERROR_CHARS. */
function cutError(error: string): string {
  return error.length > MAX_ERROR_CHARS ? error.slice(0, MAX_ERROR_CHARS) + '…' : error;
}

/** node.started as serialized text (see SerializedGroup); `name`/`type` are JSON strings. */
export function nodeStartedText(head: string, at: string, name: string, type: string, runIndex: number): string {
  return `${head},"at":"${at}","type":"node.started","node_name":${name},"node_type":${type},"run_index":${runIndex},"retry":0}`;
}

/** node.finished as serialized text (see SerializedGroup); `name`/`type` are JSON strings. */
export function nodeFinishedText(
  head: string,
  at: string,
  name: string,
  type: string,
  e: { status: 'success' | 'failed' | 'cancelled'; itemsIn: number; itemsOut: number[]; durationMs: number | null; error: string | null; runIndex: number },
): string {
  const error = errorText(e.error);
  return (
    `${head},"at":"${at}","type":"node.finished","node_name":${name},"node_type":${type},"status":"${e.status}",` +
    `"items_in":${e.itemsIn},"items_out":[${e.itemsOut.join(',')}],"duration_ms":${Number.isFinite(e.durationMs) ? e.durationMs : 'null'},"error":${error},` +
    `"run_index":${e.runIndex},"retry":0}`
  );
}

/**
 * The worker's append: several executions' events in one Redis call (see the script). When a
 * group's `expected` is right the events go out with their seq already written. Returns each
 * log's new length (so the caller knows it for the next send), or false when Redis failed.
 */
export async function appendSerialized(core: Pick<Core, 'hasRedis' | 'redis' | 'bus' | 'config'>, groups: SerializedGroup[]): Promise<number[] | false> {
  if (!groups.length) return [];
  try {
    if (!core.hasRedis()) {
      const bus = await core.bus();
      const out: number[] = [];
      for (const g of groups) {
        const appended = await appendInProcess(bus, g.events.map((rest) => JSON.parse(`{${rest}`) as Omit<ExecutionEvent, 'seq'>));
        out.push(appended.at(-1)!.seq);
      }
      return out;
    }
    const redis = await core.redis();
    const channel = (core.config.get('redis_prefix') ?? '') + EXECUTION_EVENTS_CHANNEL;
    const args: Array<string | number> = groups.map((g) => eventLogKey(g.executionId));
    args.push(EVENT_LOG_TTL_SECONDS, channel, finishedTtlSeconds(core));
    for (const g of groups) {
      const base = g.expected;
      let blob = '';
      for (let i = 0; i < g.events.length; i++) {
        if (i) blob += '\n';
        blob += base >= 0 ? `{"seq":${base + i + 1},${g.events[i]}` : `{${g.events[i]}`;
      }
      args.push(g.events.length, g.ended ? 1 : 0, base, blob);
    }
    const lengths = await withTimeout(appendCommand(redis)(groups.length, ...args), EVENT_PUBLISH_TIMEOUT_MS);
    return lengths.map(Number);
  } catch {
    return false;
  }
}

function finishedTtlSeconds(core: Pick<Core, 'config'>): number {
  const n = Number(core.config.get('execution_event_log_ttl_s') ?? FINISHED_EVENT_LOG_TTL_SECONDS);
  return Number.isFinite(n) && n >= 1 ? Math.round(n) : FINISHED_EVENT_LOG_TTL_SECONDS;
}

/**
 * The execution's recorded events with seq > afterSeq, in seq order; [] when none are kept
 * (expired, never run). seq n sits at list index n-1, so a follower re-reads only the tail.
 */
export async function readEventLog(core: Pick<Core, 'hasRedis' | 'redis'>, executionId: string, afterSeq = 0): Promise<ExecutionEvent[]> {
  if (!core.hasRedis()) return (memoryLog.get(executionId) ?? []).filter((e) => e.seq > afterSeq);
  const redis: RedisClient = await core.redis();
  const raw = await redis.lrange(eventLogKey(executionId), Math.max(0, afterSeq), -1);
  const events: ExecutionEvent[] = [];
  for (const line of raw) {
    try {
      events.push(JSON.parse(line) as ExecutionEvent);
    } catch {
      // A corrupt entry is skipped rather than hiding the rest of the log.
    }
  }
  return events.filter((e) => e.seq > afterSeq).sort((a, b) => a.seq - b.seq);
}

/**
 * Subscribe to every execution event; the handler gets parsed events only. With Redis this uses
 * its own subscriber connection, so a follower learns (onBroken) when the subscription drops and
 * events may have been missed, instead of silently waiting forever.
 */
export async function subscribeExecutionEvents(
  core: Pick<Core, 'hasRedis' | 'redis' | 'bus' | 'config'>,
  handler: (e: ExecutionEvent) => void,
  onBroken: (err: Error) => void = () => {},
): Promise<() => Promise<void>> {
  const deliver = (msg: unknown) => {
    if (isExecutionEvent(msg)) handler(msg);
  };
  if (!core.hasRedis()) return (await core.bus()).subscribe(EXECUTION_EVENTS_CHANNEL, deliver);
  const base = await core.redis();
  const channel = (core.config.get('redis_prefix') ?? '') + EXECUTION_EVENTS_CHANNEL;
  const sub = base.duplicate({ keyPrefix: undefined, lazyConnect: true, enableOfflineQueue: true, retryStrategy: () => null });
  let lastError: Error | undefined;
  sub.on('error', (err: Error) => {
    lastError = err;
  });
  await sub.connect();
  sub.on('message', (ch: string, raw: string) => {
    if (ch !== channel) return;
    try {
      const msg = JSON.parse(raw) as unknown;
      // One event, or consecutive events of one execution published together.
      if (Array.isArray(msg)) for (const e of msg) deliver(e);
      else deliver(msg);
    } catch {
      // Not ours: ignore.
    }
  });
  await sub.subscribe(channel);
  let closing = false;
  sub.on('close', () => {
    if (!closing) onBroken(lastError ?? new Error('connection closed'));
  });
  return async () => {
    closing = true;
    sub.disconnect();
  };
}

export function isExecutionEvent(msg: unknown): msg is ExecutionEvent {
  const m = msg as Partial<ExecutionEvent> | null;
  return (
    !!m &&
    typeof m === 'object' &&
    typeof m.seq === 'number' &&
    typeof m.execution_id === 'string' &&
    typeof m.type === 'string' &&
    ['execution.started', 'execution.finished', 'node.started', 'node.finished'].includes(m.type)
  );
}

// Embedded mode: one process, so the log is a bounded in-process map.
const memoryLog = new Map<string, ExecutionEvent[]>();
const MEMORY_LOG_EXECUTIONS = 1000;

async function appendInProcess(bus: EventBus, events: Omit<ExecutionEvent, 'seq'>[]): Promise<ExecutionEvent[]> {
  const id = events[0]!.execution_id;
  let log = memoryLog.get(id);
  if (!log) {
    if (memoryLog.size >= MEMORY_LOG_EXECUTIONS) memoryLog.delete(memoryLog.keys().next().value!);
    log = [];
    memoryLog.set(id, log);
  }
  const out: ExecutionEvent[] = [];
  for (const e of events) {
    const full = { seq: log.length + 1, ...e } as ExecutionEvent;
    log.push(full);
    out.push(full);
    await bus.publish(EXECUTION_EVENTS_CHANNEL, full);
  }
  return out;
}
