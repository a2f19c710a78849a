import type {
  CodeRunRequest, HttpRequestOptions, IDataObject, INode, INodeExecutionData, IPairedItemData, IRunData,
  ISourceData, NodeExecuteContext, NodeHelpers, NodeType, WebhookResponse, WorkflowDefinition,
} from '../types.js';
import type { ExecuteData, WorkflowExecution } from './execute.js';
import { ExpressionError, NodeOperationError, SandboxError } from '../errors.js';
import { isExpression, parseExpression, wrapUserCode } from '../expressions/compile.js';
import { DECLINE, compileFastExpression, type FastEnv, type FastExpression } from '../expressions/fast-path.js';
import { nodeItem, pairedItem } from './fast-refs.js';
import { abortableSleep } from './util.js';
import { deepCopy } from '../nodes/shared/copy.js';
import { getPath } from '../nodes/shared/path.js';
import { httpRequest } from './http.js';

export const CODE_PARAMS =
  '$input, items, item, $json, $binary, $, $node, $items, $item, $workflow, $execution, $env, $vars, $secrets, $now, $today, $runIndex, $itemIndex, $jmespath, $getWorkflowStaticData, $prevNode, $parameter, $nodeVersion, $if, $ifEmpty, $max, $min, console, require';
/** The legacy Function / Function Item nodes also see n8n's IExecuteFunctions helpers as plain globals. */
const FUNCTION_PARAMS = `${CODE_PARAMS}, getWorkflowStaticData, getNodeParameter, helpers`;
const FUNCTION_ITEM_PARAMS = `${FUNCTION_PARAMS}, getBinaryData, setBinaryData`;

/** The `this` of a node implementation: n8n's IExecuteFunctions, reduced to what Jobsprint nodes need. */
type PlanEntry = { kind: 'literal'; value: unknown } | { kind: 'fast'; fn: FastExpression; body: string } | { kind: 'sandbox'; body: string };

/**
 * The expressions of one parameter value. Literal and fast-path entries never touch the
 * sandbox; sandbox entries are compiled on first use, so a node whose expressions the host
 * can answer never creates an isolate.
 */
interface ParamPlan {
  raw: unknown;
  entries: PlanEntry[];
  /** indexes of sandbox entries, in order, and their ids for `gen` */
  sandboxAt: number[];
  ids: number[];
  gen: unknown;
  calls: number;
  cache?: Map<number, unknown[] | Error>;
  noBatch?: boolean;
}

const CHUNK = 500;

export class ExecContext implements NodeExecuteContext {
  private helpersOf?: NodeHelpers;
  private frameJson?: string;
  private plans = new Map<string, ParamPlan>();

  constructor(
    readonly ex: WorkflowExecution,
    readonly node: INode,
    readonly nodeType: NodeType,
    readonly executeData: ExecuteData,
    readonly inputData: { main: Array<INodeExecutionData[] | null> },
    readonly runIndex: number,
    readonly inputIndex: number,
  ) {}

  /** Made when a node first asks (one context per node run; most nodes never do). */
  get helpers(): NodeHelpers {
    return (this.helpersOf ??= {
      httpRequest: (o: HttpRequestOptions) => httpRequest(this.ex.options, o, this.signal),
      sleep: (ms: number) => abortableSleep(ms, this.signal),
      returnJsonArray: (data) => (Array.isArray(data) ? data : [data]).map((json) => ({ json })),
      constructExecutionMetaData: (items, { itemData }) => items.map((it) => ({ ...it, pairedItem: itemData })),
    });
  }

  get workflow() {
    const d = this.ex.def;
    return { id: d.id, name: d.name, active: !!d.active };
  }
  get workflowDefinition(): WorkflowDefinition {
    return this.ex.def;
  }
  get executionId() {
    return this.ex.executionId;
  }
  get mode() {
    return this.ex.options.mode ?? 'manual';
  }
  get signal() {
    return this.ex.signal;
  }
  get logger() {
    return this.ex.options.logger ?? { debug() {}, info() {}, warn() {}, error() {} };
  }

