/** Turning HTTP responses into output items, as the HTTP Request node versions do. */
import { NodeOperationError } from '../../../errors.js';
import type { IDataObject, INodeExecutionData, NodeExecuteContext } from '../../../types.js';
import { prepareBinaryData } from '../binary.js';
import { BINARY_CONTENT_TYPES, type RawResponse } from './transport.js';

export type ResponseFormat = 'autodetect' | 'json' | 'text' | 'file';

export interface ResponseOptions {
  format: ResponseFormat;
  fullResponse: boolean;
  outputProperty: string;
  neverError: boolean;
  /** v1/v2: a JSON array body stays one item unless splitIntoItems */
  legacy?: { splitIntoItems: boolean };
}

function fileNameFrom(res: RawResponse, url: string): string | undefined {
  const cd = res.headers['content-disposition'];
  const m = cd?.match(/filename\*?=(?:UTF-8'')?"?([^";]+)"?/i);
  if (m) return decodeURIComponent(m[1]);
  try {
    const last = new URL(url).pathname.split('/').pop();
    return last || undefined;
  } catch {
    return undefined;
  }
}

function toText(v: unknown): unknown {
  return typeof v === 'object' && v !== null ? JSON.stringify(v) : v;
}

function parseJson(ctx: NodeExecuteContext, text: string, itemIndex: number, opts: ResponseOptions): unknown {
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    if (opts.neverError && opts.format === 'autodetect') return {};
    if (opts.format === 'json' && !opts.legacy) {
      throw new NodeOperationError(ctx.node, 'Response body is not valid JSON. Change "Response Format" to "Text"', { itemIndex });
    }
    if (opts.legacy) {
      throw new NodeOperationError(ctx.node, 'Response body is not valid JSON. Change "Response Format" to "String"', { itemIndex });
    }
    throw new NodeOperationError(ctx.node, 'Invalid JSON in response body', { itemIndex });
  }
}

/** The effective format of one response (auto-detect looks at the content type). */
export function formatOf(res: RawResponse, requested: ResponseFormat): Exclude<ResponseFormat, 'autodetect'> {
  if (requested !== 'autodetect') return requested;
  const ct = res.headers['content-type'] ?? '';
  if (ct.includes('application/json')) return 'json';
  if (BINARY_CONTENT_TYPES.some((t) => ct.includes(t))) return 'file';
  return 'text';
}

/** Parsed body as pagination expressions see it ($response.body). */
export function bodyForExpressions(res: RawResponse, requested: ResponseFormat): unknown {
  const ct = res.headers['content-type'] ?? '';
  const text = res.body.toString('utf8');
  if (requested === 'file') return text;
  if (ct.includes('application/json') || requested === 'json') {
    try {
      return text.trim() === '' ? {} : JSON.parse(text);
    } catch {
      return requested === 'json' ? text : {};
    }
  }
  return text;
}

export function responseToItems(
  ctx: NodeExecuteContext,
  res: RawResponse,
  input: INodeExecutionData,
  itemIndex: number,
  url: string,
  opts: ResponseOptions,
): INodeExecutionData[] {
  const format = formatOf(res, opts.format);
  const paired = { item: itemIndex };
  const meta = { headers: res.headers, statusCode: res.statusCode, statusMessage: res.statusMessage };

  if (format === 'file') {
    const item: INodeExecutionData = { json: {}, binary: { ...(input.binary ?? {}) }, pairedItem: paired };
    item.json = opts.fullResponse ? { ...meta } : input.json;
    const mime = res.headers['content-type'];
    item.binary![opts.outputProperty] = prepareBinaryData(res.body, fileNameFrom(res, url), mime);
    return [item];
  }

  if (format === 'text') {
    const raw = res.body.toString('utf8');
    // n8n v3+ auto-detect turns an empty text body into no value at all.
    const text: unknown = opts.format === 'autodetect' && raw === '' ? undefined : raw;
    if (opts.fullResponse) {
      return [{ json: { [opts.outputProperty]: toText(text), ...meta }, pairedItem: paired }];
    }
    return [{ json: { [opts.outputProperty]: toText(text) } as IDataObject, pairedItem: paired }];
  }

  const body = parseJson(ctx, res.body.toString('utf8'), itemIndex, opts);
  if (opts.fullResponse) {
    return [{ json: { body: body as any, headers: res.headers, statusCode: res.statusCode, statusMessage: res.statusMessage }, pairedItem: paired }];
  }
  if (Array.isArray(body) && (!opts.legacy || opts.legacy.splitIntoItems)) {
    return body.map((json) => ({ json: json === null ? {} : json, pairedItem: paired }));
  }
  if (body === null || typeof body !== 'object') {
    // A JSON scalar: n8n keeps it as the item's json; we wrap it so items stay objects.
    return [{ json: { data: body }, pairedItem: paired }];
  }
  return [{ json: body as IDataObject, pairedItem: paired }];
}
