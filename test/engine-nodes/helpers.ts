/**
 * Test helpers for node implementations: a minimal NodeExecuteContext (for nodes
 * tested without the runner) and a local HTTP server. The n8n corpus (fixtures, public
 * workflows) is located and loaded by ../engine/helpers/corpus.ts.
 */
import { expect } from 'vitest';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { runInNewContext } from 'node:vm';
import type { AddressInfo } from 'node:net';
import { createHttpClient } from '../../src/core/engine/http/client.js';
import { getPath } from '../../src/core/engine/nodes/shared/path.js';
import { runWorkflow } from '../../src/core/engine/index.js';
import type {
  HttpClient, HttpRequestOptions, IDataObject, INode, INodeExecutionData, NodeExecuteContext, NodeType, WorkflowDefinition,
} from '../../src/core/engine/types.js';

export interface ContextOptions {
  typeVersion?: number;
  credentials?: Record<string, IDataObject>;
  httpClient?: HttpClient;
  baseUrlRewrite?: (url: string) => string;
  signal?: AbortSignal;
  continueOnFail?: boolean;
  mode?: NodeExecuteContext['mode'];
}

const sharedClient = createHttpClient();

/**
 * Expressions in this helper are evaluated with node:vm over {$json, $response, …} —
 * test-only convenience; the product evaluates them in the engine's isolated-vm sandbox.
 */
function evalExpr(expr: string, scope: Record<string, unknown>): unknown {
  if (!expr.startsWith('=')) return expr;
  const body = expr.slice(1);
  const whole = body.match(/^\s*\{\{([\s\S]*)\}\}\s*$/);
  if (whole) return runInNewContext(whole[1], { ...scope });
  return body.replace(/\{\{([\s\S]*?)\}\}/g, (_m, js) => {
    const v = runInNewContext(js, { ...scope });
    return typeof v === 'object' ? JSON.stringify(v) : String(v);
  });
}

function resolve(value: unknown, scope: Record<string, unknown>): unknown {
  if (typeof value === 'string') return evalExpr(value, scope);
  if (Array.isArray(value)) return value.map((v) => resolve(v, scope));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v, scope)]));
  return value;
}

export function makeContext(
  node: { type: string; parameters: IDataObject; name?: string; typeVersion?: number; credentials?: INode['credentials'] },
  input: Array<INodeExecutionData | IDataObject>,
  opts: ContextOptions = {},
): NodeExecuteContext {
  const items: INodeExecutionData[] = input.map((it) => ('json' in it && typeof it.json === 'object' ? (it as INodeExecutionData) : { json: it as IDataObject }));
  const fullNode: INode = { name: node.name ?? 'Node', type: node.type, typeVersion: node.typeVersion ?? opts.typeVersion ?? 1, parameters: node.parameters, credentials: node.credentials, continueOnFail: opts.continueOnFail };
  const signal = opts.signal ?? new AbortController().signal;
  const nodeContext: IDataObject = {};
  const staticData: Record<string, IDataObject> = {};
  const scope = (i: number) => ({ $json: items[i]?.json ?? {}, $input: { all: () => items }, $itemIndex: i, JSON, Math, Date, Array, Object, String, Number });
  const ctx: NodeExecuteContext = {
    node: fullNode,
    workflow: { active: false, name: 'test' },
    workflowDefinition: { nodes: [fullNode], connections: {} },
    executionId: 'test-execution',
    runIndex: 0,
    mode: opts.mode ?? 'manual',
    signal,
    logger: { debug() {}, info() {}, warn() {}, error() {} },
    helpers: {
      async httpRequest(o: HttpRequestOptions) {
        const client = opts.httpClient ?? sharedClient;
        const url = opts.baseUrlRewrite ? opts.baseUrlRewrite(o.url) : o.url;
        const res = await client({ ...o, url, signal: o.signal ? AbortSignal.any([o.signal, signal]) : signal });
        return o.returnFullResponse ? res : res.body;
      },
      sleep: (ms: number) =>
        new Promise<void>((resolveSleep, reject) => {
          const t = setTimeout(resolveSleep, ms);
          signal.addEventListener('abort', () => {
            clearTimeout(t);
            reject(signal.reason);
          }, { once: true });
        }),
      returnJsonArray: (data) => (Array.isArray(data) ? data : [data]).map((json) => ({ json })),
      constructExecutionMetaData: (its, { itemData }) => its.map((it) => ({ ...it, pairedItem: itemData })),
    },
    getInputData: () => items,
    getInputCount: () => 1,
    getInputSource: () => null,
    getNodeParameter(name: string, itemIndex: number, fallback?: unknown, o?: { rawExpressions?: boolean }) {
      const raw = getPath(fullNode.parameters, name); // lodash get, as the runner's context
      if (raw === undefined) return fallback;
      if (o?.rawExpressions) return structuredClone(raw);
      return resolve(structuredClone(raw), scope(itemIndex));
    },
    evaluateExpression: (expression: string, itemIndex: number, extra?: Record<string, unknown>) => evalExpr(expression, { ...scope(itemIndex), ...extra }),
    updateCredentialsOAuthTokenData: async () => {},
    sendResponse: () => {},
    async getCredentials(type: string) {
      const c = opts.credentials?.[type];
      if (!c) throw new Error(`Node does not have any credentials set for "${type}"`);
      return structuredClone(c);
    },
    continueOnFail: () => opts.continueOnFail === true,
    getWorkflowStaticData: (type) => (staticData[type] ??= {}),
    getRunData: () => ({}),
    getNodeContext: () => nodeContext,
    runCode: async () => {
      throw new Error('runCode is not available in the unit-test context');
    },
    executeSubWorkflow: async () => null,
    getTriggerItems: () => undefined,
    getParentNodes: () => [],
  };
  return ctx;
}

