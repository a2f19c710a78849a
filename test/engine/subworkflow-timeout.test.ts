/** Execute Workflow: a sub-workflow stopped by its own timeout is reported as a timeout, not a manual cancel. */
import { describe, expect, it } from 'vitest';
import { ExecutionCanceledError, runWorkflow, type WorkflowDefinition } from '../../src/core/engine/index.js';

type N = WorkflowDefinition['nodes'][number];
const node = (name: string, type: string, parameters: Record<string, unknown> = {}, typeVersion = 1, extra: Partial<N> = {}): N => ({
  name, type: `n8n-nodes-base.${type}`, typeVersion, parameters, position: [0, 0], ...extra,
});

/** A sub-workflow that waits 30 s. */
const sub = (settings: WorkflowDefinition['settings'] = {}): WorkflowDefinition => ({
  nodes: [node('In', 'executeWorkflowTrigger'), node('Wait', 'wait', { amount: 30, unit: 'seconds' }, 1.1)],
  connections: { In: { main: [[{ node: 'Wait', type: 'main', index: 0 }]] } },
  settings,
});

const parent = (child: WorkflowDefinition, params: Record<string, unknown> = {}, extra: Partial<N> = {}, settings: WorkflowDefinition['settings'] = {}): WorkflowDefinition => ({
  nodes: [node('T', 'manualTrigger'), node('Exec', 'executeWorkflow', { source: 'parameter', workflowJson: JSON.stringify(child), ...params }, 1.2, extra)],
  connections: { T: { main: [[{ node: 'Exec', type: 'main', index: 0 }]] } },
  settings,
});

const TIMEOUT = new ExecutionCanceledError('timeout');
const MANUAL = new ExecutionCanceledError('manual');

describe('executeWorkflow: sub-workflow timeout', () => {
  it('fails the node with the timeout error the engine reports for a top-level timeout', async () => {
    const top = await runWorkflow(sub({ executionTimeout: 0.2 }));
    expect(top.status).toBe('canceled');
    expect([top.error?.name, top.error?.message]).toEqual([TIMEOUT.name, TIMEOUT.message]);

    for (const mode of ['once', 'each']) {
      const res = await runWorkflow(parent(sub({ executionTimeout: 0.2 }), { mode }));
      expect(res.status, mode).toBe('error');
      expect([res.error?.name, res.error?.message], mode).toEqual([top.error?.name, top.error?.message]);
      expect(res.runData.Exec[0].error?.name, mode).toBe('TimeoutExecutionCancelledError');
      expect(res.runData.Exec[0].error?.node?.name, mode).toBe('Exec');
    }
  });

  it('continueOnFail turns the timeout into an error item', async () => {
    const res = await runWorkflow(parent(sub({ executionTimeout: 0.2 }), {}, { continueOnFail: true }));
    expect(res.status).toBe('success');
    expect(res.runData.Exec[0].data!.main[0]!.map((i) => i.json)).toEqual([{ error: TIMEOUT.message }]);
  });

  it('a manual cancel of the parent while the sub-workflow runs stays a manual cancel', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 200);
    const res = await runWorkflow(parent(sub()), { signal: ac.signal });
    expect(res.status).toBe('canceled');
    expect(res.error?.name).toBe(MANUAL.name);
    expect(res.runData.Exec[0].error?.name).toBe(MANUAL.name);
  });

  it('a timeout of the parent while the sub-workflow runs is the parent\'s timeout', async () => {
    const res = await runWorkflow(parent(sub(), {}, {}, { executionTimeout: 0.2 }));
    expect(res.status).toBe('canceled');
    expect([res.error?.name, res.error?.message]).toEqual([TIMEOUT.name, TIMEOUT.message]);
  });
});
