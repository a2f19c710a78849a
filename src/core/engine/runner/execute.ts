import type {
  EngineEvent, IDataObject, INode, INodeExecutionData, IPairedItemData, IRunData, ISourceData, ITaskData,
  NodeType, RunOptions, RunResult, WebhookResponse, WorkflowDefinition,
} from '../types.js';
import { graphOf, type WorkflowGraph } from './graph.js';
import { ExecutionCanceledError, NodeOperationError, isCancellation, toErrorJson } from '../errors.js';
import { getNodeType } from '../nodes/registry.js';
import { Sandbox } from '../sandbox/sandbox.js';
import { isStaticDataKey, sandboxHostFor } from './sandbox-host.js';
import { ExecContext } from './context.js';
import { abortableSleep, normalizeInputItems, normalizePinItems, pickStartNodes } from './util.js';
import { addPairedItemLineage, assignPairedItems, computeTimeout, ensureAlwaysOutputData, normalizeNodeErrors, routeErrorOutput, safeParse, srcOf } from './items.js';

export interface ExecuteData {
  node: INode;
  data: { main: Array<INodeExecutionData[] | null> };
  source: { main: Array<ISourceData | null> } | null;
}

type Waiting = Record<string, Record<number, { main: Array<INodeExecutionData[] | null> }>>;
type WaitingSrc = Record<string, Record<number, { main: Array<ISourceData | null> }>>;

/** One execution of a workflow: a port of n8n's WorkflowExecute.processRunExecutionData loop. */
export class WorkflowExecution {
  readonly graph: WorkflowGraph;
  readonly runData: IRunData = {};
  readonly v1: boolean;
  /** Why the run was stopped (cancel, timeout), once it was. */
  private stopReason?: Error;
  /** Made on first use of `signal`: most runs (Set, If, …) never hand a signal to anything. */
  private controller?: AbortController;
  /** Rejects the wait on the current node (see loop) when the run is stopped. */
  private rejectStop?: (reason: Error) => void;
  readonly executionId: string;
  readonly nodeContexts = new Map<string, IDataObject>();
  readonly staticData: IDataObject;
  private stack: ExecuteData[] = [];
  private waiting: Waiting = {};
  private waitingSource: WaitingSrc = {};
  lastNodeExecuted?: string;
  private sandboxInst?: Sandbox;
  currentNode?: INode;
  private stopTimer?: NodeJS.Timeout;
  private webhookResponse?: WebhookResponse;
  private readonly staticDataBefore: string;

