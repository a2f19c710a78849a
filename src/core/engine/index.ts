/**
 * Jobsprint workflow engine: runs n8n-compatible workflow JSON in-process.
 * Pure library: no database, no CLI. Callers inject credentials, HTTP, loaders.
 */
import type { RunOptions, RunResult, ValidationProblem, WorkflowDefinition } from './types.js';
import { WorkflowExecution } from './runner/execute.js';
import { sharedByRuns } from './runner/graph.js';
export { freezeDefinition } from './runner/graph.js';
import { getNodeType, isSupportedNodeType, listSupportedNodeTypes, registerNodeType } from './nodes/registry.js';
import { EngineValidationError } from './errors.js';

export * from './types.js';
export { EngineValidationError, NodeOperationError, NodeApiError, ExpressionError, ExecutionCanceledError, SandboxError } from './errors.js';
export { isSupportedNodeType, listSupportedNodeTypes, registerNodeType, getNodeType };
export { setSandboxPoolSize, isolatesCreated, sandboxContextsCreated } from './sandbox/sandbox.js';
export { httpClientFromConfig, parseDenyNetworks } from './http/config.js';

/** Structural checks + unknown node types. Empty list = runnable. */
export function validateWorkflow(def: unknown): ValidationProblem[] {
  const problems: ValidationProblem[] = [];
  const wf = def as WorkflowDefinition;
  if (!wf || typeof wf !== 'object' || !Array.isArray(wf.nodes)) {
    return [{ kind: 'invalid', message: 'Workflow must be an object with a "nodes" array' }];
  }
  if (wf.connections !== undefined && (typeof wf.connections !== 'object' || wf.connections === null || Array.isArray(wf.connections))) {
    problems.push({ kind: 'invalid', message: '"connections" must be an object' });
  }
  const names = new Set<string>();
  for (const [i, n] of wf.nodes.entries()) {
    if (!n || typeof n !== 'object' || typeof n.name !== 'string' || typeof n.type !== 'string') {
      problems.push({ kind: 'invalid', message: `Node #${i} needs string "name" and "type"` });
      continue;
    }
    if (names.has(n.name)) problems.push({ kind: 'duplicateName', node: n.name, message: `Duplicate node name "${n.name}"` });
    names.add(n.name);
    if (!n.disabled && !isSupportedNodeType(n.type)) {
      problems.push({ kind: 'unknownNodeType', node: n.name, message: `Node "${n.name}" uses unsupported node type "${n.type}"` });
    }
  }
  for (const [src, types] of Object.entries(wf.connections ?? {})) {
    if (!names.has(src)) problems.push({ kind: 'badConnection', node: src, message: `Connection from unknown node "${src}"` });
    const main = (types as any)?.main;
    if (main === undefined) continue;
    if (!Array.isArray(main)) {
      problems.push({ kind: 'badConnection', node: src, message: `Connections of "${src}" must be an array` });
      continue;
    }
    for (const targets of main) {
      for (const c of targets ?? []) {
        if (!c || typeof c.node !== 'string' || !names.has(c.node)) {
          problems.push({ kind: 'badConnection', node: src, message: `Connection from "${src}" to unknown node "${c?.node}"` });
        } else if (typeof c.index !== 'number' || c.index < 0) {
          problems.push({ kind: 'badConnection', node: src, message: `Connection from "${src}" to "${c.node}" has an invalid input index` });
        }
      }
    }
  }
  return problems;
}

/** Throws EngineValidationError (exitCode 2) listing every problem, unsupported node types by name. */
export function assertRunnable(def: unknown): asserts def is WorkflowDefinition {
  // A frozen definition (freezeDefinition) that passed once passes again: checked once, not per run.
  const shared = def && typeof def === 'object' ? sharedByRuns(def as WorkflowDefinition) : undefined;
  if (shared?.valid) return;
  const problems = validateWorkflow(def);
  if (!problems.length) {
    if (shared) shared.valid = true;
    return;
  }
  const unknown = [...new Set(problems.filter((p) => p.kind === 'unknownNodeType').map((p) => p.message.match(/type "(.*)"$/)?.[1]))];
  const head = unknown.length ? `Workflow uses node types the engine does not support: ${unknown.join(', ')}` : 'Workflow is invalid';
  throw new EngineValidationError(`${head}\n${problems.map((p) => `  - ${p.message}`).join('\n')}`, problems);
}

/** Runs a workflow to completion (or cancellation/timeout). Never throws for node failures: see result.status. */
export async function runWorkflow(workflow: WorkflowDefinition, options: RunOptions = {}): Promise<RunResult> {
  assertRunnable(workflow);
  const ex = new WorkflowExecution(workflow, options);
  return await ex.run();
}
