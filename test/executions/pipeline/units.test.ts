import { describe, expect, it } from 'vitest';
import { retryDelayMs } from '../../../src/core/executions/retry.js';
import { capJson, executionOutput } from '../../../src/core/executions/records.js';
import { decodeMessage, encodeMessage } from '../../../src/core/executions/queue.js';
import { topology } from '../../../src/core/executions/topology.js';
import { eventHead, executionFinishedText, executionStartedText, nodeFinishedText, nodeStartedText, serializeEvent } from '../../../src/core/executions/events.js';

describe('retry backoff', () => {
  it('doubles per retry, caps at the maximum, and adds 0-50 % jitter in 10 % steps', () => {
    for (let retry = 0; retry < 12; retry++) {
      const exp = Math.min(60_000, 1000 * 2 ** retry);
      const seen = new Set<number>();
      for (let i = 0; i < 200; i++) {
        const d = retryDelayMs(retry, 1000, 60_000);
        expect(d).toBeGreaterThanOrEqual(exp);
        expect(d).toBeLessThanOrEqual(exp * 1.5);
        seen.add(d);
      }
      // Few distinct values: each is one TTL delay queue.
      expect(seen.size).toBeLessThanOrEqual(6);
    }
    expect(retryDelayMs(3, 1000, 60_000, () => 0)).toBe(8000);
    expect(retryDelayMs(3, 1000, 60_000, () => 0.999)).toBe(12_000);
  });
});

describe('node data cap (as JSON text)', () => {
  it('keeps small data as it is, serialized once', () => {
    const v = { main: [[{ json: { a: 1 } }], null] };
    expect(capJson(v, 1000)).toBe(JSON.stringify(v));
    expect(capJson(null, 10)).toBeNull();
    expect(capJson(undefined, 10)).toBeNull();
  });

  it('replaces large data by a marker with the item counts and the leading items that fit', () => {
    const items = Array.from({ length: 100 }, (_, i) => ({ json: { i, s: 'x'.repeat(100) } }));
    const text = capJson({ main: [items, []] }, 2000)!;
    const capped = JSON.parse(text);
    expect(capped.truncated).toBe(true);
    expect(capped.items).toEqual([100, 0]);
    expect(capped.preview.main[0].length).toBeGreaterThan(5);
    expect(capped.preview.main[0].length).toBeLessThan(100);
    expect(text.length).toBeLessThanOrEqual(2000);
  });

  it('counts bytes, not characters', () => {
    // 100 items of ~67 characters but ~107 bytes each: the characters fit in 8,000, the bytes do not.
    const big = { main: [Array.from({ length: 100 }, (_, i) => ({ json: { i, pad: 'é'.repeat(40) } }))] };
    expect(JSON.stringify(big).length).toBeLessThan(8000);
    const text = capJson(big, 8000)!;
    expect(JSON.parse(text).truncated).toBe(true);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(8000);
  });

  it('is reused for the execution output', () => {
    const small = { main: [[{ json: { a: 1 } }], null] };
    const big = { main: [Array.from({ length: 100 }, (_, i) => ({ json: { i, pad: 'é'.repeat(40) } }))] };
    const result = { status: 'success' as const, runData: {}, lastNodeExecuted: 'If "2"', startedAt: 0, stoppedAt: 0, executionId: 'e' };
    expect(JSON.parse(executionOutput(result, 1000, capJson(small, 1000))!)).toEqual({ last_node: 'If "2"', ...small });
    expect(JSON.parse(executionOutput(result, 2000, capJson(big, 2000))!)).toEqual({ last_node: 'If "2"', ...JSON.parse(capJson(big, 2000)!) });
    expect(executionOutput(result, 1000, null)).toBeNull();
  });
});