  getInputData(inputIndex = 0): INodeExecutionData[] {
    return this.inputData.main[inputIndex] ?? [];
  }
  getInputCount(): number {
    return this.inputData.main.length;
  }
  getInputSource(inputIndex = 0): ISourceData | null {
    return this.executeData.source?.main[inputIndex] ?? null;
  }
  getTriggerItems() {
    return this.inputData.main[0] ?? undefined;
  }
  getParentNodes(): string[] {
    return this.ex.graph.getParentNodes(this.node.name);
  }
  getRunData(): IRunData {
    return this.ex.runData;
  }
  getNodeContext(): IDataObject {
    let c = this.ex.nodeContexts.get(this.node.name);
    if (!c) this.ex.nodeContexts.set(this.node.name, (c = {}));
    return c;
  }
  continueOnFail(): boolean {
    const n = this.node;
    return n.continueOnFail === true || n.onError === 'continueRegularOutput' || n.onError === 'continueErrorOutput';
  }
  getWorkflowStaticData(type: 'global' | 'node'): IDataObject {
    const key = type === 'node' ? `node:${this.node.name}` : 'global';
    return ((this.ex.staticData[key] as IDataObject) ??= {});
  }
  async getCredentials(type: string): Promise<IDataObject> {
    const p = this.ex.options.credentials;
    if (!this.node.credentials?.[type] && !p) throw new NodeOperationError(this.node, `Node does not have any credentials set for "${type}"`);
    if (!p) throw new NodeOperationError(this.node, `No credentials provider configured (needed for "${type}")`);
    return await p.getCredentials(type, this.node);
  }
  async updateCredentialsOAuthTokenData(type: string, tokenData: IDataObject): Promise<void> {
    await this.ex.options.credentials?.updateOAuthTokenData?.(type, this.node, tokenData);
  }
  sendResponse(response: WebhookResponse): void {
    this.ex.setWebhookResponse(response);
  }
  loadWorkflow = async (id: string) => {
    if (!this.ex.options.loadWorkflow) throw new NodeOperationError(this.node, `Cannot load workflow "${id}": no workflow loader configured`);
    return await this.ex.options.loadWorkflow(id);
  };
  async executeSubWorkflow(wf: WorkflowDefinition, items: INodeExecutionData[], opts?: { waitForSubWorkflow?: boolean }): Promise<INodeExecutionData[][] | null> {
    const { runSubWorkflow } = await import('./subworkflow.js');
    return runSubWorkflow(this, wf, items, opts?.waitForSubWorkflow !== false);
  }

  // ---------------- expressions ----------------

  private buildFrame(): string {
    if (this.frameJson) return this.frameJson;
    const o = this.ex.options;
    const env: Record<string, string | undefined> = {};
    const source = o.env ?? process.env;
    for (const k of o.envAllowlist ?? []) if (source[k] !== undefined) env[k] = source[k];
    const n = this.node;
    this.frameJson = JSON.stringify({
      node: { name: n.name, type: n.type, typeVersion: n.typeVersion, parameters: n.parameters, id: n.id, webhookId: n.webhookId },
      runIndex: this.runIndex,
      inputs: this.inputData.main,
      inputIndex: this.inputIndex,
      source: this.executeData.source?.main ?? [],
      workflow: this.workflow,
      executionId: this.ex.executionId,
      mode: this.mode,
      env,
      timezone: o.timezone ?? (this.ex.def.settings?.timezone as string | undefined) ?? 'America/New_York',
      fixedNow: o.now ? o.now() : null,
    });
    return this.frameJson;
  }

  private enter(): void {
    this.ex.currentNode = this.node;
    this.ex.sandbox.useFrame(this, () => this.buildFrame());
  }

  private wrapErr(e: unknown, itemIndex: number): Error {
    if (e instanceof SandboxError) {
      return new NodeOperationError(this.node, e.message, { itemIndex, description: 'The expression was stopped by the sandbox' });
    }
    const err = e as any;
    if (err?.name === 'SyntaxError') return new ExpressionError('invalid syntax', { itemIndex, description: err.message });
    const ee = new ExpressionError(String(err?.message ?? e), { itemIndex, description: err?.description });
    return ee;
  }

  /** What the fast path reads for one item (the sandbox frame holds the same input and run data). */
  private fastEnv(itemIndex: number): FastEnv {
    return {
      item: this.inputData.main[this.inputIndex]?.[itemIndex],
      ref: (kind, name) => (kind === 'node' ? nodeItem(this, name, itemIndex) : pairedItem(this, name, itemIndex)),
    };
  }

