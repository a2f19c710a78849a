/** HTTP Request node v1/v2: UI or JSON parameters, response format json / string / file. */
import { NodeOperationError } from '../../../errors.js';
import type { IDataObject, INodeExecutionData, NodeExecuteContext } from '../../../types.js';
import { assertBinaryData, binaryBuffer } from '../binary.js';
import { defaultAccept, runItems, type Prepared } from './run.js';
import { sendWithAuth, type Auth, type OutgoingRequest } from './transport.js';

const JSON_PARAMS: Array<[string, 'body' | 'headers' | 'qs', string]> = [
  ['bodyParametersJson', 'body', 'Body Parameters'],
  ['headerParametersJson', 'headers', 'Headers'],
  ['queryParametersJson', 'qs', 'Query Parameters'],
];
const UI_PARAMS: Array<[string, 'body' | 'headers' | 'qs']> = [
  ['bodyParametersUi', 'body'],
  ['headerParametersUi', 'headers'],
  ['queryParametersUi', 'qs'],
];

async function prepare(ctx: NodeExecuteContext, item: INodeExecutionData, i: number, auth: Auth): Promise<Prepared> {
  const method = String(ctx.getNodeParameter('requestMethod', i, 'GET')).toUpperCase();
  const options = (ctx.getNodeParameter('options', i, {}) ?? {}) as IDataObject;
  const url = String(ctx.getNodeParameter('url', i, '') ?? '');
  const responseFormat = String(ctx.getNodeParameter('responseFormat', 0, 'json'));
  const parts: { body?: any; headers: IDataObject; qs: IDataObject } = { headers: {}, qs: {} };

  if (ctx.getNodeParameter('jsonParameters', i, false)) {
    for (const [param, target, label] of JSON_PARAMS) {
      const sendBinary = ctx.getNodeParameter('sendBinaryData', i, false) === true;
      if (target === 'body' && sendBinary) {
        const ct = options.bodyContentType as string;
        if (!['raw', 'multipart-form-data'].includes(ct)) {
          throw new NodeOperationError(ctx.node, 'Sending binary data is only supported when option "Body Content Type" is set to "RAW/CUSTOM" or "FORM-DATA/MULTIPART"!', { itemIndex: i });
        }
        const names = String(ctx.getNodeParameter('binaryPropertyName', i, 'data'));
        if (ct === 'raw') {
          parts.body = binaryBuffer(assertBinaryData(ctx.node, item, names, i));
        } else {
          const form = new FormData();
          for (const entry of names.split(',').map((s) => s.trim())) {
            const [field, prop] = entry.includes(':') ? entry.split(':') : ['file', entry];
            const bin = assertBinaryData(ctx.node, item, prop, i);
            form.append(field, new Blob([binaryBuffer(bin)], { type: bin.mimeType }), bin.fileName ?? 'file');
          }
          parts.body = form;
        }
        continue;
      }
      const value = ctx.getNodeParameter(param, i, '');
      if (value === '' || value === undefined) continue;
      let parsed: any = value;
      if (typeof value !== 'object' && options.bodyContentType !== 'raw') {
        try {
          parsed = JSON.parse(String(value));
        } catch {
          throw new NodeOperationError(ctx.node, `The data in "${label}" is no valid JSON. Set Body Content Type to "RAW/Custom" for XML or other types of payloads`, { itemIndex: i });
        }
      }
      if (target === 'body') parts.body = parsed;
      else parts[target] = parsed;
    }
  } else {
    for (const [param, target] of UI_PARAMS) {
      const ui = (ctx.getNodeParameter(param, i, {}) ?? {}) as IDataObject;
      if (!Array.isArray(ui.parameter)) continue;
      const acc: IDataObject = {};
      for (const { name, value } of ui.parameter as Array<{ name: string; value: unknown }>) {
        if (target === 'qs') {
          const prev = acc[name];
          acc[name] = typeof prev === 'string' ? [prev, value] : Array.isArray(prev) ? [...prev, value] : value;
        } else if (target === 'headers') acc[String(name).toLowerCase()] = value;
        else acc[name] = value;
      }
      if (target === 'body') parts.body = acc;
      else parts[target] = acc;
    }
  }

  const headers = Object.fromEntries(Object.entries(parts.headers).map(([k, v]) => [k, String(v)]));
  let body = parts.body;
  if (['PATCH', 'POST', 'PUT'].includes(method) && body && !(body instanceof FormData) && !Buffer.isBuffer(body)) {
    if (options.bodyContentType === 'multipart-form-data') {
      const form = new FormData();
      for (const [k, v] of Object.entries(body as IDataObject)) form.append(k, typeof v === 'object' ? JSON.stringify(v) : String(v));
      body = form;
    } else if (options.bodyContentType === 'form-urlencoded') {
      body = new URLSearchParams(Object.entries(body as IDataObject).map(([k, v]) => [k, String(v)] as [string, string]));
    }
  }
  if (options.bodyContentType === 'raw' && body !== undefined && typeof body === 'object' && !Buffer.isBuffer(body) && !(body instanceof FormData)) {
    body = JSON.stringify(body);
  }
  if (options.bodyContentCustomMimeType) headers['content-type'] = String(options.bodyContentCustomMimeType);
  if (headers.accept === undefined) headers.accept = defaultAccept(responseFormat === 'json' ? 'json' : responseFormat === 'string' ? 'text' : 'other');
  const request: OutgoingRequest = {
    url,
    method,
    headers,
    qs: parts.qs,
    body: method === 'GET' && body && typeof body === 'object' && !Buffer.isBuffer(body) && Object.keys(body).length === 0 ? undefined : body,
    timeout: options.timeout !== undefined ? Number(options.timeout) : 3_600_000,
    followRedirect: options.followRedirect !== undefined ? options.followRedirect === true : true,
    allowUnauthorizedCerts: ctx.getNodeParameter('allowUnauthorizedCerts', i, false) === true || options.allowUnauthorizedCerts === true,
    neverError: options.ignoreResponseCode === true,
  };
  const format = responseFormat === 'string' ? 'text' : responseFormat === 'file' ? 'file' : 'json';
  return {
    request,
    auth,
    response: {
      format,
      fullResponse: options.fullResponse === true,
      outputProperty: String(ctx.getNodeParameter('dataPropertyName', 0, 'data')),
      neverError: options.ignoreResponseCode === true,
      legacy: { splitIntoItems: options.splitIntoItems === true },
    },
  };
}

export async function executeV1(ctx: NodeExecuteContext): Promise<INodeExecutionData[][]> {
  const out = await runItems(ctx, {
    authMode: 'v1',
    pauseBefore(i) {
      const options = (ctx.getNodeParameter('options', i, {}) ?? {}) as IDataObject;
      if (i > 0 && Number(options.batchSize) >= 0 && Number(options.batchInterval) > 0) {
        const size = Number(options.batchSize) > 0 ? Number(options.batchSize) : 1;
        if (i % size === 0) return Number(options.batchInterval);
      }
      return 0;
    },
    prepare: (item, i, auth) => prepare(ctx, item, i, auth),
    send: async (prepared, _i, secrets) => [await sendWithAuth(ctx, prepared.request, prepared.auth, secrets)],
  });
  return [out];
}