describe('queue messages', () => {
  it('round-trips an execution id and rejects anything else as poison', () => {
    const id = '6f1c2a9e-4b7d-4c1e-9a55-0d6a1b2c3d4e';
    expect(decodeMessage(encodeMessage(id))).toBe(id);
    expect(decodeMessage(Buffer.from('nope'))).toBeNull();
    expect(decodeMessage(Buffer.from('{"v":1,"execution_id":"not-a-uuid"}'))).toBeNull();
    expect(decodeMessage(Buffer.from('{"v":2,"execution_id":"' + id + '"}'))).toBeNull();
  });

  it('names every queue after the prefix', () => {
    const t = topology('p1');
    expect([t.queue, t.deadQueue, t.exchange, t.deadExchange, t.delayQueue(1500)]).toEqual([
      'p1.executions',
      'p1.executions.dead',
      'p1.executions',
      'p1.executions.dlx',
      'p1.executions.delay.1500',
    ]);
  });
});

describe('node events built as text', () => {
  const id = '00000000-0000-4000-8000-000000000001';
  const wf = '00000000-0000-4000-8000-000000000002';
  const user = '00000000-0000-4000-8000-000000000003';
  const head = eventHead(id, wf, user, 2);
  const at = '2026-11-27T10:00:00.000Z';
  const base = { execution_id: id, workflow_id: wf, user_id: user, attempt: 2, at };
  // Names users give nodes: quotes, backslashes, newlines, emoji, a separator-looking comma.
  const names = ['Set', 'say "hi", then \\ leave', 'line\nbreak\u2028', '🚀 node'];

  it('are the JSON the object form gives, with any node name', () => {
    for (const name of names) {
      const started = JSON.parse(`{${nodeStartedText(head, at, JSON.stringify(name), JSON.stringify('n8n-nodes-base.set'), 3)}`);
      expect(started).toEqual(JSON.parse(`{${serializeEvent({ ...base, type: 'node.started', node_name: name, node_type: 'n8n-nodes-base.set', run_index: 3, retry: 0 })}`));
      const finished = { status: 'failed' as const, itemsIn: 4, itemsOut: [1, 0], durationMs: 12, error: 'boom "x"\n', runIndex: 0 };
      expect(JSON.parse(`{${nodeFinishedText(head, at, JSON.stringify(name), '"t"', finished)}`)).toEqual(
        JSON.parse(
          `{${serializeEvent({ ...base, type: 'node.finished', node_name: name, node_type: 't', status: 'failed', items_in: 4, items_out: [1, 0], duration_ms: 12, error: 'boom "x"\n', run_index: 0, retry: 0 })}`,
        ),
      );
      // No raw newline: one event per line is how they travel to Redis.
      expect(nodeStartedText(head, at, JSON.stringify(name), '"t"', 0)).not.toContain('\n');
    }
  });

  it('include execution.started and .finished, with and without a retry to come', () => {
    const parse = (text: string) => JSON.parse(`{${text}`);
    expect(parse(executionStartedText(head, at, 'worker "1"'))).toEqual(parse(serializeEvent({ ...base, type: 'execution.started', status: 'running', worker_id: 'worker "1"' })));
    expect(parse(executionFinishedText(head, at, 'success', null, 17, false))).toEqual(
      parse(serializeEvent({ ...base, type: 'execution.finished', status: 'success', error: null, duration_ms: 17 })),
    );
    expect(parse(executionFinishedText(head, at, 'failed', 'x'.repeat(3000), 5, true))).toEqual(
      parse(serializeEvent({ ...base, type: 'execution.finished', status: 'failed', error: 'x'.repeat(3000), duration_ms: 5, retry_scheduled: true })),
    );
  });

  it('cut long errors like the object form and keep unknown durations as null', () => {
    const long = 'e'.repeat(5000);
    const text = JSON.parse(`{${nodeFinishedText(head, at, '"n"', '"t"', { status: 'failed', itemsIn: 0, itemsOut: [], durationMs: NaN, error: long, runIndex: 0 })}`);
    expect(text.error).toHaveLength(2001);
    expect(text.error).toBe(JSON.parse(`{${serializeEvent({ ...base, type: 'execution.finished', status: 'failed', error: long, duration_ms: 1 })}`).error);
    expect(text.duration_ms).toBeNull();
    expect(text.items_out).toEqual([]);
  });
});