  evaluateExpression(expression: string, itemIndex: number, extra?: Record<string, unknown>): unknown {
    if (!isExpression(expression)) return expression;
    const names = extra ? Object.keys(extra) : [];
    try {
      const p = parseExpression(expression, names);
      if (p.kind === 'literal') return p.value;
      if (!names.length) {
        const v = compileFastExpression(expression)?.(this.fastEnv(itemIndex)) ?? DECLINE;
        if (v !== DECLINE) return v;
      }
      this.enter();
      const id = this.ex.sandbox.compileExpression(p.body);
      // Extra variables travel as JSON (plain data: nothing of the host crosses into the isolate).
      return names.length ? this.ex.sandbox.evaluateWithExtra(id, itemIndex, JSON.stringify(extra)) : this.ex.sandbox.evaluate(id, itemIndex);
    } catch (e) {
      throw this.wrapErr(e, itemIndex);
    }
  }

  private plan(key: string, value: unknown): ParamPlan {
    let p = this.plans.get(key);
    if (!p || p.raw !== value) {
      const exprs: string[] = [];
      collect(value, exprs);
      const entries = exprs.map((x): PlanEntry => {
        const parsed = parseExpression(x);
        if (parsed.kind === 'literal') return { kind: 'literal', value: parsed.value };
        const fn = compileFastExpression(x);
        return fn ? { kind: 'fast', fn, body: parsed.body } : { kind: 'sandbox', body: parsed.body };
      });
      const sandboxAt = entries.flatMap((e, k) => (e.kind === 'sandbox' ? [k] : []));
      p = { raw: value, entries, sandboxAt, ids: [], gen: undefined, calls: 0 };
      this.plans.set(key, p);
    }
    return p;
  }

  /** Values of all expressions of a plan for one item (in the order `collect` finds them). */
  private planValues(p: ParamPlan, itemIndex: number): unknown[] {
    const out = new Array<unknown>(p.entries.length);
    let env: FastEnv | undefined;
    for (let k = 0; k < p.entries.length; k++) {
      const e = p.entries[k];
      if (e.kind === 'literal') out[k] = e.value;
      else if (e.kind === 'fast') {
        env ??= this.fastEnv(itemIndex);
        const v = e.fn(env);
        if (v !== DECLINE) out[k] = v;
        else {
          // From now on this expression is evaluated by the sandbox (batched with the others).
          p.entries[k] = { kind: 'sandbox', body: e.body };
          p.sandboxAt = p.entries.flatMap((x, i) => (x.kind === 'sandbox' ? [i] : []));
          p.gen = undefined;
          p.cache = undefined;
        }
      }
    }
    if (p.sandboxAt.length) {
      const vals = this.sandboxValues(p, itemIndex);
      p.sandboxAt.forEach((k, i) => (out[k] = vals[i]));
    }
    return out;
  }

  /** Sandbox values of a plan's sandbox entries; from the second item on, evaluated in chunks of items per sandbox call. */
  private sandboxValues(p: ParamPlan, itemIndex: number): unknown[] {
    this.enter();
    const gen = this.ex.sandbox.generation;
    if (p.gen !== gen) {
      p.ids = p.sandboxAt.map((k) => this.ex.sandbox.compileExpression((p.entries[k] as { body: string }).body));
      p.gen = gen;
      p.cache = undefined;
    }
    const ids = p.ids;
    const n = this.inputData.main[this.inputIndex]?.length ?? 0;
    p.calls++;
    const cached = p.cache?.get(itemIndex);
    if (cached !== undefined) {
      p.cache!.delete(itemIndex);
      if (cached instanceof Error) throw cached;
      return cached;
    }
    if (p.calls > 1 && !p.noBatch && n - itemIndex > 2) {
      try {
        const to = Math.min(n, itemIndex + CHUNK);
        const rows = this.ex.sandbox.evaluateChunk(ids, itemIndex, to);
        p.cache ??= new Map();
        rows.forEach((r, k) => p.cache!.set(itemIndex + k, r));
        return this.sandboxValues(p, itemIndex);
      } catch (e) {
        if (!(e instanceof SandboxError) || e.kind !== 'timeout') throw e;
        p.noBatch = true; // slow expressions: evaluate item by item so limits apply per item
      }
    }
    return this.ex.sandbox.evaluateMany(ids, itemIndex);
  }

