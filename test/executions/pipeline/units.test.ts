import { describe, expect, it } from 'vitest';
import { retryDelayMs } from '../../../src/core/executions/retry.js';
import { capData } from '../../../src/core/executions/records.js';
import { decodeMessage, encodeMessage } from '../../../src/core/executions/queue.js';
import { topology } from '../../../src/core/executions/topology.js';

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

describe('node data cap', () => {
  it('keeps small data as it is', () => {
    const v = { main: [[{ json: { a: 1 } }]] };
    expect(capData(v, 1000)).toBe(v);
    expect(capData(null, 10)).toBeNull();
  });

  it('replaces large data by a marker with the item counts and the leading items that fit', () => {
    const items = Array.from({ length: 100 }, (_, i) => ({ json: { i, s: 'x'.repeat(100) } }));
    const capped = capData({ main: [items, []] }, 2000) as any;
    expect(capped.truncated).toBe(true);
    expect(capped.items).toEqual([100, 0]);
    expect(capped.preview.main[0].length).toBeGreaterThan(5);
    expect(capped.preview.main[0].length).toBeLessThan(100);
    expect(JSON.stringify(capped).length).toBeLessThanOrEqual(2000);
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
