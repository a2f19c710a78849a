/** HTTP Request node v3–v4.4: request building from parameters, batching, pagination. */
import { NodeOperationError } from '../../../errors.js';
import type { IDataObject, INodeExecutionData, NodeExecuteContext } from '../../../types.js';
import { assertBinaryData, binaryBuffer } from '../binary.js';
import { setPath } from '../../shared/path.js';
import { paginate, type PaginationParams } from './pagination.js';
import type { ResponseFormat } from './response.js';
import { defaultAccept, runItems, type Prepared } from './run.js';
import { sendWithAuth, type Auth, type OutgoingRequest } from './transport.js';

interface KeyValue {
  name: string;
  value: unknown;
  parameterType?: string;
  inputDataFieldName?: string;
}

function parseJsonParameter(ctx: NodeExecuteContext, value: unknown, field: string, itemIndex: number): IDataObject {
  if (value !== null && typeof value === 'object') return value as IDataObject;
  try {
    return JSON.parse(String(value ?? ''));
  } catch (e) {
    throw new NodeOperationError(ctx.node, `The value in the "${field}" field is not valid JSON`, { itemIndex, description: (e as Error).message });
  }
}

/** Key-value pairs: a repeated name becomes a list (n8n ≥ 4.2 query/body semantics). */
function toKeyValue(pairs: KeyValue[], nested: boolean): IDataObject {
  const out: IDataObject = {};
  for (const { name, value } of pairs) {
    if (nested) {
      setPath(out, name, value);
      continue;
    }
    if (Object.prototype.hasOwnProperty.call(out, name)) {
      const prev = out[name];
      out[name] = Array.isArray(prev) ? [...prev, value] : [prev, value];
    } else out[name] = value;
  }
  return out;
}

function lowercaseKeys(h: IDataObject): Record<string, string> {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), String(v)]));
}

/** Node options without the pagination block, whose expressions need $response/$pageCount. */
function getOptions(ctx: NodeExecuteContext, i: number): IDataObject {
  const raw = (ctx.getNodeParameter('options', i, {}, { rawExpressions: true }) ?? {}) as IDataObject;
  const out: IDataObject = {};
  for (const key of Object.keys(raw)) {
    if (key !== 'pagination') out[key] = ctx.getNodeParameter(`options.${key}`, i);
  }
  return out;
}

