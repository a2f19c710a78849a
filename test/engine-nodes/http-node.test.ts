import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWorkflow } from '../../src/core/engine/index.js';
import { createHttpClient } from '../../src/core/engine/http/client.js';
import type { IDataObject, INode, RunOptions, WorkflowDefinition } from '../../src/core/engine/types.js';
import { sendJson, startServer, type RecordedRequest } from './helpers.js';

let srv: Awaited<ReturnType<typeof startServer>>;
let tokenRefreshes = 0;
const SECRET = 'sk-very-secret-token-1234';

beforeAll(async () => {
  srv = await startServer(async (req, res) => {
    const echo = () => sendJson(res, 200, { method: req.method, path: req.path, query: Object.fromEntries(req.query), headers: req.headers, body: req.body.toString('utf8') });
    switch (req.path) {
      case '/echo':
        return echo();
      case '/text':
        res.writeHead(200, { 'content-type': 'text/plain' });
        return res.end('hello text');
      case '/file':
        res.writeHead(200, { 'content-type': 'image/png' });
        return res.end(Buffer.from([0x89, 0x50, 0x4e, 0x47]));
      case '/array':
        return sendJson(res, 200, [{ a: 1 }, { a: 2 }]);
      case '/redirect':
        res.writeHead(302, { location: '/echo?redirected=1' });
        return res.end();
      case '/loop':
        res.writeHead(302, { location: '/loop' });
        return res.end();
      case '/status/404':
        return sendJson(res, 404, { error: 'nope', echo: req.headers.authorization ?? null });
      case '/slow':
        return; // never answers
      case '/token': {
        tokenRefreshes++;
        const form = new URLSearchParams(req.body.toString('utf8'));
        if (form.get('grant_type') !== 'refresh_token' || form.get('refresh_token') !== 'refresh-me') return sendJson(res, 400, { error: 'invalid_grant' });
        return sendJson(res, 200, { access_token: 'fresh-access-token', expires_in: 3600 });
      }
      case '/oauth-protected':
        if (req.headers.authorization !== 'Bearer fresh-access-token') return sendJson(res, 401, { error: 'expired' });
        return echo();
      default:
        return sendJson(res, 404, { error: 'unknown path' });
    }
  });
});
afterAll(async () => srv.close());

function workflow(http: Partial<INode>): WorkflowDefinition {
  return {
    nodes: [
      { name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, parameters: {}, position: [0, 0] },
      { name: 'HTTP', type: 'n8n-nodes-base.httpRequest', typeVersion: 4.2, position: [200, 0], parameters: {}, ...http } as INode,
    ],
    connections: { Start: { main: [[{ node: 'HTTP', type: 'main', index: 0 }]] } },
  };
}

async function run(http: Partial<INode>, options: RunOptions = {}) {
  const result = await runWorkflow(workflow(http), options);
  const out = result.runData.HTTP?.[0];
  return { result, items: out?.data?.main[0] ?? [], error: out?.error };
}

const creds = (map: Record<string, IDataObject>): RunOptions['credentials'] => ({
  getCredentials: async (type) => {
    if (!map[type]) throw new Error(`no credential ${type}`);
    return structuredClone(map[type]);
  },
});

const lastRequest = (): RecordedRequest => srv.requests[srv.requests.length - 1];

