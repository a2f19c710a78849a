import type { ExecutionErrorJson, INode } from './types.js';

/** Workflow cannot be run at all (bad JSON, unknown node types). The CLI maps exitCode to the process exit code. */
export class EngineValidationError extends Error {
  exitCode = 2;
  constructor(message: string, public problems: Array<{ node?: string; message: string }> = []) {
    super(message);
    this.name = 'EngineValidationError';
  }
}

/** A node failed; mirrors n8n's NodeOperationError shape in run data. */
export class NodeOperationError extends Error {
  description?: string;
  itemIndex?: number;
  node?: INode;
  constructor(node: INode | undefined, message: string, opts: { description?: string; itemIndex?: number } = {}) {
    super(message);
    this.name = 'NodeOperationError';
    this.node = node;
    this.description = opts.description;
    this.itemIndex = opts.itemIndex;
  }
}

export class NodeApiError extends NodeOperationError {
  httpCode?: string;
  constructor(node: INode | undefined, message: string, opts: { description?: string; itemIndex?: number; httpCode?: string } = {}) {
    super(node, message, opts);
    this.name = 'NodeApiError';
    this.httpCode = opts.httpCode;
  }
}

export class ExpressionError extends Error {
  description?: string;
  itemIndex?: number;
  constructor(message: string, opts: { description?: string; itemIndex?: number } = {}) {
    super(message);
    this.name = 'ExpressionError';
    this.description = opts.description;
    this.itemIndex = opts.itemIndex;
  }
}

/** The execution was canceled by the caller (signal) or by its timeout. */
export class ExecutionCanceledError extends Error {
  constructor(public reason: 'manual' | 'timeout' = 'manual') {
    super(reason === 'timeout' ? 'The execution was cancelled because it timed out' : 'The execution was canceled');
    this.name = reason === 'timeout' ? 'TimeoutExecutionCancelledError' : 'ManualExecutionCancelledError';
  }
}

/** Code in the sandbox hit a resource limit or could not run. */
export class SandboxError extends Error {
  constructor(message: string, public kind: 'timeout' | 'memory' | 'size' | 'disposed' | 'other' = 'other') {
    super(message);
    this.name = 'SandboxError';
  }
}

export function toErrorJson(err: unknown, node?: INode): ExecutionErrorJson {
  const e = err as any;
  const out: ExecutionErrorJson = {
    message: typeof e?.message === 'string' ? e.message : String(err),
    name: typeof e?.name === 'string' ? e.name : 'Error',
  };
  if (e?.description !== undefined) out.description = e.description;
  if (typeof e?.itemIndex === 'number') out.itemIndex = e.itemIndex;
  if (typeof e?.stack === 'string') out.stack = e.stack;
  if (e?.httpCode !== undefined) out.httpCode = e.httpCode;
  const n = e?.node ?? node;
  if (n) out.node = { name: n.name, type: n.type };
  return out;
}

export function isCancellation(err: unknown): boolean {
  return err instanceof ExecutionCanceledError || (err as any)?.name === 'AbortError';
}
