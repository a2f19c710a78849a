/**
 * HTTP Request pagination (v4.1+): "update a parameter in each request" or "response
 * contains next URL", completing on an empty response, given status codes or an expression.
 * Expressions see $response, $request and $pageCount like n8n's.
 */
import { NodeApiError, NodeOperationError } from '../../../errors.js';
import type { IDataObject, NodeExecuteContext } from '../../../types.js';
import { setPath } from '../../shared/path.js';
import { bodyForExpressions, type ResponseFormat, type ResponseOptions } from './response.js';
import { secretsOf, sendWithAuth, statusError, type Auth, type OutgoingRequest, type RawResponse } from './transport.js';

export interface PaginationParams {
  paginationMode: 'off' | 'updateAParameterInEachRequest' | 'responseContainsNextURL';
  nextURL?: string;
  parameters?: { parameters?: Array<{ type: 'body' | 'headers' | 'qs'; name: string; value: string }> };
  paginationCompleteWhen?: 'responseIsEmpty' | 'receiveSpecificStatusCodes' | 'other';
  statusCodesWhenComplete?: string;
  completeExpression?: string;
  limitPagesFetched?: boolean;
  maxRequests?: number;
  requestInterval?: number;
}

const HARD_PAGE_LIMIT = 10_000;

/** A pagination expression with $response, $request and $pageCount bound, as n8n's additional keys. */
function evaluatePaginationExpression(ctx: NodeExecuteContext, expression: unknown, itemIndex: number, keys: Record<string, unknown>): unknown {
  if (typeof expression !== 'string') return expression;
  return ctx.evaluateExpression(expression, itemIndex, keys);
}

function continueCheck(p: PaginationParams, neverError: boolean): (ctx: NodeExecuteContext, i: number, keys: Record<string, unknown>) => boolean {
  const when = p.paginationCompleteWhen ?? 'responseIsEmpty';
  if (when === 'receiveSpecificStatusCodes') {
    const codes = String(p.statusCodesWhenComplete ?? '').split(',').map((c) => parseInt(c.trim(), 10));
    return (_c, _i, keys) => !codes.includes((keys.$response as any).statusCode);
  }
  if (when === 'other') {
    const expr = String(p.completeExpression ?? '').trim();
    if (!expr.length || expr[0] !== '=') throw new Error('Invalid or empty Complete Expression');
    return (ctx, i, keys) => {
      const done = evaluatePaginationExpression(ctx, expr, i, keys);
      const status = (keys.$response as any).statusCode as number;
      if (neverError) return !done;
      return !done || status < 200 || status >= 300;
    };
  }
  return (_c, _i, keys) => {
    const body = (keys.$response as any).body;
    return Array.isArray(body) ? body.length > 0 : !!body;
  };
}

function requestView(req: OutgoingRequest): IDataObject {
  return { url: req.url, method: req.method, qs: req.qs, headers: req.headers, body: typeof req.body === 'object' && !(req.body instanceof FormData) && !(req.body instanceof URLSearchParams) && !Buffer.isBuffer(req.body) ? (req.body as IDataObject) : undefined };
}

export async function paginate(
  ctx: NodeExecuteContext,
  prepared: { request: OutgoingRequest; auth: Auth; response: ResponseOptions },
  p: PaginationParams,
  itemIndex: number,
  /** The item's secrets (grown by OAuth2 tokens used); the caller redacts what this throws with them. */
  secrets: Set<string> = secretsOf(prepared.auth),
): Promise<RawResponse[]> {
  const base = prepared.request;
  const format: ResponseFormat = prepared.response.format;
  let shouldContinue: ReturnType<typeof continueCheck>;
  try {
    shouldContinue = continueCheck(p, prepared.response.neverError);
  } catch (e) {
    throw new NodeOperationError(ctx.node, (e as Error).message, { itemIndex });
  }
  const params = p.parameters?.parameters ?? [];
  if (p.paginationMode === 'updateAParameterInEachRequest') {
    if (params.length === 1 && params[0].name === '' && params[0].value === '') {
      throw new NodeOperationError(ctx.node, "At least one entry with 'Name' and 'Value' filled must be included in 'Parameters' to use 'Update a Parameter in Each Request' mode ");
    }
    params.forEach((param, index) => {
      if (param.name === '') throw new NodeOperationError(ctx.node, `Parameter name must be set for parameter [${index + 1}] in pagination settings`);
      if (!['body', 'headers', 'qs'].includes(param.type)) {
        throw new NodeOperationError(ctx.node, `Parameter type must be one of: body, headers, qs for parameter [${index + 1}] in pagination settings`);
      }
      if (param.value === '') {
        throw new NodeOperationError(ctx.node, `Some value must be provided for parameter [${index + 1}] in pagination settings, omitting it will result in an infinite loop`);
      }
    });
  }

  const responses: RawResponse[] = [];
  const keys: Record<string, unknown> = { $response: { body: {}, headers: {}, statusCode: 0 }, $request: requestView(base), $pageCount: 0 };
  let previousBody: string | undefined;
  let identical = 0;
  const max = p.limitPagesFetched ? Number(p.maxRequests) || HARD_PAGE_LIMIT : HARD_PAGE_LIMIT;

  for (;;) {
    const req: OutgoingRequest = { ...base, headers: { ...base.headers }, qs: { ...base.qs } };
    const first = responses.length === 0;
    if (p.paginationMode === 'responseContainsNextURL' && !first) {
      const next = evaluatePaginationExpression(ctx, p.nextURL, itemIndex, keys);
      if (typeof next !== 'string' || !/^https?:\/\//.test(next)) {
        throw new NodeOperationError(ctx.node, `Invalid URL: ${String(next)}`, { itemIndex, description: 'Make sure the "Next URL" parameter evaluates to a valid URL.' });
      }
      req.url = next;
      req.qs = {};
    } else if (p.paginationMode === 'updateAParameterInEachRequest') {
      for (const param of params) {
        let value: unknown;
        try {
          value = evaluatePaginationExpression(ctx, param.value, itemIndex, keys);
        } catch (e) {
          // Before the first response an expression over $response has nothing to read.
          if (first) continue;
          throw e;
        }
        if (param.type === 'qs') req.qs[param.name] = value;
        else if (param.type === 'headers') req.headers[param.name] = String(value);
        else {
          const body: IDataObject = req.body && typeof req.body === 'object' && !Buffer.isBuffer(req.body) ? { ...(req.body as IDataObject) } : {};
          setPath(body, param.name, value);
          req.body = body;
        }
      }
    }

    const res = await sendWithAuth(ctx, req, prepared.auth, secrets);
    responses.push(res);
    const text = res.body.toString('utf8');
    if (previousBody !== undefined && text === previousBody) {
      if (++identical >= 4) {
        throw new NodeOperationError(ctx.node, 'The returned response was identical 5x, so requests got stopped', {
          itemIndex,
          description: 'Check if "Pagination Completed When" has been configured correctly.',
        });
      }
    } else identical = 0;
    previousBody = text;

    keys.$response = { body: bodyForExpressions(res, format), headers: res.headers, statusCode: res.statusCode };
    keys.$request = requestView(req);
    keys.$pageCount = responses.length;
    if (responses.length >= max) break;
    if (!shouldContinue(ctx, itemIndex, keys)) break;
    if (res.statusCode < 200 || res.statusCode >= 300) {
      if (prepared.response.neverError) break;
      throw statusError(ctx, res, itemIndex, secrets) as NodeApiError;
    }
    if (p.requestInterval) await ctx.helpers.sleep(Number(p.requestInterval));
  }
  return responses;
}
