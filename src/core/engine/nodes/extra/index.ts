import type { NodeType } from '../../types.js';

export const extraNodes: NodeType[] = [];
