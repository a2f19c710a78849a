import { describe, expect, it } from 'vitest';
import { runCli, json } from '../../helpers/cli.js';
import {
  countersAndTable,
  deleteQueues,
  failingWorkflow,
  infiniteLoopWorkflow,
  insertWorkflow,
  waitFor,
  waitWorkflow,
  pipelineSuite,
} from './helpers.js';

const suite = pipelineSuite();

const { statusOf } = suite;
const enqueue = async (workflow: string, extra: string[] = []): Promise<string> => (await suite.run([workflow, ...extra])).id;

describe('cancel', () => {
  it('cancels a pending execution at once; a later delivery does nothing', async () => {
    const wf = await insertWorkflow(suite.t.pool, suite.alice.userId, 'Quick', waitWorkflow(0));
    const id = await enqueue(wf); // no daemon yet: it stays pending
    const r = await runCli(['executions', 'cancel', id, '--json'], { env: suite.env });
    expect(r.code, r.stderr).toBe(0);
    expect(json(r)).toMatchObject({ id, status: 'cancelled', previous_status: 'pending' });
    expect(await statusOf(id)).toBe('cancelled');
    const audit = await suite.t.pool.query(`SELECT 1 FROM audit_logs WHERE resource_id = $1 AND event_type = 'execution.cancelled'`, [id]);
    expect(audit.rowCount).toBe(1);

    const d = await suite.daemon();
    const other = await enqueue(wf);
    await waitFor(async () => (await statusOf(other)) === 'success', 20_000, 'a later execution to run');
    expect(await statusOf(id)).toBe('cancelled');
    expect((await suite.t.pool.query(`SELECT 1 FROM execution_nodes WHERE execution_id = $1`, [id])).rowCount).toBe(0);
    const again = await runCli(['executions', 'cancel', other], { env: suite.env });
    expect(again.code).toBe(5);
    expect(again.stderr).toMatch(/^error: execution .* already ended \(success\)/);
    void d;
  });

  it('stops a running execution within a second and keeps its partial node records', async () => {
    const wf = await insertWorkflow(suite.t.pool, suite.alice.userId, 'Long wait', waitWorkflow(60));
    const id = await enqueue(wf);
    await waitFor(async () => (await statusOf(id)) === 'running', 20_000, 'running');
    await new Promise((r) => setTimeout(r, 300)); // inside the Wait node
    const r = await runCli(['executions', 'cancel', id, '--json'], { env: suite.env });
    expect(r.code, r.stderr).toBe(0);
    expect(json(r)).toMatchObject({ id, status: 'cancelled', previous_status: 'running', requested: true });
    const row = await suite.t.pool.query(
      `SELECT e.status, e.error_message,
              EXTRACT(EPOCH FROM (e.completed_at - (e.execution_metadata->>'cancel_requested_at')::timestamptz)) * 1000 AS stop_ms
       FROM executions e WHERE id = $1`,
      [id],
    );
    expect(row.rows[0]).toMatchObject({ status: 'cancelled', error_message: 'cancelled by user' });
    expect(Number(row.rows[0].stop_ms)).toBeLessThan(1000);
    const nodes = await suite.t.pool.query(`SELECT node_name, status FROM execution_nodes WHERE execution_id = $1 ORDER BY started_at`, [id]);
    expect(nodes.rows).toEqual([
      { node_name: 'Start', status: 'success' },
      { node_name: 'Wait', status: 'cancelled' },
    ]);
  });

  it('answers exit 3 for an unknown execution', async () => {
    const r = await runCli(['executions', 'cancel', '00000000-0000-4000-8000-000000000000'], { env: suite.env });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^error: execution .* not found/);
  });
});

describe('retries', () => {
  it('retries a failing execution with exponential backoff, then fails it', async () => {
    const wf = await insertWorkflow(suite.t.pool, suite.alice.userId, 'Fails', failingWorkflow());
    const started = Date.now();
    const r = await runCli(['run', wf, '--max-retries', '2', '--wait', '--json'], { env: suite.env });
    expect(r.code).toBe(1);
    const end = json(r);
    expect(end).toMatchObject({ status: 'failed', retry_count: 2 });
    expect(end.error_message).toMatch(/boom/);
    // Backoff base 300 ms: at least 300 + 600 ms between the three attempts.
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    const meta = (await suite.t.pool.query(`SELECT execution_metadata FROM executions WHERE id = $1`, [end.id])).rows[0].execution_metadata;
    expect(meta.attempt).toBe(3);
    expect(meta.retry_delay_ms).toBeGreaterThanOrEqual(600);
    // Each scheduled retry was the outbox's until its delayed publish was confirmed.
    expect((await suite.t.pool.query(`SELECT 1 FROM execution_outbox WHERE $1 = ANY(execution_ids)`, [end.id])).rowCount).toBe(0);
    const { counters, table } = await countersAndTable(suite.t.pool, wf);
    expect(counters).toEqual(table);
    expect(table).toEqual({ total: 1, success: 0, failed: 1 });
  });

  it('retries by hand with `executions retry`', async () => {
    const wf = await insertWorkflow(suite.t.pool, suite.alice.userId, 'Fails once', failingWorkflow());
    const first = json(await runCli(['run', wf, '--max-retries', '0', '--wait', '--json'], { env: suite.env }));
    expect(first.status).toBe('failed');
    // Fix the workflow, then retry the same execution.
    await suite.t.pool.query(`UPDATE workflows SET definition = $2, version = version + 1 WHERE id = $1`, [wf, JSON.stringify(waitWorkflow(0))]);
    const r = await runCli(['executions', 'retry', first.id, '--json'], { env: suite.env });
    expect(r.code, r.stderr).toBe(0);
    expect(json(r)).toMatchObject({ id: first.id, status: 'pending', previous_status: 'failed', published: true });
    await waitFor(async () => (await statusOf(first.id)) === 'success', 20_000, 'the retried execution to succeed');
    const nodes = await suite.t.pool.query(`SELECT node_name FROM execution_nodes WHERE execution_id = $1 ORDER BY node_name`, [first.id]);
    expect(nodes.rows.map((n) => n.node_name)).toEqual(['Set', 'Start', 'Wait']); // the failed attempt's Boom row is gone
    const { counters, table } = await countersAndTable(suite.t.pool, wf);
    expect(counters).toEqual(table);
    expect(table).toEqual({ total: 1, success: 1, failed: 0 });
    const again = await runCli(['executions', 'retry', first.id], { env: suite.env });
    expect(again.code).toBe(5);
  });
});

