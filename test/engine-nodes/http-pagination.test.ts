/**
 * HTTP Request pagination against a local server: $response / $request / $pageCount reach
 * the pagination expressions as extra expression variables (not as inlined JSON text).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWorkflow } from '../../src/core/engine/index.js';
import type { IDataObject, INode, RunOptions, WorkflowDefinition } from '../../src/core/engine/types.js';
import { sendJson, startServer } from './helpers.js';

let srv: Awaited<ReturnType<typeof startServer>>;

beforeAll(async () => {
  srv = await startServer(async (req, res) => {
    switch (req.path) {
      case '/pages': {
        const page = Number(req.query.get('page') ?? '1');
        return sendJson(res, 200, page <= 3 ? [{ page }] : []);
      }
      case '/cursor': {
        const n = Number(req.query.get('n') ?? '0');
        return sendJson(res, 200, { items: [{ n }], next: n < 2 ? `${srv.url}/cursor?n=${n + 1}` : null });
      }
      case '/nested': {
        // a typical API envelope: the next cursor sits in nested objects, so its JSON holds "}}"
        const cursor = req.query.get('cursor') ?? 'start';
        const next = { start: 'c2', c2: 'c3' }[cursor] ?? null;
        return sendJson(res, 200, { data: { rows: [{ cursor }] }, meta: { paging: { next: next ? { cursor: next } : null } } }, { 'x-page': cursor });
      }
      case '/leaky': {
        // Like many APIs, the next link echoes the caller's query (the API key included, form-encoded), here as a relative URL.
        const n = Number(req.query.get('n') ?? '0');
        const query = new URLSearchParams({ n: String(n + 1), api_key: req.query.get('api_key') ?? '' });
        return sendJson(res, 200, { items: [{ n }], next: `/leaky?${query}` });
      }
      default:
        return sendJson(res, 404, { error: 'unknown path' });
    }
  });
});
afterAll(async () => srv.close());

async function run(parameters: IDataObject, node: Partial<INode> = {}, options: RunOptions = {}) {
  const wf: WorkflowDefinition = {
    nodes: [
      { name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, parameters: {}, position: [0, 0] },
      { name: 'HTTP', type: 'n8n-nodes-base.httpRequest', typeVersion: 4.2, position: [200, 0], parameters, ...node } as INode,
    ],
    connections: { Start: { main: [[{ node: 'HTTP', type: 'main', index: 0 }]] } },
  };
  const result = await runWorkflow(wf, options);
  const out = result.runData.HTTP?.[0];
  return { result, items: out?.data?.main[0] ?? [], error: out?.error };
}

const paginated = (url: string, pagination: IDataObject) => ({ url, options: { pagination: { pagination } } });

describe('HTTP Request node: pagination', () => {
  it('updates a parameter each request until the response is empty', async () => {
    const { items } = await run(
      paginated(`${srv.url}/pages`, {
        paginationMode: 'updateAParameterInEachRequest',
        parameters: { parameters: [{ type: 'qs', name: 'page', value: '={{ $pageCount + 1 }}' }] },
        paginationCompleteWhen: 'responseIsEmpty',
      }),
    );
    expect(items.map((i) => i.json)).toEqual([{ page: 1 }, { page: 2 }, { page: 3 }]);
  });

  it('follows a next URL until the completion expression holds, with a page limit', async () => {
    const cursor = { paginationMode: 'responseContainsNextURL', nextURL: '={{ $response.body.next }}', paginationCompleteWhen: 'other', completeExpression: '={{ !$response.body.next }}' };
    const { items } = await run(paginated(`${srv.url}/cursor`, cursor));
    expect(items.map((i) => i.json.items)).toEqual([[{ n: 0 }], [{ n: 1 }], [{ n: 2 }]]);
    const limited = await run(paginated(`${srv.url}/cursor`, { ...cursor, limitPagesFetched: true, maxRequests: 2 }));
    expect(limited.items).toHaveLength(2);
  });

  it('reads cursors from nested response objects, response headers and the previous request', async () => {
    const { items, error } = await run(
      paginated(`${srv.url}/nested`, {
        paginationMode: 'updateAParameterInEachRequest',
        parameters: { parameters: [{ type: 'qs', name: 'cursor', value: '={{ $response.body.meta.paging.next.cursor }}' }] },
        paginationCompleteWhen: 'other',
        completeExpression: '={{ $response.body.meta.paging.next === null || $request.qs.cursor === $response.headers["x-page"] && $pageCount > 5 }}',
      }),
    );
    expect(error).toBeUndefined();
    expect(items.map((i) => i.json.data)).toEqual([{ rows: [{ cursor: 'start' }] }, { rows: [{ cursor: 'c2' }] }, { rows: [{ cursor: 'c3' }] }]);
  });

  it('hides a query-auth secret echoed into a next URL that fails, in the error and the continue-on-fail item', async () => {
    // Spaces and "!" make the echoed form ("+", "%21") differ from both the raw and the URI-component encoded secret.
    const SECRET = 'pg api key 93b1f2e7!';
    const UNIQUE = '93b1f2e7';
    const parameters = {
      ...paginated(`${srv.url}/leaky`, { paginationMode: 'responseContainsNextURL', nextURL: '={{ $response.body.next }}', paginationCompleteWhen: 'responseIsEmpty' }),
      authentication: 'genericCredentialType',
      genericAuthType: 'httpQueryAuth',
    };
    const credentials: RunOptions['credentials'] = { getCredentials: async () => ({ name: 'api_key', value: SECRET }) };
    const node = { credentials: { httpQueryAuth: { id: '1', name: 't' } } };

    const { result, error } = await run(parameters, node, { credentials });
    expect(result.status).toBe('error');
    expect(error?.message).toMatch(/^Invalid URL: \/leaky\?n=1&.*=\*\*hidden\*\*$/);
    expect(JSON.stringify(result)).not.toContain(UNIQUE);

    const cont = await run(parameters, { ...node, onError: 'continueRegularOutput' }, { credentials });
    expect(cont.result.status).toBe('success');
    expect(cont.items).toHaveLength(1);
    expect(cont.items[0].json.error).toMatch(/^Invalid URL: \/leaky\?n=1&.*=\*\*hidden\*\*$/);
    expect(JSON.stringify(cont.result)).not.toContain(UNIQUE);
  });
});
