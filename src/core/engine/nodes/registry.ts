import type { NodeType } from '../types.js';
import { extraNodes } from './extra/index.js';
import { triggerNodes } from './triggers.js';
import { simpleNodes } from './simple.js';
import { setNode } from './set.js';
import { ifNode } from './if.js';
import { filterNode } from './filter.js';
import { switchNode } from './switch.js';
import { mergeNode } from './merge.js';
import { splitInBatchesNode } from './splitInBatches.js';
import { codeNode, functionNode, functionItemNode } from './code.js';
import { waitNode } from './wait.js';
import { executeWorkflowNode } from './executeWorkflow.js';

const core: NodeType[] = [
  ...triggerNodes,
  ...simpleNodes,
  setNode,
  ifNode,
  filterNode,
  switchNode,
  mergeNode,
  splitInBatchesNode,
  codeNode,
  functionNode,
  functionItemNode,
  waitNode,
  executeWorkflowNode,
];

const registry = new Map<string, NodeType>();
for (const n of [...core, ...extraNodes]) registry.set(n.type, n);

/** Look up a node implementation by its full n8n type name. */
export function getNodeType(type: string): NodeType | undefined {
  return registry.get(type);
}

export function isSupportedNodeType(type: string): boolean {
  return registry.has(type);
}

export function listSupportedNodeTypes(): string[] {
  return [...registry.keys()].sort();
}

/** For embedders/tests: add or replace a node implementation. */
export function registerNodeType(n: NodeType): void {
  registry.set(n.type, n);
}
