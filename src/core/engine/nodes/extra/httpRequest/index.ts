import type { NodeType } from '../../../types.js';
import { executeV1 } from './v1.js';
import { executeV3 } from './v3.js';

/** HTTP Request node, typeVersions 1–4.4 (v1/v2 share the legacy parameter layout). */
export const httpRequestNode: NodeType = {
  type: 'n8n-nodes-base.httpRequest',
  versions: [1, 2, 3, 4, 4.1, 4.2, 4.3, 4.4],
  async execute(ctx) {
    return Number(ctx.node.typeVersion) >= 3 ? executeV3(ctx) : executeV1(ctx);
  },
};
