import type { HttpRequestOptions, RunOptions } from '../types.js';
import { NodeApiError } from '../errors.js';
import { defaultHttpClient } from '../http/client.js';

export async function httpRequest(opts: RunOptions, o: HttpRequestOptions, signal: AbortSignal): Promise<unknown> {
  const client = opts.httpClient ?? defaultHttpClient();
  const url = opts.baseUrlRewrite ? opts.baseUrlRewrite(o.url) : o.url;
  const res = await client({ ...o, url, signal: o.signal ? AbortSignal.any([o.signal, signal]) : signal });
  if (!o.ignoreHttpStatusErrors && (res.statusCode < 200 || res.statusCode >= 300)) {
    const msg = typeof res.body === 'string' ? res.body.slice(0, 500) : JSON.stringify(res.body ?? '').slice(0, 500);
    throw new NodeApiError(undefined, `Request failed with status code ${res.statusCode}`, { description: msg, httpCode: String(res.statusCode) });
  }
  return o.returnFullResponse ? res : res.body;
}
