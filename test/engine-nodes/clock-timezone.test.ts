/**
 * Date & Time and Schedule Trigger use the run's clock and timezone (RunOptions.now /
 * RunOptions.timezone / settings.timezone) with the precedence the expressions' $now uses.
 */
import { describe, expect, it } from 'vitest';
import { runWorkflow } from '../../src/core/engine/index.js';
import type { INode, RunOptions, WorkflowDefinition } from '../../src/core/engine/types.js';

const NOW = Date.UTC(2024, 0, 15, 12, 0, 0); // 2024-01-15T12:00:00Z
const now = () => NOW;

function wf(n: Partial<INode> & { type: string }, settings: WorkflowDefinition['settings'] = {}): WorkflowDefinition {
  return {
    nodes: [
      { name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, parameters: {}, position: [0, 0] },
      { name: 'N', typeVersion: 1, position: [0, 0], parameters: {}, ...n } as INode,
      // what the expression engine says $now is, in the same run
      { name: 'Expr', type: 'n8n-nodes-base.set', typeVersion: 3.4, position: [0, 0], parameters: { mode: 'raw', jsonOutput: '={{ JSON.stringify({ now: $now.toISO() }) }}', options: {} } },
    ],
    connections: { Start: { main: [[{ node: 'N', type: 'main', index: 0 }]] }, N: { main: [[{ node: 'Expr', type: 'main', index: 0 }]] } },
    settings,
  };
}

async function run(n: Partial<INode> & { type: string }, options: RunOptions, settings?: WorkflowDefinition['settings']) {
  const res = await runWorkflow(wf(n, settings), options);
  expect(res.status, res.error?.message).toBe('success');
  return { json: res.runData.N[0].data!.main[0]![0].json, exprNow: res.runData.Expr[0].data!.main[0]![0].json.now };
}

const currentDate = (parameters: Record<string, unknown> = {}) => ({ type: 'n8n-nodes-base.dateTime', typeVersion: 2, parameters: { operation: 'getCurrentDate', options: {}, ...parameters } });

describe('Date & Time: the run clock and timezone', () => {
  it('getCurrentDate uses RunOptions.now and RunOptions.timezone, like $now', async () => {
    const { json, exprNow } = await run(currentDate(), { now, timezone: 'Asia/Tokyo' });
    expect(json.currentDate).toBe('2024-01-15T21:00:00.000+09:00');
    expect(json.currentDate).toBe(exprNow);
    const day = await run(currentDate({ includeTime: false }), { now, timezone: 'Asia/Tokyo' });
    expect(day.json.currentDate).toBe('2024-01-15T00:00:00.000+09:00');
  });

  it('falls back to settings.timezone, then America/New_York; the option timezone wins', async () => {
    const fromSettings = await run(currentDate(), { now }, { timezone: 'Europe/Berlin' });
    expect(fromSettings.json.currentDate).toBe('2024-01-15T13:00:00.000+01:00');
    expect(fromSettings.json.currentDate).toBe(fromSettings.exprNow);
    const byDefault = await run(currentDate(), { now });
    expect(byDefault.json.currentDate).toBe('2024-01-15T07:00:00.000-05:00');
    expect(byDefault.json.currentDate).toBe(byDefault.exprNow);
    const option = await run(currentDate({ options: { timezone: 'UTC' } }), { now, timezone: 'Asia/Tokyo' });
    expect(option.json.currentDate).toBe('2024-01-15T12:00:00.000Z');
  });

  it('agrees with $now when both RunOptions.timezone and settings.timezone are set', async () => {
    const { json, exprNow } = await run(currentDate(), { now, timezone: 'Asia/Tokyo' }, { timezone: 'Europe/Berlin' });
    expect(json.currentDate).toBe(exprNow);
  });

  it('v1 format: a date without offset is read in the run timezone when only the target timezone is given', async () => {
    const n = { type: 'n8n-nodes-base.dateTime', parameters: { value: '2024-01-15T12:00:00', toFormat: 'YYYY-MM-DD HH:mm', options: { toTimezone: 'UTC' } } };
    expect((await run(n, { now, timezone: 'Asia/Tokyo' })).json.data).toBe('2024-01-15 03:00');
    expect((await run(n, { now }, { timezone: 'Europe/Berlin' })).json.data).toBe('2024-01-15 11:00');
    // and converted to the run timezone when only the source timezone is given
    const toRunZone = { type: 'n8n-nodes-base.dateTime', parameters: { value: '2024-01-15T12:00:00', toFormat: 'YYYY-MM-DD HH:mm', options: { fromTimezone: 'UTC' } } };
    expect((await run(toRunZone, { now, timezone: 'Asia/Tokyo' })).json.data).toBe('2024-01-15 21:00');
  });
});

describe('Schedule Trigger: the run clock and timezone', () => {
  it('emits the run time in the run timezone', async () => {
    const res = await runWorkflow({ nodes: [{ name: 'S', type: 'n8n-nodes-base.scheduleTrigger', typeVersion: 1.2, parameters: {}, position: [0, 0] }], connections: {} }, { now, timezone: 'Asia/Tokyo' });
    expect(res.runData.S[0].data!.main[0]![0].json).toEqual({
      timestamp: '2024-01-15T21:00:00.000+09:00',
      'Readable date': 'January 15 2024, 9:00:00 PM',
      'Readable time': '9:00:00 PM',
      'Day of week': 'Monday',
      Year: '2024',
      Month: 'January',
      'Day of month': '15',
      Hour: '21',
      Minute: '00',
      Second: '00',
      Timezone: 'Asia/Tokyo (UTC+09:00)',
    });
    const settings = await runWorkflow({ nodes: [{ name: 'S', type: 'n8n-nodes-base.scheduleTrigger', typeVersion: 1.2, parameters: {}, position: [0, 0] }], connections: {}, settings: { timezone: 'Europe/Berlin' } }, { now });
    expect(settings.runData.S[0].data!.main[0]![0].json.timestamp).toBe('2024-01-15T13:00:00.000+01:00');
  });
});
