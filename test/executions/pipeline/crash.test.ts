import { describe, expect, it } from 'vitest';
import {
  closeOwnConnections,
  countersAndTable,
  insertWorkflow,
  statusCounts,
  waitFor,
  waitWorkflow,
  pipelineSuite,
} from './helpers.js';

const suite = pipelineSuite();

async function enqueue(workflow: string, count: number): Promise<string[]> {
  return (await suite.run([workflow, '--count', String(count), '--max-retries', '0'])).ids;
}

async function allSucceeded(ids: string[], timeoutMs: number): Promise<void> {
  await waitFor(
    async () => (await suite.t.pool.query(`SELECT COUNT(*)::int AS n FROM executions WHERE id = ANY($1) AND status = 'success'`, [ids])).rows[0].n === ids.length,
    timeoutMs,
    `${ids.length} executions to succeed`,
  ).catch(async (err) => {
    const s = await suite.t.pool.query(`SELECT status, COUNT(*)::int AS n FROM executions WHERE id = ANY($1) GROUP BY status`, [ids]);
    const tail = suite.daemons.flatMap((d) => d.logs.slice(-15).map((l) => JSON.stringify(l))).join('\n');
    throw new Error(`${(err as Error).message}: ${JSON.stringify(s.rows)}\n${tail}`);
  });
}

async function expectRecordedOnce(ids: string[], workflowId: string): Promise<void> {
  const s = await statusCounts(suite.t.pool, workflowId);
  expect(s).toEqual({ success: ids.length });
  // Three node rows each: one recorded end per execution, never two attempts' rows mixed.
  const nodes = await suite.t.pool.query(
    `SELECT execution_id, COUNT(*)::int AS n FROM execution_nodes WHERE execution_id = ANY($1) GROUP BY execution_id HAVING COUNT(*) <> 3`,
    [ids],
  );
  expect(nodes.rows).toEqual([]);
  const { counters, table } = await countersAndTable(suite.t.pool, workflowId);
  expect(counters).toEqual(table);
  expect(table.total).toBe(ids.length);
}

describe('crash safety', () => {
  it('kill -9 of a worker with 200 executions in flight: another worker re-runs each once', { timeout: 180_000 }, async () => {
    const wf = await insertWorkflow(suite.t.pool, suite.alice.userId, 'Wait 3s', waitWorkflow(3));
    const a = await suite.daemon(['--concurrency', '200']);
    const ids = await enqueue(wf, 200);
    await waitFor(
      async () => (await suite.t.pool.query(`SELECT COUNT(*)::int AS n FROM executions WHERE id = ANY($1) AND status = 'running'`, [ids])).rows[0].n === 200,
      30_000,
      '200 running',
    );
    a.kill('SIGKILL');
    await a.exited;
    const killedWorker = (await suite.t.pool.query(`SELECT DISTINCT execution_metadata->>'worker_id' AS w FROM executions WHERE id = ANY($1)`, [ids])).rows;
    expect(killedWorker).toHaveLength(1);

    const b = await suite.daemon(['--concurrency', '200']);
    await allSucceeded(ids, 60_000);
    await expectRecordedOnce(ids, wf);
    const attempts = await suite.t.pool.query(
      `SELECT execution_metadata->>'attempt' AS attempt, execution_metadata->>'finished_by' AS by, COUNT(*)::int AS n
       FROM executions WHERE id = ANY($1) GROUP BY 1, 2`,
      [ids],
    );
    // Each ran to completion exactly once, on the second worker, as attempt 2.
    expect(attempts.rows).toEqual([{ attempt: '2', by: expect.stringContaining(':'), n: 200 }]);
    expect(attempts.rows[0].by).not.toBe(killedWorker[0].w);
    b.kill('SIGTERM');
    expect(await b.exited).toBe(0);
  });

  it('RabbitMQ connections force-closed during a run of 500: the daemon reconnects and all end', { timeout: 180_000 }, async () => {
    const wf = await insertWorkflow(suite.t.pool, suite.alice.userId, 'Wait 1s', waitWorkflow(1));
    const d = await suite.daemon(['--concurrency', '50']);
    const ids = await enqueue(wf, 500);
    await waitFor(
      async () => (await suite.t.pool.query(`SELECT COUNT(*)::int AS n FROM executions WHERE id = ANY($1) AND status = 'success'`, [ids])).rows[0].n >= 50,
      30_000,
      'the run to be under way',
    );
    expect(await closeOwnConnections(suite.t.amqpPrefix)).toBe(1);
    await d.waitForLog((l) => l.msg === 'RabbitMQ connection lost; reconnecting', 30_000);
    const lostAt = d.logs.findIndex((l) => l.msg === 'RabbitMQ connection lost; reconnecting');
    await d.waitForLog((l) => l.msg === 'RabbitMQ connected; topology declared' && d.logs.indexOf(l) > lostAt, 30_000);
    const doneAtReconnect = (await statusCounts(suite.t.pool, wf)).success ?? 0;
    expect(doneAtReconnect).toBeLessThan(500);
    await allSucceeded(ids, 90_000);
    await expectRecordedOnce(ids, wf);
    d.kill('SIGTERM');
    expect(await d.exited).toBe(0);
  });

  it('PostgreSQL backends terminated during a run: the daemon retries and all end', { timeout: 180_000 }, async () => {
    const wf = await insertWorkflow(suite.t.pool, suite.alice.userId, 'Wait 0.1s', waitWorkflow(0.1));
    const d = await suite.daemon(['--concurrency', '40']);
    const ids = await enqueue(wf, 300);
    let terminated = 0;
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 700));
      if (i === 0) expect((await statusCounts(suite.t.pool, wf)).success ?? 0).toBeLessThan(300); // still mid-run
      const killed = await suite.t.pool.query<{ n: number }>(
        `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS n
         FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() AND application_name = 'jobsprint'`,
        [suite.t.databaseName],
      );
      terminated += killed.rows[0]!.n;
    }
    // The daemon's connections really were cut under it.
    expect(terminated).toBeGreaterThan(0);
    await allSucceeded(ids, 90_000);
    await expectRecordedOnce(ids, wf);
    d.kill('SIGTERM');
    expect(await d.exited).toBe(0);
  });

  it('runs and records executions while Redis is unreachable, with a warning', async () => {
    const wf = await insertWorkflow(suite.t.pool, suite.alice.userId, 'Wait 0s', waitWorkflow(0));
    const d = await suite.daemon(['--concurrency', '4'], { JOBSPRINT_REDIS_URL: 'redis://127.0.0.1:1', JOBSPRINT_CONNECT_TIMEOUT_MS: '500' });
    await d.waitForLog((l) => l.level === 'warn' && /Redis unavailable/.test(l.msg));
    const ids = await enqueue(wf, 5);
    await allSucceeded(ids, 30_000);
    await expectRecordedOnce(ids, wf);
    d.kill('SIGTERM');
    expect(await d.exited).toBe(0);
  });
});