async function prepare(ctx: NodeExecuteContext, item: INodeExecutionData, i: number, version: number, auth: Auth): Promise<Prepared> {
  let url = ctx.getNodeParameter('url', i, '');
  if (typeof url !== 'string') throw new NodeOperationError(ctx.node, `URL parameter must be a string, got ${url === null ? 'null' : typeof url}`, { itemIndex: i });
  url = url.trim();
  if (!url) throw new NodeOperationError(ctx.node, 'URL parameter cannot be empty', { itemIndex: i });
  if (!url.startsWith('http://') && !url.startsWith('https://')) {
    throw new NodeOperationError(ctx.node, `Invalid URL: ${url}. URL must start with "http" or "https".`, { itemIndex: i });
  }
  const method = String(ctx.getNodeParameter('method', i, 'GET')).toUpperCase();
  const options = getOptions(ctx, i);
  const resp = ((options.response as IDataObject)?.response ?? {}) as IDataObject;
  const redirect = ((options.redirect as IDataObject)?.redirect ?? undefined) as IDataObject | undefined;
  const format = (resp.responseFormat as ResponseFormat) || 'autodetect';

  const request: OutgoingRequest = {
    url,
    method,
    headers: {},
    qs: {},
    timeout: Number(options.timeout) > 0 ? Number(options.timeout) : 300_000,
    allowUnauthorizedCerts: options.allowUnauthorizedCerts === true,
    neverError: resp.neverError === true,
    arrayFormat: (options.queryParameterArrays as OutgoingRequest['arrayFormat']) ?? 'repeat',
  };
  // v4+ follows redirects unless told otherwise; v3 only when enabled.
  const defaultRedirect = version >= 4 && redirect === undefined;
  request.followRedirect = defaultRedirect || redirect?.followRedirects === true;
  if (redirect?.maxRedirects) request.maxRedirects = Number(redirect.maxRedirects);

  // Query
  if (ctx.getNodeParameter('sendQuery', i, false)) {
    if (ctx.getNodeParameter('specifyQuery', i, 'keypair') === 'json') {
      request.qs = parseJsonParameter(ctx, ctx.getNodeParameter('jsonQuery', i, ''), 'JSON Query Parameters', i);
    } else {
      request.qs = toKeyValue((ctx.getNodeParameter('queryParameters.parameters', i, []) ?? []) as KeyValue[], false);
    }
  }

  // Headers
  if (ctx.getNodeParameter('sendHeaders', i, false)) {
    let headers: IDataObject;
    if (ctx.getNodeParameter('specifyHeaders', i, 'keypair') === 'json') {
      headers = parseJsonParameter(ctx, ctx.getNodeParameter('jsonHeaders', i, ''), 'JSON Headers', i);
    } else {
      headers = toKeyValue(((ctx.getNodeParameter('headerParameters.parameters', i, []) ?? []) as KeyValue[]).filter((h) => h?.name), false);
    }
    request.headers = options.lowercaseHeaders === false ? Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, String(v)])) : lowercaseKeys(headers);
  }

  // Body
  if (ctx.getNodeParameter('sendBody', i, false)) {
    const contentType = String(ctx.getNodeParameter('contentType', i, 'json'));
    const specifyBody = String(ctx.getNodeParameter('specifyBody', i, 'keypair'));
    const params = (ctx.getNodeParameter('bodyParameters.parameters', i, []) ?? []) as KeyValue[];
    if (contentType === 'multipart-form-data') {
      const form = new FormData();
      for (const p of params) {
        if (p.parameterType === 'formBinaryData') {
          if (!p.inputDataFieldName) continue;
          const bin = assertBinaryData(ctx.node, item, p.inputDataFieldName, i);
          form.append(p.name, new Blob([binaryBuffer(bin)], { type: bin.mimeType }), bin.fileName ?? 'file');
        } else form.append(p.name, typeof p.value === 'object' ? JSON.stringify(p.value) : String(p.value ?? ''));
      }
      request.body = form;
    } else if (contentType === 'binaryData') {
      const field = String(ctx.getNodeParameter('inputDataFieldName', i, 'data'));
      const bin = assertBinaryData(ctx.node, item, field, i);
      request.body = binaryBuffer(bin);
      request.headers['content-type'] = bin.mimeType ?? 'application/octet-stream';
    } else if (contentType === 'raw') {
      request.body = String(ctx.getNodeParameter('body', i, '') ?? '');
      request.headers['content-type'] = String(ctx.getNodeParameter('rawContentType', i, 'text/plain'));
    } else {
      let body: IDataObject;
      if (specifyBody === 'json') body = parseJsonParameter(ctx, ctx.getNodeParameter('jsonBody', i, ''), 'JSON Body', i);
      else if (specifyBody === 'string') body = Object.fromEntries(new URLSearchParams(String(ctx.getNodeParameter('body', i, '') ?? '')));
      else body = toKeyValue(params, contentType === 'json' && version >= 4);
      if (contentType === 'form-urlencoded') {
        const form = new URLSearchParams();
        for (const [k, v] of Object.entries(body)) {
          if (Array.isArray(v)) v.forEach((x) => form.append(k, String(x)));
          else form.append(k, typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v ?? ''));
        }
        request.body = form;
      } else {
        request.body = body;
        if (!request.headers['content-type']) request.headers['content-type'] = 'application/json';
      }
    }
  }

  if (request.headers.accept === undefined) request.headers.accept = defaultAccept(format === 'json' ? 'json' : format === 'text' ? 'text' : 'other');
  return {
    request,
    auth,
    response: {
      format,
      fullResponse: resp.fullResponse === true,
      outputProperty: String(resp.outputPropertyName || 'data'),
      neverError: resp.neverError === true,
    },
  };
}

export async function executeV3(ctx: NodeExecuteContext): Promise<INodeExecutionData[][]> {
  const version = Number(ctx.node.typeVersion);
  const pagination = ctx.getNodeParameter('options.pagination.pagination', 0, null, { rawExpressions: true }) as PaginationParams | null;
  const out = await runItems(ctx, {
    authMode: 'v3',
    pauseBefore(i) {
      const options = getOptions(ctx, i);
      const batch = ((options.batching as IDataObject)?.batch ?? {}) as IDataObject;
      const batchSize = Number(batch.batchSize) > 0 ? Number(batch.batchSize) : 1;
      const batchInterval = Number(batch.batchInterval ?? 0);
      return i > 0 && batchInterval > 0 && i % batchSize === 0 ? batchInterval : 0;
    },
    prepare: (item, i, auth) => prepare(ctx, item, i, version, auth),
    async send(prepared, i, secrets) {
      if (pagination && pagination.paginationMode && pagination.paginationMode !== 'off') return paginate(ctx, prepared, pagination, i, secrets);
      return [await sendWithAuth(ctx, prepared.request, prepared.auth, secrets)];
    },
  });
  return [out.map((it) => (it.json === null ? { ...it, json: {} } : it))];
}
