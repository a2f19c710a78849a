/**
 * Recorded-style answers for the outside hosts the public corpus workflows call.
 * The compat test rewrites every outbound URL to http://127.0.0.1:<port>/<host>/<path>
 * and answers here by host and path; unknown paths get a small JSON echo.
 */
import type { ServerResponse } from 'node:http';
import type { IDataObject, INodeExecutionData } from '../../src/core/engine/types.js';
import { sendJson, type RecordedRequest } from './helpers.js';

type Answer = (req: RecordedRequest, path: string, res: ServerResponse) => boolean;

const html = (res: ServerResponse, body: string) => {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  res.end(body);
};
const xml = (res: ServerResponse, body: string) => {
  res.writeHead(200, { 'content-type': 'application/xml' });
  res.end(body);
};

const TECHCRUNCH_LIST = `<html><body><ul class="wp-block-post-template">
<li class="wp-block-post"><img src="https://img.example/1.png"/><h3 class="loop-card__title"><a data-destinationlink="https://techcrunch.com/2025/01/01/first/" href="/x">First story</a></h3><time datetime="2025-01-01T10:00:00Z">Jan 1</time></li>
<li class="wp-block-post"><img src="https://img.example/2.png"/><h3 class="loop-card__title"><a data-destinationlink="https://techcrunch.com/2025/01/02/second/" href="/y">Second story</a></h3><time datetime="2025-01-02T10:00:00Z">Jan 2</time></li>
</ul></body></html>`;
const TECHCRUNCH_POST = `<html><body><h1 class="wp-block-post-title">A story</h1><img class="attachment-post-thumbnail" src="https://img.example/t.png"/>
<time datetime="2025-01-01T10:00:00Z">Jan 1</time><div class="entry-content"><p>Body   text</p>\n\n\n<p>More</p></div></body></html>`;

const HOSTS: Record<string, Answer> = {
  'techcrunch.com': (req, path, res) => (html(res, path.startsWith('/latest') ? TECHCRUNCH_LIST : TECHCRUNCH_POST), true),
  'wordpress.org': (_req, path, res) => {
    if (path === '/sitemap.xml') {
      xml(res, '<sitemapindex><sitemap><loc>https://wordpress.org/sitemap-posts.xml</loc></sitemap><sitemap><loc>https://wordpress.org/sitemap-pages.xml</loc></sitemap></sitemapindex>');
    }
    else xml(res, '<urlset><url><loc>https://wordpress.org/a</loc><lastmod>2025-01-02</lastmod></url><url><loc>https://wordpress.org/b</loc><lastmod>2025-01-01</lastmod></url></urlset>');
    return true;
  },
  'indexing.googleapis.com': (req, _path, res) => (sendJson(res, 200, req.method === 'GET' ? { url: 'https://wordpress.org/a', latestUpdate: { notifyTime: '2024-01-01T00:00:00Z' } } : { urlNotificationMetadata: { url: 'https://wordpress.org/a' } }), true),
  'apilist.tronscanapi.com': (_r, _p, res) => (sendJson(res, 200, { token_transfers: [{ block_ts: Date.now() - 60_000, to_address: 'TWallet', quant: '1' }] }), true),
  'yt.lemnoslife.com': (_r, _p, res) => (sendJson(res, 200, { items: [{ mostReplayed: { markers: [{ startMillis: 1000, intensityScoreNormalized: 0.9 }, { startMillis: 60000, intensityScoreNormalized: 0.7 }] } }] }), true),
  'api.ipify.org': (_r, _p, res) => (sendJson(res, 200, { ip: '203.0.113.7' }), true),
  'dynamicdns.park-your-domain.com': (_r, _p, res) => (xml(res, '<interface-response><ErrCount>0</ErrCount></interface-response>'), true),
  'www.uuidgenerator.net': (_r, _p, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('6f1c1f3e-2b7a-4a55-9d1e-0c6a4b5e8f10');
    return true;
  },
  'auth.contabo.com': (_r, _p, res) => (sendJson(res, 200, { access_token: 'contabo-token', expires_in: 300 }), true),
  'api.contabo.com': (req, path, res) => {
    if (path.endsWith('/snapshots') && req.method === 'GET') sendJson(res, 200, { data: [] });
    else if (path === '/v1/compute/instances') sendJson(res, 200, { data: [{ instanceId: 1, name: 'vm-1' }] });
    else sendJson(res, 201, { data: [{ snapshotId: 's1' }] });
    return true;
  },
  'ip-api.com': (_r, _p, res) => (sendJson(res, 200, { status: 'success', country: 'Nowhere', query: '203.0.113.7' }), true),
  'ipqualityscore.com': (_r, _p, res) => (sendJson(res, 200, { success: true, fraud_score: 0 }), true),
  'bsky.social': (_r, path, res) => (sendJson(res, 200, path.includes('createSession') ? { accessJwt: 'jwt', did: 'did:plc:x' } : { uri: 'at://x/post/1', cid: 'cid1' }), true),
  'generativelanguage.googleapis.com': (_r, _p, res) => (sendJson(res, 200, { candidates: [{ content: { parts: [{ text: 'A summary.' }] } }] }), true),
  'gitlab.com': (req, _p, res) => (sendJson(res, 200, req.method === 'GET' ? [] : { iid: 1, id: 1 }), true),
  'your-api.com': (_r, _p, res) => (sendJson(res, 200, { accessToken: 'fresh' }), true),
  // Airflow's REST API: a dag run is queued, then reports success; its task's XCom holds the result.
  'airflow.example.com': (req, path, res) => {
    if (req.method === 'POST' && path.endsWith('/dagRuns')) sendJson(res, 200, { dag_run_id: 'manual__1', state: 'queued' });
    else if (path.endsWith('/xcomEntries/return_value')) sendJson(res, 200, { key: 'return_value', value: '{"rows": 3}' });
    else sendJson(res, 200, { dag_run_id: 'manual__1', state: 'success' });
    return true;
  },
};

