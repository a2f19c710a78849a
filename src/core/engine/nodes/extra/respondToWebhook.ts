import type { IDataObject, INodeExecutionData, NodeExecuteContext, NodeType, WebhookResponse } from '../../types.js';
import { assertBinaryData, binaryBuffer } from './binary.js';
import { nodeError } from './util.js';

export type { WebhookResponse };

function parseJsonBody(ctx: NodeExecuteContext, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    throw nodeError(ctx.node, "Invalid JSON in 'Response Body' field", { description: 'Check the JSON syntax, or choose "Text" to respond with the string as it is' });
  }
}

/** Builds the response from the node's parameters and its input items (n8n "Respond to Webhook"). */
export function buildWebhookResponse(ctx: NodeExecuteContext, items: INodeExecutionData[]): WebhookResponse {
  const respondWith = ctx.getNodeParameter('respondWith', 0, 'firstIncomingItem') as string;
  const options = (ctx.getNodeParameter('options', 0, {}) ?? {}) as IDataObject;
  const headers: Record<string, string> = {};
  for (const h of ((options.responseHeaders as IDataObject)?.entries ?? []) as Array<{ name: string; value: unknown }>) {
    if (h?.name) headers[h.name.toLowerCase()] = String(h.value ?? '');
  }
  let statusCode = Number(options.responseCode ?? 200);
  const wrap = (body: unknown) => (options.responseKey ? { [String(options.responseKey)]: body } : body);
  let body: unknown;
  switch (respondWith) {
    case 'allIncomingItems':
      body = wrap(items.map((i) => i.json));
      break;
    case 'firstIncomingItem':
      body = wrap(items[0]?.json ?? {});
      break;
    case 'json':
      body = parseJsonBody(ctx, ctx.getNodeParameter('responseBody', 0, '{}'));
      if (!headers['content-type']) headers['content-type'] = 'application/json; charset=utf-8';
      break;
    case 'text':
      body = String(ctx.getNodeParameter('responseBody', 0, '') ?? '');
      break;
    case 'binary': {
      const item = items[0];
      if (!item) throw nodeError(ctx.node, 'No binary data exists on the first item!');
      const source = ctx.getNodeParameter('responseDataSource', 0, 'automatically') as string;
      const name = source === 'set' ? (ctx.getNodeParameter('inputFieldName', 0, 'data') as string) : Object.keys(item.binary ?? {})[0];
      if (!name) throw nodeError(ctx.node, 'No binary data exists on the first item!');
      const bin = assertBinaryData(ctx.node, item, name, 0);
      const buffer = binaryBuffer(bin);
      body = buffer;
      headers['content-length'] = String(buffer.length);
      if (!headers['content-type']) headers['content-type'] = bin.mimeType;
      break;
    }
    case 'redirect':
      statusCode = Number(options.responseCode ?? 307);
      headers.location = String(ctx.getNodeParameter('redirectURL', 0, ''));
      break;
    case 'noData':
      body = undefined;
      break;
    default:
      throw nodeError(ctx.node, `The Response Data option "${respondWith}" is not supported!`);
  }
  return { statusCode, headers, body };
}

/**
 * Respond to Webhook. The response goes to the caller through `ctx.sendResponse` (the run's
 * `onWebhookResponse` hook and `RunResult.webhookResponse`). Input items pass through unchanged, as in n8n.
 */
export const respondToWebhookNode: NodeType = {
  type: 'n8n-nodes-base.respondToWebhook',
  versions: [1, 1.1, 1.2, 1.3, 1.4, 1.5],
  outputs: (node) => ((node.parameters?.options as IDataObject | undefined)?.enableResponseOutput ? 2 : 1),
  async execute(ctx) {
    const items = ctx.getInputData();
    const response = buildWebhookResponse(ctx, items);
    ctx.sendResponse(response);
    const passThrough = items.map((item, i) => ({ ...item, pairedItem: item.pairedItem ?? { item: i } }));
    if ((ctx.getNodeParameter('options.enableResponseOutput', 0, false) as boolean) === true) {
      const shown = Buffer.isBuffer(response.body) ? '[binary]' : response.body;
      return [passThrough, [{ json: { response: { statusCode: response.statusCode, headers: response.headers, body: shown as any } }, pairedItem: { item: 0 } }]];
    }
    return [passThrough];
  },
};
