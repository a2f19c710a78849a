/**
 * The one outbound HTTP client of the engine (undici). Every node request goes
 * through it: abort-signal aware, per-request timeout, redirect following with a
 * limit, optional acceptance of invalid TLS certificates, and a network deny-list
 * enforced on the resolved address at connect time.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import type { HttpClient, HttpRequestOptions, HttpResponse } from '../types.js';
import { NetworkDenyList } from './deny-list.js';

export interface HttpClientOptions {
  /** CIDR networks no request may connect to (default: link-local and cloud metadata). */
  deniedNetworks?: string[];
  /** Host names refused before resolution (default: metadata.google.internal …). */
  deniedHosts?: string[];
  /** Used when a request sets no timeout (ms, default 300 000 as n8n). */
  defaultTimeoutMs?: number;
  /** Largest response body read into memory (bytes, default 256 MiB). */
  maxResponseBytes?: number;
  userAgent?: string;
}

/** Options this client understands beyond the engine's HttpRequestOptions. */
export interface ClientRequestOptions extends HttpRequestOptions {
  /** default true */
  followRedirect?: boolean;
  /** default 21 */
  maxRedirects?: number;
  allowUnauthorizedCerts?: boolean;
}

export class HttpRequestError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly response?: HttpResponse,
  ) {
    super(message);
    this.name = 'HttpRequestError';
  }
}

/** The target resolved to a denied network or host. */
export class HttpBlockedError extends HttpRequestError {
  constructor(target: string, reason: string) {
    super(`Request to ${target} was blocked: ${reason}. Outbound requests to link-local, cloud metadata and operator-denied addresses are refused (setting http_deny_networks)`, 'EBLOCKED');
    this.name = 'HttpBlockedError';
  }
}

interface UndiciApi {
  request: (url: URL, opts: any) => Promise<any>;
  Agent: new (opts: any) => any;
}
let undiciModule: Promise<UndiciApi> | undefined;
const loadUndici = () => (undiciModule ??= import('undici') as unknown as Promise<UndiciApi>);

function buildUrl(url: string, qs?: Record<string, unknown>): URL {
  const u = new URL(url);
  for (const [k, v] of Object.entries(qs ?? {})) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) u.searchParams.append(k, String(x));
    else u.searchParams.append(k, typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v));
  }
  return u;
}

function hasHeader(headers: Record<string, string>, name: string): boolean {
  const n = name.toLowerCase();
  return Object.keys(headers).some((h) => h.toLowerCase() === n);
}

/** Serialises the body and sets a content-type when the caller did not. */
function encodeBody(o: HttpRequestOptions, headers: Record<string, string>): { body?: any; headers: Record<string, string> } {
  const b = o.body;
  if (b === undefined || b === null) return { headers };
  if (typeof FormData !== 'undefined' && b instanceof FormData) {
    // fetch-style multipart: undici computes the boundary; drop a caller's bare content-type.
    const h = Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== 'content-type'));
    return { body: b, headers: h };
  }
  if (b instanceof URLSearchParams) {
    if (!hasHeader(headers, 'content-type')) headers['content-type'] = 'application/x-www-form-urlencoded';
    return { body: b.toString(), headers };
  }
  if (typeof b === 'string' || Buffer.isBuffer(b) || b instanceof Uint8Array) return { body: b, headers };
  if (!hasHeader(headers, 'content-type')) headers['content-type'] = 'application/json';
  return { body: JSON.stringify(b), headers };
}

function flattenHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (v === undefined) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