describe('HTTP Request node: bodies', () => {
  it('sends a JSON body from key-value pairs (dotted names nest in v4+)', async () => {
    const { items } = await run({
      parameters: {
        method: 'POST', url: `${srv.url}/echo`, sendBody: true, contentType: 'json', specifyBody: 'keypair',
        bodyParameters: { parameters: [{ name: 'a', value: '1' }, { name: 'user.name', value: 'ann' }] }, options: {},
      },
    });
    expect(items[0].json.headers['content-type']).toContain('application/json');
    expect(JSON.parse(items[0].json.body)).toEqual({ a: '1', user: { name: 'ann' } });
  });

  it('sends a JSON body given as JSON text', async () => {
    await run({ parameters: { method: 'POST', url: `${srv.url}/echo`, sendBody: true, specifyBody: 'json', jsonBody: '{"x": [1, 2]}', options: {} } });
    expect(JSON.parse(lastRequest().body.toString())).toEqual({ x: [1, 2] });
  });

  it('sends form-urlencoded', async () => {
    await run({ parameters: { method: 'POST', url: `${srv.url}/echo`, sendBody: true, contentType: 'form-urlencoded', bodyParameters: { parameters: [{ name: 'a', value: 'x y' }, { name: 'b', value: '2' }] }, options: {} } });
    expect(lastRequest().headers['content-type']).toContain('application/x-www-form-urlencoded');
    expect(lastRequest().body.toString()).toBe('a=x+y&b=2');
  });

  it('sends multipart form data with a binary file', async () => {
    const input = [{ json: {}, binary: { data: { data: Buffer.from('file-content').toString('base64'), mimeType: 'text/plain', fileName: 'a.txt' } } }];
    await run(
      { parameters: { method: 'POST', url: `${srv.url}/echo`, sendBody: true, contentType: 'multipart-form-data', bodyParameters: { parameters: [{ name: 'field', value: 'v' }, { parameterType: 'formBinaryData', name: 'upload', inputDataFieldName: 'data' }] }, options: {} } },
      { input },
    );
    const r = lastRequest();
    expect(r.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    const text = r.body.toString();
    expect(text).toContain('name="field"');
    expect(text).toContain('filename="a.txt"');
    expect(text).toContain('file-content');
  });

  it('sends a raw body with its content type', async () => {
    await run({ parameters: { method: 'POST', url: `${srv.url}/echo`, sendBody: true, contentType: 'raw', rawContentType: 'application/xml', body: '<a>1</a>', options: {} } });
    expect(lastRequest().headers['content-type']).toBe('application/xml');
    expect(lastRequest().body.toString()).toBe('<a>1</a>');
  });

  it('sends a binary body', async () => {
    const input = [{ json: {}, binary: { data: { data: Buffer.from([1, 2, 3]).toString('base64'), mimeType: 'application/octet-stream' } } }];
    await run({ parameters: { method: 'POST', url: `${srv.url}/echo`, sendBody: true, contentType: 'binaryData', inputDataFieldName: 'data', options: {} } }, { input });
    expect([...lastRequest().body]).toEqual([1, 2, 3]);
  });

  it('sends query parameters and headers', async () => {
    const { items } = await run({ parameters: { url: `${srv.url}/echo`, sendQuery: true, queryParameters: { parameters: [{ name: 'q', value: 'a b' }] }, sendHeaders: true, headerParameters: { parameters: [{ name: 'X-Custom', value: 'yes' }] }, options: {} } });
    expect(items[0].json.query).toEqual({ q: 'a b' });
    expect(items[0].json.headers['x-custom']).toBe('yes');
  });
});

describe('HTTP Request node: responses', () => {
  it('splits a JSON array into items, reads text and files (auto-detect)', async () => {
    expect((await run({ parameters: { url: `${srv.url}/array`, options: {} } })).items.map((i) => i.json)).toEqual([{ a: 1 }, { a: 2 }]);
    expect((await run({ parameters: { url: `${srv.url}/text`, options: {} } })).items[0].json).toEqual({ data: 'hello text' });
    const file = (await run({ parameters: { url: `${srv.url}/file`, options: {} } })).items[0];
    expect(file.binary?.data.mimeType).toBe('image/png');
    expect(Buffer.from(file.binary!.data.data, 'base64')).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47]));
  });

  it('returns the full response', async () => {
    const { items } = await run({ parameters: { url: `${srv.url}/echo`, options: { response: { response: { fullResponse: true } } } } });
    expect(Object.keys(items[0].json)).toEqual(['body', 'headers', 'statusCode', 'statusMessage']);
    expect(items[0].json.statusCode).toBe(200);
  });

  it('fails on HTTP errors unless never-error is set', async () => {
    const failed = await run({ parameters: { url: `${srv.url}/status/404`, options: {} } });
    expect(failed.result.status).toBe('error');
    expect(failed.error?.message).toBe('The resource you are requesting could not be found');
    const ok = await run({ parameters: { url: `${srv.url}/status/404`, options: { response: { response: { neverError: true } } } } });
    expect(ok.result.status).toBe('success');
    expect(ok.items[0].json.error).toBe('nope');
  });

  it('follows redirects, and reports a redirect loop', async () => {
    const { items } = await run({ parameters: { url: `${srv.url}/redirect`, options: {} } });
    expect(items[0].json.query).toEqual({ redirected: '1' });
    const noFollow = await run({ parameters: { url: `${srv.url}/redirect`, options: { redirect: { redirect: { followRedirects: false } }, response: { response: { neverError: true, fullResponse: true } } } } });
    expect(noFollow.items[0].json.statusCode).toBe(302);
    const loop = await run({ parameters: { url: `${srv.url}/loop`, options: { redirect: { redirect: { followRedirects: true, maxRedirects: 3 } } } } });
    expect(loop.error?.message).toContain('Maximum number of redirects exceeded');
  });

  it('batches requests with an interval', async () => {
    const before = srv.requests.length;
    const started = Date.now();
    const { items } = await run(
      { parameters: { url: `${srv.url}/echo`, options: { batching: { batch: { batchSize: 1, batchInterval: 150 } } } } },
      { input: [{ json: { i: 1 } }, { json: { i: 2 } }, { json: { i: 3 } }] },
    );
    expect(items).toHaveLength(3);
    expect(srv.requests.length - before).toBe(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  });
});

