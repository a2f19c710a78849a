import type { WorkflowDefinition } from '../../../src/core/engine/index.js';

/** manualTrigger → Code(jsCode) */
export function codeWorkflow(jsCode: string, mode: 'runOnceForAllItems' | 'runOnceForEachItem' = 'runOnceForAllItems', settings: Record<string, unknown> = {}): WorkflowDefinition {
  return {
    nodes: [
      { name: 'Trigger', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, parameters: {}, position: [0, 0] },
      { name: 'Code', type: 'n8n-nodes-base.code', typeVersion: 2, parameters: { jsCode, mode }, position: [200, 0] },
    ],
    connections: { Trigger: { main: [[{ node: 'Code', type: 'main', index: 0 }]] } },
    settings: { executionOrder: 'v1', ...settings },
  };
}

/** manualTrigger → Set v3.4 with one string assignment `value` */
export function exprWorkflow(value: string, type = 'string'): WorkflowDefinition {
  return {
    nodes: [
      { name: 'Trigger', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, parameters: {}, position: [0, 0] },
      {
        name: 'Set',
        type: 'n8n-nodes-base.set',
        typeVersion: 3.4,
        parameters: { assignments: { assignments: [{ id: '1', name: 'out', value, type }] }, options: {} },
        position: [200, 0],
      },
    ],
    connections: { Trigger: { main: [[{ node: 'Set', type: 'main', index: 0 }]] } },
    settings: { executionOrder: 'v1' },
  };
}

/** manualTrigger → Wait(amount seconds) */
export function waitWorkflow(seconds: number, settings: Record<string, unknown> = {}): WorkflowDefinition {
  return {
    nodes: [
      { name: 'Trigger', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, parameters: {}, position: [0, 0] },
      { name: 'Wait', type: 'n8n-nodes-base.wait', typeVersion: 1.1, parameters: { amount: seconds, unit: 'seconds' }, position: [200, 0] },
    ],
    connections: { Trigger: { main: [[{ node: 'Wait', type: 'main', index: 0 }]] } },
    settings: { executionOrder: 'v1', ...settings },
  };
}
