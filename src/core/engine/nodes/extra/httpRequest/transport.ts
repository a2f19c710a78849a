/**
 * Sending one HTTP Request node request: credentials applied, OAuth2 token refresh,
 * n8n-shaped errors, and secrets scrubbed from anything that reaches output or errors.
 */
import { isCancellation, NodeApiError, NodeOperationError } from '../../../errors.js';
import type { HttpRequestOptions, HttpResponse, IDataObject, NodeExecuteContext } from '../../../types.js';

export interface OutgoingRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  qs: Record<string, unknown>;
  body?: unknown;
  timeout?: number;
  followRedirect?: boolean;
  maxRedirects?: number;
  allowUnauthorizedCerts?: boolean;
  /** HTTP status >= 400 does not fail the request (n8n "Never Error" / "Ignore Response Code"). */
  neverError?: boolean;
  /** query arrays: 'repeat' (a=1&a=2), 'brackets' (a[]=1), 'indices' (a[0]=1) */
  arrayFormat?: 'repeat' | 'brackets' | 'indices';
}

export interface RawResponse {
  statusCode: number;
  statusMessage: string;
  headers: Record<string, string>;
  body: Buffer;
}

export type AuthKind = 'none' | 'httpBasicAuth' | 'httpHeaderAuth' | 'httpQueryAuth' | 'httpBearerAuth' | 'oAuth2Api' | 'httpCustomAuth' | string;

export interface Auth {
  kind: AuthKind;
  credentialType?: string;
  data?: IDataObject;
}

const STATUS_MESSAGES: Record<string, string> = {
  '4XX': 'Your request is invalid or could not be processed by the service',
  '400': 'Bad request - please check your parameters',
  '401': 'Authorization failed - please check your credentials',
  '402': 'Payment required - perhaps check your payment details?',
  '403': 'Forbidden - perhaps check your credentials?',
  '404': 'The resource you are requesting could not be found',
  '405': 'Method not allowed - please check you are using the right HTTP method',
  '429': 'The service is receiving too many requests from you',
  '5XX': 'The service failed to process your request',
  '500': 'The service was not able to process your request',
  '502': 'Bad gateway - the service failed to handle your request',
  '503': 'Service unavailable - try again later or consider setting this node to retry automatically (in the node settings)',
  '504': 'Gateway timed out - perhaps try again later?',
};

/** Every string in a credential (and basic-auth encodings) that must never be shown. */
export function collectSecrets(data: unknown, out: Set<string> = new Set()): Set<string> {
  if (typeof data === 'string') {
    if (data.length >= 4) out.add(data);
  } else if (Array.isArray(data)) data.forEach((d) => collectSecrets(d, out));
  else if (data && typeof data === 'object') Object.values(data).forEach((d) => collectSecrets(d, out));
  return out;
}

/** The forms a secret takes in text: as is, URI-component encoded, and as a query string encodes it. */
function secretForms(s: string): string[] {
  const forms = [s];
  const uri = encodeURIComponent(s);
  if (uri !== s) forms.push(uri);
  const query = new URLSearchParams([['', s]]).toString().slice(1);
  if (query !== s && query !== uri) forms.push(query);
  return forms;
}

export function redact(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) {
    if (!s) continue;
    for (const form of secretForms(s)) {
      if (out.includes(form)) out = out.split(form).join('**hidden**');
    }
  }
  return out;
}

function encodeQuery(qs: Record<string, unknown>, format: OutgoingRequest['arrayFormat'] = 'repeat'): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(qs)) {
    if (v === undefined || v === null) continue;
    if (Array.isArray(v)) {
      if (format === 'brackets') out[`${k}[]`] = v.map(String);
      else if (format === 'indices') v.forEach((x, i) => (out[`${k}[${i}]`] = String(x)));
      else out[k] = v.map(String);
    } else out[k] = v;
  }
  return out;
}

function toRaw(res: unknown): RawResponse {
  const r = res as HttpResponse;
  const body = r?.body;
  let buf: Buffer;
  if (Buffer.isBuffer(body)) buf = body;
  else if (body instanceof Uint8Array) buf = Buffer.from(body);
  else if (body instanceof ArrayBuffer) buf = Buffer.from(body);
  else if (typeof body === 'string') buf = Buffer.from(body, 'utf8');
  else if (body === undefined || body === null) buf = Buffer.alloc(0);
  else buf = Buffer.from(JSON.stringify(body), 'utf8');
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(r?.headers ?? {})) headers[k.toLowerCase()] = String(v);
  return { statusCode: r?.statusCode ?? 0, statusMessage: r?.statusMessage ?? '', headers, body: buf };
}