describe('HTTP Request node: timeouts and cancellation', () => {
  it('times out a request that never answers', async () => {
    const { error, result } = await run({ parameters: { url: `${srv.url}/slow`, options: { timeout: 300 } } });
    expect(error?.message).toContain('timeout of 300ms exceeded');
    // aborted within a second of its timeout (the node's own time, not the test's setup)
    expect(result.runData.HTTP[0].executionTime - 300).toBeLessThan(1000);
  });

  it('aborts a hanging request within a second when the execution is canceled', async () => {
    const ctl = new AbortController();
    let abortedAt = 0;
    setTimeout(() => {
      abortedAt = Date.now();
      ctl.abort();
    }, 200);
    const { result } = await run({ parameters: { url: `${srv.url}/slow`, options: {} } }, { signal: ctl.signal });
    expect(result.status).toBe('canceled');
    expect(abortedAt).toBeGreaterThan(0);
    expect(Date.now() - abortedAt).toBeLessThan(1000);
  });
});

describe('HTTP Request node: network deny-list', () => {
  it('blocks the cloud metadata address', async () => {
    const { error, result } = await run({ parameters: { url: 'http://169.254.169.254/latest/meta-data/', options: { timeout: 2000 } } });
    expect(result.status).toBe('error');
    expect(error?.message).toContain('169.254.169.254 was blocked');
  });

  it('blocks metadata host names and IPv6 link-local/metadata literals', async () => {
    for (const url of ['http://metadata.google.internal/computeMetadata/v1/', 'http://[fd00:ec2::254]/', 'http://[fe80::1]/']) {
      const { error } = await run({ parameters: { url, options: { timeout: 2000 } } });
      expect(error?.message, url).toContain('was blocked');
    }
  });

  it('checks the resolved address, so a host name cannot smuggle a denied IP', async () => {
    const client = createHttpClient({ deniedNetworks: ['127.0.0.0/8'] });
    try {
      const { error } = await run({ parameters: { url: `http://localhost:${srv.port}/echo`, options: {} } }, { httpClient: client });
      expect(error?.message).toMatch(/localhost \(127\.0\.0\.1\) was blocked/);
    } finally {
      await client.close();
    }
  });
});

