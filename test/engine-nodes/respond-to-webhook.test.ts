/**
 * Respond to Webhook: the response object a webhook server sends back to its caller,
 * delivered through RunOptions.onWebhookResponse (once, first response wins) and
 * RunResult.webhookResponse, for every "Respond With" mode n8n has.
 */
import { describe, expect, it } from 'vitest';
import { runWorkflow } from '../../src/core/engine/index.js';
import type { IDataObject, INode, INodeExecutionData, WebhookResponse, WorkflowDefinition } from '../../src/core/engine/types.js';

function wf(...responders: Array<Partial<INode>>): WorkflowDefinition {
  const nodes: INode[] = [{ name: 'Webhook', type: 'n8n-nodes-base.webhook', typeVersion: 2, parameters: { path: 'x', responseMode: 'responseNode' }, position: [0, 0] }];
  const connections: WorkflowDefinition['connections'] = {};
  let prev = 'Webhook';
  responders.forEach((r, i) => {
    const name = `Respond${i + 1}`;
    nodes.push({ name, type: 'n8n-nodes-base.respondToWebhook', typeVersion: 1.1, position: [200 * (i + 1), 0], parameters: {}, ...r } as INode);
    connections[prev] = { main: [[{ node: name, type: 'main', index: 0 }]] };
    prev = name;
  });
  return { nodes, connections, settings: { executionOrder: 'v1' } };
}

const ITEMS: INodeExecutionData[] = [
  { json: { id: 1, name: 'first' }, binary: { file: { data: Buffer.from('%PDF-1.4 fake').toString('base64'), mimeType: 'application/pdf', fileName: 'a.pdf' } } },
  { json: { id: 2, name: 'second' } },
];

async function respond(parameters: IDataObject, input: INodeExecutionData[] = ITEMS) {
  const hooked: WebhookResponse[] = [];
  const res = await runWorkflow(wf({ parameters }), { input, mode: 'webhook', onWebhookResponse: (r) => hooked.push(r) });
  expect(res.status, JSON.stringify(res.error)).toBe('success');
  expect(hooked).toHaveLength(1);
  expect(res.webhookResponse).toBe(hooked[0]);
  // items pass through unchanged, as in n8n
  expect(res.runData.Respond1[0].data!.main[0]!.map((i) => i.json)).toEqual(input.map((i) => i.json));
  return hooked[0];
}

describe('Respond to Webhook response object', () => {
  it('first incoming item, with status code and headers (names lower-cased)', async () => {
    const r = await respond({ respondWith: 'firstIncomingItem', options: { responseCode: 202, responseHeaders: { entries: [{ name: 'X-Request-Id', value: 'abc' }, { name: 'Cache-Control', value: 'no-store' }] } } });
    expect(r).toEqual({ statusCode: 202, headers: { 'x-request-id': 'abc', 'cache-control': 'no-store' }, body: { id: 1, name: 'first' } });
  });

  it('all incoming items, optionally wrapped in a response field', async () => {
    expect(await respond({ respondWith: 'allIncomingItems', options: {} })).toEqual({ statusCode: 200, headers: {}, body: [{ id: 1, name: 'first' }, { id: 2, name: 'second' }] });
    const wrapped = await respond({ respondWith: 'allIncomingItems', options: { responseKey: 'data' } });
    expect(wrapped.body).toEqual({ data: [{ id: 1, name: 'first' }, { id: 2, name: 'second' }] });
  });

  it('text, evaluated as an expression', async () => {
    const r = await respond({ respondWith: 'text', responseBody: '=Hello {{ $json.name }}', options: { responseHeaders: { entries: [{ name: 'Content-Type', value: 'text/plain' }] } } });
    expect(r).toEqual({ statusCode: 200, headers: { 'content-type': 'text/plain' }, body: 'Hello first' });
  });

  it('JSON from an expression or JSON text; invalid JSON fails the node', async () => {
    const fromExpr = await respond({ respondWith: 'json', responseBody: '={{ { ok: true, id: $json.id } }}', options: { responseCode: 201 } });
    expect(fromExpr.statusCode).toBe(201);
    expect(fromExpr.body).toEqual({ ok: true, id: 1 });
    expect(fromExpr.headers['content-type']).toMatch(/^application\/json/);
    expect((await respond({ respondWith: 'json', responseBody: '{"a": [1, 2]}', options: {} })).body).toEqual({ a: [1, 2] });

    const bad = await runWorkflow(wf({ parameters: { respondWith: 'json', responseBody: '{not json', options: {} } }), { input: ITEMS });
    expect(bad.status).toBe('error');
    expect(bad.error?.message).toBe("Invalid JSON in 'Response Body' field");
    expect(bad.webhookResponse).toBeUndefined();
  });

  it('binary: the file bytes as a Buffer with its MIME type and length', async () => {
    const auto = await respond({ respondWith: 'binary', options: {} });
    expect(Buffer.isBuffer(auto.body)).toBe(true);
    expect((auto.body as Buffer).toString()).toBe('%PDF-1.4 fake');
    expect(auto.headers).toEqual({ 'content-type': 'application/pdf', 'content-length': '13' });
    const named = await respond({ respondWith: 'binary', responseDataSource: 'set', inputFieldName: 'file', options: { responseHeaders: { entries: [{ name: 'content-type', value: 'application/octet-stream' }] } } });
    expect(named.headers['content-type']).toBe('application/octet-stream');

    const none = await runWorkflow(wf({ parameters: { respondWith: 'binary', options: {} } }), { input: [{ json: { x: 1 } }] });
    expect(none.status).toBe('error');
    expect(none.error?.message).toBe('No binary data exists on the first item!');
  });

  it('no data, and redirect', async () => {
    expect(await respond({ respondWith: 'noData', options: { responseCode: 204 } })).toEqual({ statusCode: 204, headers: {}, body: undefined });
    expect(await respond({ respondWith: 'redirect', redirectURL: '=https://example.test/{{ $json.id }}', options: {} })).toEqual({ statusCode: 307, headers: { location: 'https://example.test/1' }, body: undefined });
  });

  it('the first response wins when several Respond to Webhook nodes run', async () => {
    const hooked: WebhookResponse[] = [];
    const res = await runWorkflow(wf({ parameters: { respondWith: 'text', responseBody: 'one', options: {} } }, { parameters: { respondWith: 'text', responseBody: 'two', options: {} } }), {
      input: ITEMS,
      onWebhookResponse: (r) => hooked.push(r),
    });
    expect(res.status).toBe('success');
    expect(res.runData.Respond2).toHaveLength(1);
    expect(hooked.map((r) => r.body)).toEqual(['one']);
    expect(res.webhookResponse?.body).toBe('one');
  });

  it('a throwing onWebhookResponse hook does not break the execution', async () => {
    const res = await runWorkflow(wf({ parameters: { respondWith: 'noData', options: {} } }), {
      input: ITEMS,
      onWebhookResponse: () => {
        throw new Error('socket closed');
      },
    });
    expect(res.status).toBe('success');
    expect(res.webhookResponse?.statusCode).toBe(200);
  });
});