export function answer(req: RecordedRequest, res: ServerResponse): void {
  const [, host = '', ...rest] = req.path.split('/');
  const path = '/' + rest.join('/');
  const handler = HOSTS[host];
  if (handler && handler(req, path, res)) return;
  sendJson(res, 200, { ok: true, host, path, method: req.method });
}

/** Input items for workflows that start at a webhook or sub-workflow trigger. */
const signedBody = JSON.stringify({ event_id: 'e1', amount: 5 });

/**
 * Input items for workflows that start at a webhook or sub-workflow trigger. When a workflow
 * pins its trigger's data, that recorded data is used instead (see compat.test.ts).
 */
export const TRIGGER_INPUT: Record<string, Array<IDataObject | INodeExecutionData>> = {
  'zie619__0449_Splitout_Webhook_Create_Webhook.json': [{ headers: {}, params: {}, query: { ytID: 'abc123' }, body: {} }],
  'zie619__0924_Code_Respondtowebhook_Process_Webhook.json': [{ headers: {}, params: {}, query: {}, body: 'hello' }],
  'zie619__2034_Code_Webhook_Automate_Webhook.json': [{ headers: {}, params: {}, query: {}, body: {} }],
  'zie619__0083_Noop_HTTP_Automation_Webhook.json': [{ headers: {}, params: {}, query: {}, body: { event: 'media.play' } }],
  'zie619__1768_Stopanderror_Wait_Automation_Webhook.json': [{ dag_id: 'etl', task_id: 'load', conf: '{}', wait: 0, wait_time: 3 }],
  'enescingoz__Signed_Webhook_HMAC_Guard_with_Timestamp_Window.json': [
    {
      json: { headers: { 'x-signature': 'sha256=00', 'x-timestamp': '0' }, params: {}, query: {}, body: JSON.parse(signedBody) },
      binary: { data: { data: Buffer.from(signedBody).toString('base64'), mimeType: 'application/json' } },
    },
  ],
};

/** Any credential type resolves to harmless test values. */
export const TEST_CREDENTIALS = {
  async getCredentials(type: string): Promise<IDataObject> {
    return {
      apiKey: 'test-key', name: 'Authorization', value: 'test-value', user: 'test', password: 'test-password', token: 'test-token',
      accessToken: 'test-access', oauthTokenData: { access_token: 'test-access' }, type,
    };
  },
};