export async function runNode(nodeType: NodeType, node: Parameters<typeof makeContext>[0], input: Array<INodeExecutionData | IDataObject>, opts: ContextOptions = {}) {
  const out = await nodeType.execute(makeContext({ ...node, type: nodeType.type }, input, opts));
  return out ?? [];
}

export const jsonOf = (items: INodeExecutionData[] | undefined) => (items ?? []).map((i) => i.json);

// ---------------------------------------------------------------- local HTTP server

export interface RecordedRequest {
  method: string;
  url: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

export type Handler = (req: RecordedRequest, res: ServerResponse) => unknown;

export async function startServer(handler: Handler): Promise<{ url: string; port: number; requests: RecordedRequest[]; close(): Promise<void>; server: Server }> {
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const u = new URL(req.url ?? '/', 'http://127.0.0.1');
      const rec: RecordedRequest = { method: req.method ?? 'GET', url: req.url ?? '/', path: u.pathname, query: u.searchParams, headers: req.headers, body: Buffer.concat(chunks) };
      requests.push(rec);
      try {
        await handler(rec, res);
      } catch (e) {
        res.statusCode = 500;
        res.end(String(e));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    server,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections?.();
        server.close(() => r());
      }),
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** Manual trigger → Code node emitting `input` as items → `under`: a node run by the real runner. */
export function afterCodeInput(input: unknown[], under: WorkflowDefinition['nodes'][number]): WorkflowDefinition {
  return afterCode(`return ${JSON.stringify(input)}.map((json) => ({ json }));`, under);
}

/** Manual trigger → a Code node running `jsCode` (named In) → `under`. */
export function afterCode(jsCode: string, under: WorkflowDefinition['nodes'][number]): WorkflowDefinition {
  return {
    nodes: [
      { name: 'T', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, parameters: {}, position: [0, 0] },
      { name: 'In', type: 'n8n-nodes-base.code', typeVersion: 2, parameters: { jsCode }, position: [1, 0] },
      { ...under, position: [2, 0] },
    ],
    connections: {
      T: { main: [[{ node: 'In', type: 'main', index: 0 }]] },
      In: { main: [[{ node: under.name, type: 'main', index: 0 }]] },
    },
  };
}

/** Run `def` (it must not fail) and return the items of `name`'s first output. */
export async function nodeOutput(def: WorkflowDefinition, name: string): Promise<INodeExecutionData[]> {
  const res = await runWorkflow(def);
  expect(res.error).toBeUndefined();
  return res.runData[name]![0]!.data!.main[0]!;
}