  constructor(readonly def: WorkflowDefinition, readonly options: RunOptions) {
    this.graph = graphOf(def);
    this.v1 = def.settings?.executionOrder === 'v1';
    this.executionId = options.executionId ?? `local-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    const sd = def.staticData;
    this.staticData = typeof sd === 'string' ? safeParse(sd) : sd && typeof sd === 'object' ? structuredClone(sd as IDataObject) : {};
    this.staticDataBefore = JSON.stringify(this.staticData);
  }

  /** Aborted when the run is stopped, with the stop's reason. */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.stopReason) this.controller.abort(this.stopReason);
    }
    return this.controller.signal;
  }

  get stopped(): boolean {
    return this.stopReason !== undefined;
  }

  /** Stop the run (first reason wins): the node being run is given up on, nothing new starts. */
  stop(reason: Error): void {
    if (this.stopReason) return;
    this.stopReason = reason;
    this.controller?.abort(reason);
    this.rejectStop?.(reason);
  }

  get sandbox(): Sandbox {
    if (!this.sandboxInst) this.sandboxInst = new Sandbox(sandboxHostFor(this), this.options.sandbox, this.signal);
    return this.sandboxInst;
  }

  emit(ev: EngineEvent): void {
    try {
      this.options.onEvent?.(ev);
    } catch {
      /* observers must not break executions */
    }
  }

  /** The first response wins, as n8n answers a webhook call once. */
  setWebhookResponse(response: WebhookResponse): void {
    if (this.webhookResponse) return;
    this.webhookResponse = response;
    try {
      this.options.onWebhookResponse?.(response);
    } catch {
      /* the caller's hook must not break the execution */
    }
  }

  /** `key` is 'global' or 'node:<name>' (what the sandbox hands back). */
  setStaticData(key: string, data: IDataObject): void {
    if (isStaticDataKey(key)) this.staticData[key] = data;
  }

  async run(): Promise<RunResult> {
    const startedAt = Date.now();
    const timeoutMs = computeTimeout(this.def, this.options);
    const onExternalAbort = () => this.stop(new ExecutionCanceledError('manual'));
    if (this.options.signal?.aborted) onExternalAbort();
    this.options.signal?.addEventListener('abort', onExternalAbort);
    if (timeoutMs !== undefined) this.stopTimer = setTimeout(() => this.stop(new ExecutionCanceledError('timeout')), timeoutMs);
    let status: RunResult['status'] = 'success';
    let error: RunResult['error'];
    try {
      const starts = pickStartNodes(this.graph, this.options);
      const input = normalizeInputItems(this.options.input);
      starts.forEach((node, i) => {
        this.stack.push({ node, data: { main: [i === 0 && input ? input : [{ json: {} }]] }, source: null });
      });
      const err = await this.loop();
      if (err) {
        status = isCancellation(err.raw) ? 'canceled' : 'error';
        error = err.json;
      }
    } catch (e) {
      status = isCancellation(e) || this.stopped ? 'canceled' : 'error';
      error = toErrorJson(e);
    } finally {
      clearTimeout(this.stopTimer);
      this.options.signal?.removeEventListener('abort', onExternalAbort);
      this.sandboxInst?.dispose();
    }
    if (this.stopReason && status !== 'error') {
      status = 'canceled';
      error ??= toErrorJson(this.stopReason);
    }
    const result: RunResult = { status, runData: this.runData, lastNodeExecuted: this.lastNodeExecuted, error, startedAt, stoppedAt: Date.now(), executionId: this.executionId };
    if (this.webhookResponse) result.webhookResponse = this.webhookResponse;
    if (JSON.stringify(this.staticData) !== this.staticDataBefore) result.staticData = this.staticData;
    return result;
  }

  /** Rejects with the stop's reason when the run is stopped. */
  private abortPromise(): Promise<never> {
    return new Promise((_, reject) => {
      if (this.stopReason) reject(this.stopReason);
      else this.rejectStop = reject;
    });
  }

  /** Returns the error that stopped the workflow, if any. */
  private async loop(): Promise<{ raw: unknown; json: RunResult['error'] } | undefined> {
    let lastTry = '';
    const abortP = this.abortPromise();
    abortP.catch(() => undefined);
    while (this.stack.length) {
      if (this.stopReason) throw this.stopReason;
      const ed = this.stack.shift()!;
      const node = ed.node;
      ed.data = addPairedItemLineage(ed.data);
      const runIndex = this.runData[node.name]?.length ?? 0;
      const tryKey = `${node.name}:${runIndex}`;
      if (tryKey === lastTry) throw new Error('Stopped execution because it seems to be in an endless loop');
      if (!this.ensureInputData(node, ed)) {
        lastTry = tryKey;
        continue;
      }
      const startTime = Date.now();
      const task: ITaskData = { startTime, executionTime: 0, source: ed.source ? ed.source.main : [] };
      const [maxTries, waitBetween] = node.retryOnFail
        ? [Math.min(5, Math.max(2, node.maxTries || 3)), Math.min(5000, Math.max(0, node.waitBetweenTries || 1000))]
        : [1, 0];
      let nodeSuccessData: INodeExecutionData[][] | null | undefined = null;
      let execError: unknown;
      let started = false;
      const itemsIn = ed.data.main.map((m) => m?.length ?? 0);
      const emitStart = () => {
        if (started) return;
        started = true;
        this.emit({ type: 'nodeStart', executionId: this.executionId, node: node.name, nodeType: node.type, runIndex, itemsIn, time: Date.now() });
      };
      let skipped = false;
      for (let attempt = 0; attempt < maxTries; attempt++) {
        try {
          execError = undefined;
          if (attempt > 0 && waitBetween) await abortableSleep(waitBetween, this.signal);
          const pinned = this.options.usePinData && !node.disabled ? this.def.pinData?.[node.name] : undefined;
          if (pinned) {
            emitStart();
            nodeSuccessData = [normalizePinItems(pinned)];
          } else {
            this.currentNode = node;
            const res = await Promise.race([this.runNode(ed, runIndex, emitStart), abortP]);
            nodeSuccessData = res;
            if (nodeSuccessData && node.onError === 'continueErrorOutput') routeErrorOutput(ed, nodeSuccessData);
          }
          nodeSuccessData = assignPairedItems(nodeSuccessData, ed);
          if (nodeSuccessData) this.lastNodeExecuted = node.name;
          nodeSuccessData = ensureAlwaysOutputData(nodeSuccessData, ed);
          if (nodeSuccessData === null) skipped = true;
          break;
        } catch (e) {
          execError = e;
          this.lastNodeExecuted = node.name;
          if (isCancellation(e) || this.stopped) break;
        }
      }
      if (skipped) {
        if (started) this.emit({ type: 'nodeEnd', executionId: this.executionId, node: node.name, nodeType: node.type, runIndex, status: 'success', itemsIn, itemsOut: [], durationMs: Date.now() - startTime });
        continue;
      }
      emitStart();
      (this.runData[node.name] ??= []);
      task.executionTime = Date.now() - startTime;
      task.executionStatus = 'success';
      if (execError !== undefined) {
        const cancelled = isCancellation(execError) || this.stopped;
        task.error = toErrorJson(cancelled ? this.stopReason ?? execError : execError, node);
        task.executionStatus = cancelled ? 'canceled' : 'error';
        const continues = !cancelled && (node.continueOnFail === true || node.onError === 'continueRegularOutput' || node.onError === 'continueErrorOutput');
        if (!continues) {
          this.runData[node.name].push(task);
          this.emit({ type: 'nodeEnd', executionId: this.executionId, node: node.name, nodeType: node.type, runIndex, status: task.executionStatus, itemsIn, itemsOut: [], durationMs: task.executionTime, error: task.error });
          return { raw: execError, json: task.error };
        }
        if (ed.data.main.length > 0 && ed.data.main[0] !== null) nodeSuccessData = [ed.data.main[0]];
      }
      normalizeNodeErrors(nodeSuccessData ?? []);
      task.data = { main: nodeSuccessData ?? [] };
      this.runData[node.name].push(task);
      this.emit({
        type: 'nodeEnd', executionId: this.executionId, node: node.name, nodeType: node.type, runIndex,
        status: task.executionStatus ?? 'success', itemsIn, itemsOut: (nodeSuccessData ?? []).map((o) => o?.length ?? 0),
        durationMs: task.executionTime, error: task.error,
      });
      this.enqueueChildren(node, nodeSuccessData ?? [], runIndex);
      this.runWaitingIfIdle();
    }
    return undefined;
  }

  private enqueueChildren(node: INode, out: INodeExecutionData[][], runIndex: number): void {
    const outs = this.graph.bySource.get(node.name);
    if (!outs) return;
    const toAdd: Array<{ position: [number, number]; conn: { node: string; index: number }; outputIndex: number }> = [];
    outs.forEach((targets, outputIndex) => {
      for (const c of targets) {
        if (!this.graph.nodes.has(c.node)) continue;
        if (out[outputIndex] && (out[outputIndex].length !== 0 || (c.index > 0 && !this.v1))) {
          if (this.v1) toAdd.push({ position: this.graph.getNode(c.node)?.position ?? [0, 0], conn: c, outputIndex });
          else this.addNodeToBeExecuted(c, outputIndex, node.name, out, runIndex);
        }
      }
    });
    if (this.v1) {
      toAdd.sort((a, b) => (a.position[1] < b.position[1] ? 1 : a.position[1] > b.position[1] ? -1 : a.position[0] > b.position[0] ? -1 : 0));
      for (const t of toAdd) this.addNodeToBeExecuted(t.conn, t.outputIndex, node.name, out, runIndex);
    }
  }

  private incomingConnectionIsEmpty(conns: Array<{ node: string; index: number }>, runIndex: number): boolean {
    for (const c of conns) {
      const d = this.runData[c.node]?.[runIndex]?.data?.main?.[c.index];
      if (d !== undefined && d !== null && d.length !== 0) return false;
    }
    return true;
  }

  private prepareWaiting(name: string, n: number, idx: number): void {
    (this.waiting[name] ??= {})[idx] = { main: Array(n).fill(null) };
    (this.waitingSource[name] ??= {})[idx] = { main: Array(n).fill(null) };
  }

  private enqueue(ed: ExecuteData): void {
    if (this.v1) this.stack.unshift(ed);
    else this.stack.push(ed);
  }

  private addNodeToBeExecuted(conn: { node: string; index: number }, outputIndex: number, parent: string, out: INodeExecutionData[][], runIndex: number): void {
    let stillMissing = false;
    let widx: number | undefined;
    const target = this.graph.getNode(conn.node)!;
    const nInputs = this.graph.inputCount(conn.node);
    if (nInputs > 1) {
      let wasWaiting = true;
      if (this.waiting[conn.node] === undefined) {
        this.waiting[conn.node] = {};
        this.waitingSource[conn.node] = {};
        wasWaiting = false;
      }
      let createNew = true;
      for (const k of Object.keys(this.waiting[conn.node])) {
        if (!this.waiting[conn.node][+k].main[conn.index]) {
          createNew = false;
          widx = +k;
          break;
        }
      }
      if (widx === undefined) widx = Object.values(this.waiting[conn.node]).length;
      if (createNew) this.prepareWaiting(conn.node, nInputs, widx);
      this.waiting[conn.node][widx].main[conn.index] = out[outputIndex];
      this.waitingSource[conn.node][widx].main[conn.index] = srcOf(parent, outputIndex, runIndex);
      const allFound = this.waiting[conn.node][widx].main.every((d) => d !== null);
      if (allFound) {
        this.enqueue({ node: target, data: this.waiting[conn.node][widx], source: this.waitingSource[conn.node][widx] });
        delete this.waiting[conn.node][widx];
        delete this.waitingSource[conn.node][widx];
        if (Object.keys(this.waiting[conn.node]).length === 0) {
          delete this.waiting[conn.node];
          delete this.waitingSource[conn.node];
        }
        return;
      }
      stillMissing = true;
      if (!wasWaiting && !this.v1) this.forceParents(conn, outputIndex, parent, out, runIndex);
    }
    let arr: Array<INodeExecutionData[] | null> | null = (widx !== undefined && this.waiting[conn.node]?.[widx]?.main) || null;
    if (arr === null) {
      arr = [];
      for (let i = conn.index; i >= 0; i--) arr[i] = null;
    }
    arr[conn.index] = out[outputIndex];
    if (stillMissing) {
      const src = this.waitingSource[conn.node][widx!].main;
      this.prepareWaiting(conn.node, nInputs, widx!);
      this.waiting[conn.node][widx!] = { main: arr };
      this.waitingSource[conn.node][widx!].main = src;
    } else {
      this.enqueue({ node: target, data: { main: arr }, source: { main: [srcOf(parent, outputIndex, runIndex)] } });
    }
  }

  /** Legacy (v0) order: make sure the other inputs of a multi-input node get executed. */
  private forceParents(conn: { node: string; index: number }, outputIndex: number, parent: string, out: INodeExecutionData[][], runIndex: number): void {
    const checkOutputNodes = (this.graph.bySource.get(parent) ?? []).flat().map((c) => c.node);
    const ins = this.graph.byDest.get(conn.node) ?? [];
    for (let ii = 0; ii < ins.length; ii++) {
      for (const inp of ins[ii] ?? []) {
        if (inp.node === parent) continue;
        const stackNodes = this.stack.map((s) => s.node.name);
        if (checkOutputNodes.includes(inp.node)) {
          if (!this.incomingConnectionIsEmpty(this.graph.byDest.get(inp.node)?.[0] ?? [], runIndex)) continue;
        }
        if (stackNodes.includes(inp.node)) continue;
        if (this.runData[inp.node] !== undefined) continue;
        const parents = this.graph.getParentNodes(inp.node);
        let nodeToAdd: string | undefined = inp.node;
        parents.push(inp.node);
        parents.reverse();
        for (const p of parents) {
          if (inp.node !== p && checkOutputNodes.includes(p)) {
            nodeToAdd = undefined;
            break;
          }
          if (stackNodes.includes(p)) {
            nodeToAdd = undefined;
            break;
          }
          if (this.runData[p] !== undefined) break;
          nodeToAdd = p;
        }
        if (nodeToAdd !== undefined && this.graph.getParentNodes(nodeToAdd).includes(parent) && out[outputIndex].length === 0) nodeToAdd = undefined;
        if (nodeToAdd === undefined) continue;
        const addEmpty = !this.graph.byDest.has(nodeToAdd) || this.incomingConnectionIsEmpty(this.graph.byDest.get(nodeToAdd)?.[0] ?? [], runIndex);
        if (addEmpty) {
          this.enqueue({
            node: this.graph.getNode(nodeToAdd)!,
            data: { main: [[{ json: {} }]] },
            source: { main: [srcOf(parent, outputIndex, runIndex)] },
          });
        }
      }
    }
  }

  /** v1: when the stack is empty, run a waiting multi-input node with the inputs it has. */
  private runWaitingIfIdle(): void {
    let waitingNodes = Object.keys(this.waiting);
    if (this.stack.length !== 0 || !waitingNodes.length) return;
    for (let i = 0; i < waitingNodes.length; i++) {
      const name = waitingNodes[i];
      const node = this.graph.getNode(name);
      if (!node) continue;
      const nt = getNodeType(node.type);
      const nInputs = nt?.inputs?.(node) ?? this.graph.inputCount(name);
      const required = this.v1 ? nt?.requiredInputs?.(node) : undefined;
      if (required !== undefined && (Array.isArray(required) ? required.length >= nInputs : required >= nInputs)) continue;
      if (this.graph.getParentNodes(name).some((p) => waitingNodes.includes(p))) continue;
      const idxs = Object.keys(this.waiting[name]).sort();
      const first = parseInt(idxs[0], 10);
      const entry = this.waiting[name][first].main;
      const withData = entry.map((d, i) => (d === null ? -1 : i)).filter((i) => i >= 0);
      if (Array.isArray(required) ? required.some((r) => !withData.includes(r)) : required !== undefined && withData.length < required) continue;
      const main = entry.map((d) => (d === null ? [] : d));
      const hasAny = main.some((d) => d.length);
      if (hasAny) {
        while (main.length < nInputs) main.push([]);
        this.stack.push({ node, data: { main }, source: this.waitingSource[name][first] });
      }
      delete this.waiting[name][first];
      delete this.waitingSource[name][first];
      if (Object.keys(this.waiting[name]).length === 0) {
        delete this.waiting[name];
        delete this.waitingSource[name];
      }
      if (hasAny) break;
      waitingNodes = Object.keys(this.waiting);
      i = -1;
    }
  }

  private ensureInputData(node: INode, ed: ExecuteData): boolean {
    const ins = this.graph.byDest.get(node.name) ?? [];
    for (let ci = 0; ci < ins.length; ci++) {
      if (this.graph.getHighestNode(node.name, ci).length === 0) return true;
      if (!this.v1 && (ed.data.main.length < ci || ed.data.main[ci] === null)) {
        this.stack.push(ed);
        return false;
      }
    }
    return true;
  }

  private async runNode(ed: ExecuteData, runIndex: number, emitStart: () => void): Promise<INodeExecutionData[][] | null | undefined> {
    const { node } = ed;
    if (node.disabled) {
      if (ed.data.main.length > 0) {
        if (ed.data.main[0] === null) return undefined;
        emitStart();
        return [ed.data.main[0]];
      }
      return undefined;
    }
    const nt: NodeType | undefined = getNodeType(node.type);
    if (!nt) throw new NodeOperationError(node, `Unsupported node type: ${node.type}`);
    let inputIndex = 0;
    let connectionInputData: INodeExecutionData[] | null | undefined = ed.data.main[0];
    if (!ed.data.main.length) return undefined;
    if (this.v1) {
      for (let i = 0; i < ed.data.main.length; i++) {
        if (ed.data.main[i]?.length) {
          connectionInputData = ed.data.main[i];
          inputIndex = i;
          break;
        }
      }
    }
    if (!connectionInputData || connectionInputData.length === 0) return undefined;
    let main = ed.data.main;
    if (node.executeOnce) main = main.map((m) => m && m.slice(0, 1));
    emitStart();
    const ctx = new ExecContext(this, node, nt, ed, { main }, runIndex, inputIndex);
    return await nt.execute(ctx);
  }
}