async function rawSend(ctx: NodeExecuteContext, req: OutgoingRequest): Promise<RawResponse> {
  const options: HttpRequestOptions & IDataObject = {
    url: req.url,
    method: req.method,
    headers: req.headers,
    qs: encodeQuery(req.qs, req.arrayFormat),
    body: req.body,
    encoding: 'arraybuffer',
    json: false,
    returnFullResponse: true,
    ignoreHttpStatusErrors: true,
    timeout: req.timeout,
    signal: ctx.signal,
    followRedirect: req.followRedirect ?? true,
    maxRedirects: req.maxRedirects ?? 21,
    allowUnauthorizedCerts: req.allowUnauthorizedCerts === true,
  };
  return toRaw(await ctx.helpers.httpRequest(options));
}

// ---------------------------------------------------------------- OAuth2

interface TokenData {
  access_token?: string;
  refresh_token?: string;
  expires_at?: number | string;
  [k: string]: unknown;
}

const tokenCache = new WeakMap<object, Map<string, TokenData>>();

function expired(token: TokenData): boolean {
  if (token.expires_at === undefined) return false;
  let at = typeof token.expires_at === 'string' ? Date.parse(token.expires_at) : Number(token.expires_at);
  if (at < 1e12) at *= 1000; // seconds
  return Number.isFinite(at) && at - 5000 <= Date.now();
}

async function fetchToken(ctx: NodeExecuteContext, creds: IDataObject, params: Record<string, string>): Promise<TokenData> {
  const form = new URLSearchParams(params);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  if (creds.authentication === 'body') {
    form.set('client_id', String(creds.clientId ?? ''));
    form.set('client_secret', String(creds.clientSecret ?? ''));
  } else {
    headers.authorization = 'Basic ' + Buffer.from(`${creds.clientId ?? ''}:${creds.clientSecret ?? ''}`).toString('base64');
  }
  if (creds.scope && params.grant_type === 'client_credentials') form.set('scope', String(creds.scope).replace(/,/g, ' '));
  const res = await rawSend(ctx, { url: String(creds.accessTokenUrl ?? ''), method: 'POST', headers, qs: {}, body: form.toString() });
  if (res.statusCode >= 400) {
    throw new NodeOperationError(ctx.node, `Could not obtain an OAuth2 access token (HTTP ${res.statusCode} from the token endpoint)`, {
      description: 'Check the credential: the refresh token may be revoked, or the client ID/secret may be wrong',
    });
  }
  let data: TokenData;
  try {
    data = JSON.parse(res.body.toString('utf8'));
  } catch {
    data = Object.fromEntries(new URLSearchParams(res.body.toString('utf8')));
  }
  if (!data.access_token) throw new NodeOperationError(ctx.node, 'The OAuth2 token endpoint returned no access_token');
  if (data.expires_in !== undefined && data.expires_at === undefined) data.expires_at = Date.now() + Number(data.expires_in) * 1000;
  if (!data.refresh_token && params.refresh_token) data.refresh_token = params.refresh_token;
  return data;
}

async function oauth2Token(ctx: NodeExecuteContext, auth: Auth, force: boolean, secrets?: Set<string>): Promise<TokenData> {
  const creds = auth.data ?? {};
  const key = auth.credentialType ?? 'oAuth2Api';
  const holder = ctx.getNodeContext();
  let cache = tokenCache.get(holder);
  if (!cache) tokenCache.set(holder, (cache = new Map()));
  let token: TokenData = cache.get(key) ?? { ...((creds.oauthTokenData as TokenData) ?? {}) };
  const clientCredentials = creds.grantType === 'clientCredentials';
  if (force || !token.access_token || expired(token)) {
    if (clientCredentials) token = await fetchToken(ctx, creds, { grant_type: 'client_credentials' });
    else if (token.refresh_token) token = await fetchToken(ctx, creds, { grant_type: 'refresh_token', refresh_token: token.refresh_token });
    else if (!token.access_token) {
      throw new NodeOperationError(ctx.node, 'The OAuth2 credential has no access token', { description: 'Connect the credential (complete the OAuth2 sign-in) before running the workflow' });
    }
    cache.set(key, token);
    // Let a credentials store that supports it persist the refreshed token.
    await ctx.updateCredentialsOAuthTokenData(key, token as IDataObject);
  }
  // A refreshed (or cached) token is a secret of this request like the credential's own.
  for (const t of [token.access_token, token.refresh_token]) if (typeof t === 'string' && t) secrets?.add(t);
  return token;
}

// ---------------------------------------------------------------- send