describe('timeouts', () => {
  it("stops an endless loop at the workflow's executionTimeout", async () => {
    const wf = await insertWorkflow(suite.t.pool, suite.alice.userId, 'Endless', infiniteLoopWorkflow(2));
    const r = await runCli(['run', wf, '--max-retries', '0', '--wait', '--json'], { env: suite.env, timeoutMs: 60_000 });
    expect(r.code).toBe(1);
    const end = json(r);
    expect(end.status).toBe('failed');
    expect(end.error_message).toMatch(/timed out/);
    expect(end.duration_ms).toBeGreaterThanOrEqual(1900);
    expect(end.duration_ms).toBeLessThan(8000);
  });

  it('applies the default timeout (execution_timeout_s) when the workflow sets none', async () => {
    const d = await suite.daemon(['--concurrency', '2'], { JOBSPRINT_EXECUTION_TIMEOUT_S: '1', JOBSPRINT_AMQP_PREFIX: `${suite.t.amqpPrefix}-short` });
    const wf = await insertWorkflow(suite.t.pool, suite.alice.userId, 'Wait 30', waitWorkflow(30));
    const r = await runCli(['run', wf, '--max-retries', '0', '--wait', '--json'], { env: { ...suite.env, JOBSPRINT_AMQP_PREFIX: `${suite.t.amqpPrefix}-short` } });
    expect(r.code).toBe(1);
    expect(json(r)).toMatchObject({ status: 'failed', error_message: expect.stringMatching(/timed out/) });
    expect(json(r).duration_ms).toBeLessThan(5000);
    d.kill('SIGTERM');
    await d.exited;
    await deleteQueues(suite.t.amqpUrl, `${suite.t.amqpPrefix}-short`).catch(() => {});
  });
});

describe('shutdown', () => {
  it('SIGTERM: in-flight executions finish within --grace, the rest go back to the queue, exit 0', { timeout: 120_000 }, async () => {
    await suite.stopDaemons();
    const d = await suite.daemon(['--concurrency', '4', '--grace', '6']);
    const slow = await enqueue(await insertWorkflow(suite.t.pool, suite.alice.userId, 'Wait 12', waitWorkflow(12)));
    const quick = await enqueue(await insertWorkflow(suite.t.pool, suite.alice.userId, 'Wait 4', waitWorkflow(4)));
    await waitFor(async () => (await statusOf(quick)) === 'running' && (await statusOf(slow)) === 'running', 20_000, 'both running');
    const stoppedAt = Date.now();
    d.kill('SIGTERM');
    expect(await d.exited).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(11_000);
    expect(await statusOf(quick)).toBe('success');
    expect(await statusOf(slow)).toBe('pending');
    expect(d.logs.find((l) => l.msg === 'stopped')).toMatchObject({ finished: 1, handed_back: 1 });
    // Handed back, not lost: the next worker runs it.
    await suite.daemon(['--concurrency', '4']);
    await waitFor(async () => (await statusOf(slow)) === 'success', 30_000, 'the handed-back execution to succeed');
  });

  it('a second SIGINT exits at once; the execution is recovered by another worker', { timeout: 120_000 }, async () => {
    await suite.stopDaemons();
    const d = await suite.daemon(['--concurrency', '2', '--grace', '30']);
    const id = await enqueue(await insertWorkflow(suite.t.pool, suite.alice.userId, 'Wait 3', waitWorkflow(3)));
    await waitFor(async () => (await statusOf(id)) === 'running', 20_000, 'running');
    d.kill('SIGINT');
    await d.waitForLog((l) => /^stopping/.test(l.msg));
    const at = Date.now();
    d.kill('SIGINT');
    expect(await d.exited).toBe(130);
    expect(Date.now() - at).toBeLessThan(2000);
    await suite.daemon(['--concurrency', '2']);
    await waitFor(async () => (await statusOf(id)) === 'success', 40_000, 'the execution to be recovered');
    const meta = (await suite.t.pool.query(`SELECT execution_metadata->>'attempt' AS attempt FROM executions WHERE id = $1`, [id])).rows[0];
    expect(meta.attempt).toBe('2');
  });
});
