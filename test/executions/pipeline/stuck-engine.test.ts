import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Config } from '../../../src/core/config.js';
import { Core } from '../../../src/core/context.js';
import { startDaemon, type Daemon } from '../../../src/core/executions/daemon.js';
import type { EngineRunner } from '../../../src/core/executions/engine-adapter.js';
import type { RunResult } from '../../../src/core/engine/types.js';
import { runCli } from '../../helpers/cli.js';
import { FAST_ENV, insertWorkflow, pipelineSuite, setIfWorkflow, waitFor } from './helpers.js';

// An engine that never returns and ignores its abort signal (a stuck node, an engine bug): the
// worker must still end the execution, once, and free its slot.
const suite = pipelineSuite();
const stuck: Array<(r: RunResult) => void> = [];
const stuckEngine: EngineRunner = (_wf, opts) =>
  new Promise<RunResult>((resolve) => {
    stuck.push(resolve);
    void opts.signal; // deliberately not listened to
  });

let core: Core;
let daemon: Daemon;
let wf: string;
let wfLongTimeout: string;

beforeAll(async () => {
  wf = await insertWorkflow(suite.t.pool, suite.alice.userId, 'Stuck', setIfWorkflow());
  // Its own timeout (60 s) keeps the 1 s default away: only the cancel can stop it.
  wfLongTimeout = await insertWorkflow(suite.t.pool, suite.alice.userId, 'Stuck, 60 s timeout', { ...setIfWorkflow(), settings: { executionOrder: 'v1', executionTimeout: 60 } });
  // A 1 s default timeout, which this engine does not honour either.
  core = new Core({ config: new Config({ ...suite.t.env, ...FAST_ENV, JOBSPRINT_EXECUTION_TIMEOUT_S: '1' }), longRunning: true });
  daemon = await startDaemon(core, { concurrency: 2, logLevel: 'silent', engine: stuckEngine });
});

afterAll(async () => {
  for (const resolve of stuck) resolve({ status: 'success', runData: {}, startedAt: 0, stoppedAt: 0, executionId: 'x' });
  await daemon?.stop(1000);
  await core?.close();
});

async function rowOf(id: string) {
  return (await suite.t.pool.query(`SELECT status, error_message, duration_ms, completed_at, execution_metadata->>'attempt' AS attempt FROM executions WHERE id = $1`, [id])).rows[0];
}

describe('an engine that ignores its abort signal', () => {
  it('is given up on 5 s after a cancel, and 5 s after the execution timeout; each ends once', { timeout: 60_000 }, async () => {
    const enqueue = async (workflow: string): Promise<string> => (await suite.run([workflow, '--max-retries', '0'])).id;
    const cancelled = await enqueue(wfLongTimeout);
    const timedOut = await enqueue(wf);
    await waitFor(async () => (await suite.statusOf(cancelled)) === 'running' && (await suite.statusOf(timedOut)) === 'running', 20_000, 'both running');
    const cancelAt = Date.now();
    // The command waits a while for the worker to confirm the cancel.
    const c = await runCli(['executions', 'cancel', cancelled, '--json'], { env: suite.env });
    expect(c.code, c.stderr).toBe(0);

    await waitFor(async () => (await suite.statusOf(cancelled)) === 'cancelled', 15_000, 'the cancel to be forced');
    const forcedAfter = Date.now() - cancelAt;
    expect(forcedAfter).toBeGreaterThanOrEqual(4500);
    expect(forcedAfter).toBeLessThan(9000);

    await waitFor(async () => (await suite.statusOf(timedOut)) === 'failed', 15_000, 'the timeout to be forced');
    const t = await rowOf(timedOut);
    expect(t.error_message).toMatch(/timed out/);
    // 1 s timeout + 5 s grace, seen by a heartbeat (every 500 ms here).
    expect(t.duration_ms).toBeGreaterThanOrEqual(5900);
    expect(t.duration_ms).toBeLessThan(9000);
    expect(t.attempt).toBe('1');
    const c1 = await rowOf(cancelled);
    expect(c1.attempt).toBe('1');
    expect(c1.error_message).toMatch(/cancel/);
    // Both slots (of 2) are free again: a third execution is taken (and is stuck in turn).
    const third = await enqueue(wf);
    await waitFor(async () => (await suite.statusOf(third)) === 'running', 20_000, 'a third execution to start');
    // Each ended once: nothing rewrote their final rows since.
    expect(await rowOf(cancelled)).toEqual(c1);
    expect(await rowOf(timedOut)).toEqual(t);
  });
});