function applyAuth(req: OutgoingRequest, auth: Auth, token?: TokenData): OutgoingRequest {
  const d = auth.data ?? {};
  const out = { ...req, headers: { ...req.headers }, qs: { ...req.qs } };
  switch (auth.kind) {
    case 'httpBasicAuth':
      out.headers.authorization = 'Basic ' + Buffer.from(`${d.user ?? ''}:${d.password ?? ''}`).toString('base64');
      break;
    case 'httpHeaderAuth':
      out.headers[String(d.name ?? 'authorization')] = String(d.value ?? '');
      break;
    case 'httpQueryAuth':
      out.qs[String(d.name ?? '')] = d.value;
      break;
    case 'httpBearerAuth':
      out.headers.authorization = `Bearer ${String(d.token ?? '')}`;
      break;
    case 'httpCustomAuth': {
      let custom: IDataObject = {};
      try {
        custom = typeof d.json === 'string' ? JSON.parse(d.json || '{}') : ((d.json as IDataObject) ?? {});
      } catch {
        throw new Error('Invalid Custom Auth JSON');
      }
      Object.assign(out.headers, custom.headers ?? {});
      Object.assign(out.qs, custom.qs ?? {});
      if (custom.body && out.body && typeof out.body === 'object' && !Buffer.isBuffer(out.body)) out.body = { ...(out.body as object), ...(custom.body as object) };
      break;
    }
    case 'oAuth2Api':
      if (token?.access_token) out.headers.authorization = `Bearer ${token.access_token}`;
      break;
    default:
      break;
  }
  return out;
}

/**
 * Sends the request with credentials. Returns the raw response (status checks are
 * the caller's: pagination and "never error" need the response either way).
 * OAuth2 tokens obtained on the way are added to `secrets`, so the caller's errors hide them too.
 */
export async function sendWithAuth(ctx: NodeExecuteContext, req: OutgoingRequest, auth: Auth, secrets?: Set<string>): Promise<RawResponse> {
  if (auth.kind === 'oAuth2Api') {
    let token = await oauth2Token(ctx, auth, false, secrets);
    let res = await rawSend(ctx, applyAuth(req, auth, token));
    const canRefresh = auth.data?.grantType === 'clientCredentials' || !!token.refresh_token;
    if (res.statusCode === 401 && canRefresh) {
      token = await oauth2Token(ctx, auth, true, secrets);
      res = await rawSend(ctx, applyAuth(req, auth, token));
    }
    return res;
  }
  return rawSend(ctx, applyAuth(req, auth));
}

/** Every secret a credential puts into a request: its strings, the values inside custom-auth JSON, the basic-auth encoding. */
export function secretsOf(auth: Auth, out: Set<string> = new Set()): Set<string> {
  const s = collectSecrets(auth.data, out);
  const d = auth.data ?? {};
  if (auth.kind === 'httpBasicAuth') s.add(Buffer.from(`${d.user ?? ''}:${d.password ?? ''}`).toString('base64'));
  if (auth.kind === 'httpCustomAuth' && typeof d.json === 'string') {
    // Custom auth given as JSON text: its header, query and body values are sent one by one.
    try {
      collectSecrets(JSON.parse(d.json), s);
    } catch {
      // invalid JSON is reported by applyAuth; the text as a whole is already collected
    }
  }
  return s;
}

function bodyText(res: RawResponse): string {
  const text = res.body.toString('utf8');
  return text.length > 2000 ? text.slice(0, 2000) + '…' : text;
}

/** n8n's NodeApiError for an HTTP status: a status-specific message, the response body as description. */
export function statusError(ctx: NodeExecuteContext, res: RawResponse, itemIndex: number, secrets: Set<string>): NodeApiError {
  const code = String(res.statusCode);
  const message = STATUS_MESSAGES[code] ?? STATUS_MESSAGES[`${code[0]}XX`] ?? `Request failed with status code ${code}`;
  let description = bodyText(res);
  if (res.statusCode === 429) description = `Try spacing your requests out using the batching settings under 'Options'. ${description}`.trim();
  const err = new NodeApiError(ctx.node, redact(message, secrets), { itemIndex, httpCode: code, description: redact(`${code} - ${description}`, secrets) });
  return err;
}

/** Transport failures (refused, DNS, TLS, timeout, blocked) as node errors with secrets removed. */
export function transportError(ctx: NodeExecuteContext, err: unknown, itemIndex: number, secrets: Set<string>): unknown {
  if (isCancellation(err) || ctx.signal.aborted) return err;
  if (err instanceof NodeOperationError) {
    err.message = redact(err.message, secrets);
    if (err.description) err.description = redact(err.description, secrets);
    // The stack was captured with the original message, and errors are stored with their stack.
    if (typeof err.stack === 'string') err.stack = redact(err.stack, secrets);
    return err;
  }
  const e = err as any;
  const message = redact(String(e?.message ?? err), secrets);
  const out = new NodeApiError(ctx.node, message, { itemIndex, httpCode: e?.code ? String(e.code) : undefined });
  return out;
}

export const BINARY_CONTENT_TYPES = [
  'image/', 'audio/', 'video/', 'application/octet-stream', 'application/gzip', 'application/zip', 'application/vnd.rar',
  'application/epub+zip', 'application/x-bzip', 'application/x-bzip2', 'application/x-cdf', 'application/vnd.amazon.ebook',
  'application/msword', 'application/vnd.ms-fontobject', 'application/vnd.oasis.opendocument.presentation', 'application/pdf',
  'application/x-tar', 'application/vnd.visio', 'application/vnd.ms-excel', 'application/x-7z-compressed',
  'application/vnd.openxmlformats-officedocument',
];