  /** Resolve a parameter value tree for one item (all its expressions in one sandbox call). */
  resolveValue(value: unknown, itemIndex: number, key = '\u0000anon'): any {
    if (typeof value === 'string' && !isExpression(value)) return value;
    if (value === null || typeof value !== 'object') {
      if (typeof value !== 'string') return value;
    }
    let vals: unknown[];
    try {
      const p = this.plan(key, value);
      if (p.entries.length === 0) return deepCopy(value);
      vals = this.planValues(p, itemIndex);
    } catch (e) {
      throw this.wrapErr(e, itemIndex);
    }
    let k = 0;
    const rebuild = (v: unknown): unknown => {
      if (typeof v === 'string') return isExpression(v) ? vals[k++] : v;
      if (Array.isArray(v)) return v.map(rebuild);
      if (v && typeof v === 'object') {
        const o: IDataObject = {};
        for (const [kk, vv] of Object.entries(v)) o[kk] = rebuild(vv);
        return o;
      }
      return v;
    };
    return rebuild(value);
  }

  getNodeParameter(name: string, itemIndex: number, fallback?: unknown, opts?: { rawExpressions?: boolean }): any {
    // n8n: lodash get(node.parameters, name), so `options.list[0].x` and a key that itself holds a dot work.
    const raw = getPath(this.node.parameters, name);
    if (raw === undefined) return fallback;
    if (opts?.rawExpressions) return deepCopy(raw);
    return this.resolveValue(raw, itemIndex, name);
  }

  // ---------------- code ----------------

  async runCode(req: CodeRunRequest): Promise<any> {
    this.enter();
    const params = req.flavor === 'function' ? FUNCTION_PARAMS : req.flavor === 'functionItem' ? FUNCTION_ITEM_PARAMS : CODE_PARAMS;
    const src = wrapUserCode(req.code, params);
    const res = await this.ex.sandbox.runCode(src, req.flavor, req.mode, req.itemIndex);
    if (res.staticData) for (const [t, d] of Object.entries(res.staticData)) this.ex.setStaticData(t, d as IDataObject);
    if (res.error) throw codeError(this.node, res.error, req);
    return res.items as INodeExecutionData[];
  }
}

function collect(v: unknown, out: string[]): void {
  if (typeof v === 'string') {
    if (isExpression(v)) out.push(v);
  } else if (Array.isArray(v)) for (const x of v) collect(x, out);
  else if (v && typeof v === 'object') for (const x of Object.values(v)) collect(x, out);
}

/** n8n's Code-node ExecutionError: message from the stack's 'Error:' row plus '[line N(, for item I)]'. */
function codeError(node: INode, info: any, req: CodeRunRequest): NodeOperationError {
  if (info.validation) return new NodeOperationError(node, info.message, { description: info.description, itemIndex: info.itemIndex });
  const each = req.mode === 'runOnceForEachItem' || req.flavor === 'functionItem' || req.itemIndex !== undefined;
  const itemIndex: number | undefined = each ? info.itemIndex : undefined;
  const rows = String(info.stack || '').split('\n');
  const lineRow = rows.find((r) => /\bCode:\d+/.test(r));
  const line = lineRow?.match(/Code:(\d+)/)?.[1];
  const lineDisplay = line ? (itemIndex === undefined ? `[line ${line}]` : `[line ${line}, for item ${itemIndex}]`) : '';
  let message = info.message || 'Unknown error';
  let description: string | undefined = info.description;
  const msgRow = rows.find((r) => r.includes('Error:'));
  if (msgRow) {
    const parts = msgRow.split(':').reverse().map((s) => s.trim());
    if (parts[0]) message = parts[0];
    if (parts[1] && parts[1] !== 'Error' && !description) description = parts[1];
  }
  const err = new NodeOperationError(node, `${message} ${lineDisplay}`.trim(), { description, itemIndex: info.itemIndex });
  err.stack = info.stack;
  return err;
}

export type { IPairedItemData };
