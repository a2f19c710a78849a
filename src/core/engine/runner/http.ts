import type { HttpRequestOptions, HttpResponse, RunOptions } from '../types.js';
import { NodeApiError } from '../errors.js';
import { defaultHttpClient } from '../http/client.js';

/** Default transport: global fetch, aborted through the execution signal. */
export async function fetchClient(o: HttpRequestOptions): Promise<HttpResponse> {
  const url = new URL(o.url);
  for (const [k, v] of Object.entries(o.qs ?? {})) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) url.searchParams.append(k, String(x));
    else url.searchParams.append(k, String(v));
  }
  const headers: Record<string, string> = { ...(o.headers ?? {}) };
  let body: any;
  if (o.body !== undefined && o.body !== null && !['GET', 'HEAD'].includes((o.method ?? 'GET').toUpperCase())) {
    if (typeof o.body === 'string' || o.body instanceof Uint8Array || o.body instanceof URLSearchParams || o.body instanceof FormData) body = o.body;
    else {
      body = JSON.stringify(o.body);
      if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
    }
  }
  const timeoutSignal = o.timeout ? AbortSignal.timeout(o.timeout) : undefined;
  const signal = o.signal && timeoutSignal ? AbortSignal.any([o.signal, timeoutSignal]) : o.signal ?? timeoutSignal;
  const res = await fetch(url, { method: (o.method ?? 'GET').toUpperCase(), headers, body, signal, redirect: 'follow' });
  const resHeaders: Record<string, string> = {};
  res.headers.forEach((v, k) => (resHeaders[k] = v));
  let parsed: unknown;
  if (o.encoding === 'arraybuffer') parsed = Buffer.from(await res.arrayBuffer());
  else {
    const text = await res.text();
    const ct = resHeaders['content-type'] ?? '';
    if (o.encoding === 'text') parsed = text;
    else if (o.encoding === 'json' || ct.includes('json') || o.json) {
      try {
        parsed = text === '' ? '' : JSON.parse(text);
      } catch {
        parsed = text;
      }
    } else parsed = text;
  }
  return { statusCode: res.status, statusMessage: res.statusText, headers: resHeaders, body: parsed };
}

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