function decodeBody(buf: Buffer, headers: Record<string, string>, o: HttpRequestOptions): unknown {
  const encoding = o.encoding ?? (o.json === false ? 'text' : 'json');
  if (encoding === 'arraybuffer') return buf;
  const text = buf.toString('utf8');
  if (encoding === 'text') return text;
  const ct = headers['content-type'] ?? '';
  if (text === '') return ct.includes('json') ? {} : '';
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function isAbort(err: unknown): boolean {
  const e = err as any;
  return e?.name === 'AbortError' || e?.code === 'ABORT_ERR' || e?.code === 'UND_ERR_ABORTED';
}

/**
 * Creates a client. Keep one per process (or per operator policy): it owns two
 * connection pools, one verifying TLS certificates and one not.
 */
export function createHttpClient(options: HttpClientOptions = {}): HttpClient & { close(): Promise<void> } {
  const deny = new NetworkDenyList(options.deniedNetworks, options.deniedHosts);
  const defaultTimeout = options.defaultTimeoutMs ?? 300_000;
  const maxBytes = options.maxResponseBytes ?? 256 * 1024 * 1024;
  const agents: Record<'strict' | 'insecure', any> = { strict: undefined, insecure: undefined };

  // Resolves like dns.lookup, then refuses if any resolved address is denied.
  const guardedLookup = (hostname: string, opts: any, cb: any) => {
    if (deny.matchHost(hostname)) {
      cb(new HttpBlockedError(hostname, 'the host name is on the deny-list'));
      return;
    }
    dnsLookup(hostname, { ...opts, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return cb(err);
      for (const a of addresses) {
        const net = deny.matchAddress(a.address);
        if (net) return cb(new HttpBlockedError(`${hostname} (${a.address})`, `the address is in the denied network ${net}`));
      }
      if (opts?.all) cb(null, addresses);
      else cb(null, addresses[0].address, addresses[0].family);
    });
  };

  async function agentFor(insecure: boolean) {
    const key = insecure ? 'insecure' : 'strict';
    if (!agents[key]) {
      const { Agent } = await loadUndici();
      agents[key] = new Agent({ connect: { lookup: guardedLookup as any, rejectUnauthorized: !insecure } });
    }
    return agents[key];
  }

  function checkTarget(u: URL): void {
    const host = u.hostname.replace(/^\[|\]$/g, '');
    if (deny.matchHost(host)) throw new HttpBlockedError(host, 'the host name is on the deny-list');
    // IP literals never go through lookup, so they are checked here.
    if (isIP(host)) {
      const net = deny.matchAddress(host);
      if (net) throw new HttpBlockedError(host, `the address is in the denied network ${net}`);
    }
  }

  const client = async (o: ClientRequestOptions): Promise<HttpResponse> => {
    const { request } = await loadUndici();
    const timeoutMs = o.timeout && o.timeout > 0 ? o.timeout : defaultTimeout;
    const timeoutCtl = new AbortController();
    const timer = setTimeout(() => timeoutCtl.abort(new HttpRequestError(`timeout of ${timeoutMs}ms exceeded`, 'ETIMEDOUT')), timeoutMs);
    const signals = [timeoutCtl.signal, ...(o.signal ? [o.signal] : [])];
    const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
    const dispatcher = await agentFor(o.allowUnauthorizedCerts === true);
    const follow = o.followRedirect !== false;
    const maxRedirects = o.maxRedirects ?? 21;

    let url = buildUrl(o.url, o.qs);
    let method = (o.method ?? 'GET').toUpperCase();
    const baseHeaders: Record<string, string> = { ...(o.headers ?? {}) };
    if (!hasHeader(baseHeaders, 'user-agent') && options.userAgent) baseHeaders['user-agent'] = options.userAgent;
    let encoded = encodeBody(o, baseHeaders);
    let redirects = 0;
    try {
      for (;;) {
        checkTarget(url);
        if (o.signal?.aborted) throw o.signal.reason ?? new DOMException('aborted', 'AbortError');
        let res;
        try {
          res = await request(url, {
            method: method as any,
            headers: encoded.headers,
            body: method === 'GET' || method === 'HEAD' ? undefined : encoded.body,
            dispatcher,
            signal,
          });
        } catch (err) {
          throw unwrapConnectError(err, url, timeoutCtl.signal, o.signal);
        }
        const headers = flattenHeaders(res.headers as any);
        if (follow && [301, 302, 303, 307, 308].includes(res.statusCode) && headers.location) {
          await res.body.dump().catch(() => undefined);
          if (++redirects > maxRedirects) throw new HttpRequestError(`Maximum number of redirects exceeded (${maxRedirects})`, 'EMAXREDIRECTS');
          const next = new URL(headers.location, url);
          if (next.origin !== url.origin) {
            // Credentials are not forwarded to another origin.
            for (const h of Object.keys(encoded.headers)) {
              if (['authorization', 'cookie', 'proxy-authorization'].includes(h.toLowerCase())) delete encoded.headers[h];
            }
          }
          if (res.statusCode === 303 || ((res.statusCode === 301 || res.statusCode === 302) && method === 'POST')) {
            method = 'GET';
            encoded = { headers: Object.fromEntries(Object.entries(encoded.headers).filter(([k]) => !/^content-(type|length)$/i.test(k))) };
          }
          url = next;
          continue;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        try {
          for await (const chunk of res.body) {
            size += chunk.length;
            if (size > maxBytes) {
              res.body.destroy();
              throw new HttpRequestError(`The response is larger than the allowed ${maxBytes} bytes`, 'ETOOLARGE');
            }
            chunks.push(chunk as Buffer);
          }
        } catch (err) {
          throw unwrapConnectError(err, url, timeoutCtl.signal, o.signal);
        }
        const buf = Buffer.concat(chunks);
        const response: HttpResponse = {
          statusCode: res.statusCode,
          statusMessage: STATUS_TEXT[res.statusCode] ?? '',
          headers,
          body: method === 'HEAD' ? '' : decodeBody(buf, headers, o),
        };
        if (res.statusCode >= 400 && !o.ignoreHttpStatusErrors) {
          throw new HttpRequestError(`Request failed with status code ${res.statusCode}`, String(res.statusCode), response);
        }
        return response;
      }
    } finally {
      clearTimeout(timer);
    }
  };

  return Object.assign(client as HttpClient, {
    async close() {
      await Promise.all(Object.values(agents).filter(Boolean).map((a) => a.close()));
    },
  });
}

function unwrapConnectError(err: unknown, url: URL, timeoutSignal: AbortSignal, callerSignal?: AbortSignal): unknown {
  let e = err as any;
  if (timeoutSignal.aborted && !callerSignal?.aborted) return timeoutSignal.reason;
  if (callerSignal?.aborted) return callerSignal.reason ?? err;
  if (isAbort(e) && e.cause) e = e.cause;
  // undici wraps lookup errors; surface ours unchanged.
  for (let c = e, depth = 0; c && depth < 4; c = c.cause, depth++) {
    if (c instanceof HttpRequestError) return c;
  }
  const code = e?.code ?? e?.cause?.code;
  const message = e?.cause?.message ?? e?.message ?? String(e);
  return new HttpRequestError(message.includes(url.host) || !code ? message : `${message} (${url.host})`, code ?? 'EREQUEST');
}

const STATUS_TEXT: Record<number, string> = {
  200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content', 301: 'Moved Permanently', 302: 'Found',
  303: 'See Other', 304: 'Not Modified', 307: 'Temporary Redirect', 308: 'Permanent Redirect', 400: 'Bad Request',
  401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 408: 'Request Timeout',
  409: 'Conflict', 415: 'Unsupported Media Type', 422: 'Unprocessable Entity', 429: 'Too Many Requests',
  500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};

let shared: ReturnType<typeof createHttpClient> | undefined;
/** Process-wide client with the default policy (used when the caller injects none). */
export function defaultHttpClient(): HttpClient {
  return (shared ??= createHttpClient());
}