describe('HTTP Request node: authentication', () => {
  const node = (genericAuthType: string, path = '/echo') => ({
    parameters: { url: `${srv.url}${path}`, authentication: 'genericCredentialType', genericAuthType, options: {} },
    credentials: { [genericAuthType]: { id: '1', name: 'test' } },
  });

  it('header auth', async () => {
    const { items } = await run(node('httpHeaderAuth'), { credentials: creds({ httpHeaderAuth: { name: 'X-Api-Key', value: SECRET } }) });
    expect(items[0].json.headers['x-api-key']).toBe(SECRET);
  });

  it('query auth', async () => {
    const { items } = await run(node('httpQueryAuth'), { credentials: creds({ httpQueryAuth: { name: 'api_key', value: SECRET } }) });
    expect(items[0].json.query.api_key).toBe(SECRET);
  });

  it('basic auth', async () => {
    const { items } = await run(node('httpBasicAuth'), { credentials: creds({ httpBasicAuth: { user: 'ann', password: SECRET } }) });
    expect(items[0].json.headers.authorization).toBe('Basic ' + Buffer.from(`ann:${SECRET}`).toString('base64'));
  });

  it('bearer auth', async () => {
    const { items } = await run(node('httpBearerAuth'), { credentials: creds({ httpBearerAuth: { token: SECRET } }) });
    expect(items[0].json.headers.authorization).toBe(`Bearer ${SECRET}`);
  });

  it('legacy v1 header auth', async () => {
    const { items } = await run(
      { typeVersion: 1, parameters: { url: `${srv.url}/echo`, authentication: 'headerAuth', options: {} }, credentials: { httpHeaderAuth: { id: '1', name: 't' } } },
      { credentials: creds({ httpHeaderAuth: { name: 'Authorization', value: SECRET } }) },
    );
    expect(items[0].json.headers.authorization).toBe(SECRET);
  });

  it('OAuth2 refreshes an expired token and retries', async () => {
    const before = tokenRefreshes;
    const { items, result } = await run(node('oAuth2Api', '/oauth-protected'), {
      credentials: creds({
        oAuth2Api: {
          grantType: 'authorizationCode', accessTokenUrl: `${srv.url}/token`, clientId: 'cid', clientSecret: 'client-secret-xyz',
          oauthTokenData: { access_token: 'stale-access-token', refresh_token: 'refresh-me', expires_at: Date.now() - 60_000 },
        },
      }),
    });
    expect(result.status).toBe('success');
    expect(items[0].json.headers.authorization).toBe('Bearer fresh-access-token');
    expect(tokenRefreshes - before).toBe(1);
  });

  it('OAuth2 hands the refreshed token to the provider to persist, never into run data', async () => {
    const saved: Array<{ type: string; node: string; data: IDataObject }> = [];
    const { result } = await run(node('oAuth2Api', '/oauth-protected'), {
      credentials: {
        ...creds({ oAuth2Api: { accessTokenUrl: `${srv.url}/token`, clientId: 'cid', clientSecret: 'cs', oauthTokenData: { access_token: 'old', refresh_token: 'refresh-me', expires_at: 1 } } })!,
        updateOAuthTokenData: async (type, n, data) => void saved.push({ type, node: n.name, data }),
      },
    });
    expect(result.status).toBe('success');
    expect(saved).toHaveLength(1);
    expect(saved[0]).toMatchObject({ type: 'oAuth2Api', node: 'HTTP', data: { access_token: 'fresh-access-token', refresh_token: 'refresh-me' } });
    expect(saved[0].data.expires_at).toBeGreaterThan(Date.now());
    expect(JSON.stringify(result)).not.toContain('refresh-me');
  });

  it('OAuth2 refreshes on 401 when the token has no known expiry', async () => {
    const before = tokenRefreshes;
    const { result } = await run(node('oAuth2Api', '/oauth-protected'), {
      credentials: creds({ oAuth2Api: { accessTokenUrl: `${srv.url}/token`, clientId: 'cid', clientSecret: 'cs', oauthTokenData: { access_token: 'old', refresh_token: 'refresh-me' } } }),
    });
    expect(result.status).toBe('success');
    expect(tokenRefreshes - before).toBe(1);
  });

  it('never puts a credential secret into errors or run data', async () => {
    const { result, error } = await run(
      { ...node('httpHeaderAuth', '/status/404'), onError: 'stopWorkflow' },
      { credentials: creds({ httpHeaderAuth: { name: 'Authorization', value: SECRET } }) },
    );
    expect(result.status).toBe('error');
    expect(error?.description).toContain('**hidden**');
    expect(JSON.stringify(result)).not.toContain(SECRET);

    const cont = await run({ ...node('httpHeaderAuth', '/status/404'), continueOnFail: true }, { credentials: creds({ httpHeaderAuth: { name: 'Authorization', value: SECRET } }) });
    expect(cont.result.status).toBe('success');
    expect(JSON.stringify(cont.result)).not.toContain(SECRET);

    const unreachable = await run(
      { parameters: { url: `http://127.0.0.1:1/x?k=${SECRET}`, authentication: 'genericCredentialType', genericAuthType: 'httpQueryAuth', options: {} }, credentials: { httpQueryAuth: { id: '1', name: 't' } } },
      { credentials: creds({ httpQueryAuth: { name: 'k', value: SECRET } }) },
    );
    expect(unreachable.result.status).toBe('error');
    expect(JSON.stringify(unreachable.result)).not.toContain(SECRET);
  });
});

describe('HTTP Request node: credential secrets in transport and preparation errors', () => {
  // Lower case: it ends up in a host name, which URL parsing lower-cases.
  const HOST_SECRET = 'tok-5ecret-7f3a9c0e';
  const blockedUrl = `http://${HOST_SECRET}.test/resource`;
  // The client refuses this host before resolving it, naming the host in its error.
  const denyingClient = () => createHttpClient({ deniedHosts: [`${HOST_SECRET}.test`] });

  const versions: Array<{ label: string; node: (url: string) => Partial<INode>; credentials: RunOptions['credentials'] }> = [
    {
      label: 'v1 (legacy header auth)',
      node: (url) => ({ typeVersion: 1, parameters: { url, authentication: 'headerAuth', options: {} }, credentials: { httpHeaderAuth: { id: '1', name: 't' } } }),
      credentials: creds({ httpHeaderAuth: { name: 'X-Api-Key', value: HOST_SECRET } }),
    },
    {
      label: 'v4.2 (generic query auth)',
      node: (url) => ({
        typeVersion: 4.2,
        parameters: { url, authentication: 'genericCredentialType', genericAuthType: 'httpQueryAuth', options: {} },
        credentials: { httpQueryAuth: { id: '1', name: 't' } },
      }),
      credentials: creds({ httpQueryAuth: { name: 'api_key', value: HOST_SECRET } }),
    },
    {
      label: 'v3 (generic header auth)',
      node: (url) => ({
        typeVersion: 3,
        parameters: { url, authentication: 'genericCredentialType', genericAuthType: 'httpHeaderAuth', options: {} },
        credentials: { httpHeaderAuth: { id: '1', name: 't' } },
      }),
      credentials: creds({ httpHeaderAuth: { name: 'X-Api-Key', value: HOST_SECRET } }),
    },
  ];

  for (const v of versions) {
    it(`${v.label}: a blocked request's thrown error hides the secret (message, description, stack)`, async () => {
      const client = denyingClient();
      try {
        const { result, error } = await run(v.node(blockedUrl), { credentials: v.credentials, httpClient: client });
        expect(result.status).toBe('error');
        expect(error?.message).toContain('was blocked');
        expect(error?.message).toContain('**hidden**');
        expect(error?.message).not.toContain(HOST_SECRET);
        expect(error?.description ?? '').not.toContain(HOST_SECRET);
        expect(error?.stack ?? '').not.toContain(HOST_SECRET);
        expect(JSON.stringify(result)).not.toContain(HOST_SECRET);
      } finally {
        await client.close();
      }
    });

    for (const mode of [{ continueOnFail: true }, { onError: 'continueRegularOutput' as const }]) {
      it(`${v.label}: a blocked request's error item hides the secret (${Object.keys(mode)[0]})`, async () => {
        const client = denyingClient();
        try {
          const { result, items } = await run({ ...v.node(blockedUrl), ...mode }, { credentials: v.credentials, httpClient: client });
          expect(result.status).toBe('success');
          expect(items).toHaveLength(1);
          expect(items[0].json.error).toContain('was blocked');
          expect(items[0].json.error).toContain('**hidden**');
          expect(JSON.stringify(result)).not.toContain(HOST_SECRET);
        } finally {
          await client.close();
        }
      });
    }
  }

  it('v4.2: an error raised after the credential is loaded (invalid URL) hides the secret', async () => {
    const node = versions[1].node(`ftp://files.test/?api_key=${HOST_SECRET}`);
    const { result, error } = await run(node, { credentials: versions[1].credentials });
    expect(error?.message).toContain('Invalid URL');
    expect(JSON.stringify(result)).not.toContain(HOST_SECRET);
    const cont = await run({ ...node, continueOnFail: true }, { credentials: versions[1].credentials });
    expect(cont.items[0].json.error).toContain('Invalid URL');
    expect(JSON.stringify(cont.result)).not.toContain(HOST_SECRET);
  });

  for (const typeVersion of [1, 4.2]) {
    it(`v${typeVersion}: a header value inside a custom-auth JSON credential is hidden in transport errors`, async () => {
      const custom = creds({ httpCustomAuth: { json: JSON.stringify({ headers: { 'X-Key': HOST_SECRET } }) } });
      const node: Partial<INode> = {
        typeVersion,
        parameters: { url: blockedUrl, authentication: 'genericCredentialType', genericAuthType: 'httpCustomAuth', options: {} },
        credentials: { httpCustomAuth: { id: '1', name: 't' } },
      };
      const client = denyingClient();
      try {
        const { result, error } = await run(node, { credentials: custom, httpClient: client });
        expect(error?.message).toContain('**hidden**');
        expect(JSON.stringify(result)).not.toContain(HOST_SECRET);
        const cont = await run({ ...node, continueOnFail: true }, { credentials: custom, httpClient: client });
        expect(cont.items[0].json.error).toContain('**hidden**');
        expect(JSON.stringify(cont.result)).not.toContain(HOST_SECRET);
      } finally {
        await client.close();
      }
    });
  }

  for (const typeVersion of [1, 4.2]) {
    it(`v${typeVersion}: an OAuth2 access token obtained by refresh is hidden too`, async () => {
      const oauth = creds({
        oAuth2Api: { accessTokenUrl: `${srv.url}/token`, clientId: 'cid', clientSecret: 'client-secret-xyz', oauthTokenData: { access_token: 'stale', refresh_token: 'refresh-me', expires_at: 1 } },
      });
      const node: Partial<INode> = {
        typeVersion,
        // /status/404 echoes the Authorization header into its error body.
        parameters: { url: `${srv.url}/status/404`, authentication: 'genericCredentialType', genericAuthType: 'oAuth2Api', options: {} },
        credentials: { oAuth2Api: { id: '1', name: 't' } },
      };
      const { result, error } = await run(node, { credentials: oauth });
      expect(result.status).toBe('error');
      expect(error?.description).toContain('Bearer **hidden**');
      expect(JSON.stringify(result)).not.toContain('fresh-access-token');
    });
  }
});

describe('HTTP Request node: legacy v1', () => {
  it('sends UI parameters and parses JSON', async () => {
    const { items } = await run({
      typeVersion: 1,
      parameters: { requestMethod: 'POST', url: `${srv.url}/echo`, bodyParametersUi: { parameter: [{ name: 'a', value: 'b' }] }, queryParametersUi: { parameter: [{ name: 'q', value: '1' }] }, options: {} },
    });
    expect(items[0].json.query).toEqual({ q: '1' });
    expect(JSON.parse(items[0].json.body)).toEqual({ a: 'b' });
  });

  it('returns a string response in the data property', async () => {
    const { items } = await run({ typeVersion: 1, parameters: { url: `${srv.url}/text`, responseFormat: 'string', options: {} } });
    expect(items[0].json).toEqual({ data: 'hello text' });
  });
});
