import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import ivm from 'isolated-vm';
import { installDataRuntime } from './runtime-data.js';
import { installEvalRuntime } from './runtime-eval.js';
import { pathHelpers } from '../nodes/shared/path.js';
import { installExtensions } from './runtime-ext.js';
import { installWebGlobals } from './runtime-web.js';
import { ExecutionCanceledError, SandboxError } from '../errors.js';
import type { SandboxOptions } from '../types.js';

/** Read-only view of the execution that the isolate may query (plain strings/numbers only). */
export interface SandboxHost {
  getRun(node: string, run: number): string;
  runCount(node: string): number;
  connIndex(dest: string, src: string): number;
  nodeParams(node: string): string;
  nodeContext(node: string): string;
  /** key: 'global' or 'node:<name>' */
  getStaticData(key: string): string;
  log(level: string, msg: string): void;
}

const require = createRequire(import.meta.url);
let libSources: { luxon: string; jmespath: string } | undefined;
const cachedData: Record<string, ivm.ExternalCopy<ArrayBuffer> | undefined> = {};

function libs() {
  if (!libSources) {
    const luxonMain = require.resolve('luxon');
    const luxonGlobal = path.join(path.dirname(luxonMain), '..', 'global', 'luxon.js');
    libSources = {
      luxon: readFileSync(luxonGlobal, 'utf8'),
      jmespath: readFileSync(require.resolve('jmespath'), 'utf8'),
    };
  }
  return libSources;
}

const BOOT = `(function (G, LIMITS) {
  const H = {};
  for (const k of Object.getOwnPropertyNames(G)) {
    if (k.startsWith('__h_')) { H[k.slice(4)] = G[k]; delete G[k]; }
  }
  const RT = {};
  RT.path = (${pathHelpers.toString()})();
  (${installWebGlobals.toString()})(G, H);
  (${installDataRuntime.toString()})(G, H, RT);
  (${installEvalRuntime.toString()})(G, H, RT, LIMITS);
  RT.extNames = (${installExtensions.toString()})(G, H);
  G.DateTime = G.luxon.DateTime; G.Duration = G.luxon.Duration; G.Interval = G.luxon.Interval;
  // Defence in depth (the isolate is the boundary): no code generation from user code,
  // so constructor chains like this.constructor.constructor('...') fail loudly.
  const deny = (what) => { const e = new Error(what + ' is not allowed in the sandbox'); e.name = 'SecurityError'; throw e; };
  const ctors = [Function, (async function () {}).constructor, (function* () {}).constructor, (async function* () {}).constructor];
  for (const C of ctors) Object.defineProperty(C.prototype, 'constructor', { get() { deny('Access to the Function constructor'); }, set() {}, configurable: false });
  G.Function = new Proxy(Function, { apply() { deny('Calling Function()'); }, construct() { deny('new Function()'); } });
  G.eval = function () { deny('eval()'); };
  return RT;
})`;

type Fn = ivm.Reference<(...args: any[]) => any>;

interface Generation {
  hostRef: { h: SandboxHost | null };
  isolate: ivm.Isolate;
  context: ivm.Context;
  fns: Record<'compile' | 'ev' | 'evExtra' | 'evMany' | 'evChunk' | 'setFrame' | 'compileCode' | 'runCode' | 'runCodeItem', Fn>;
  exprIds: Map<string, number>;
  codeIds: Map<string, number>;
  frameKey: unknown;
  /** hit a limit or was interrupted: never handed to another execution */
  tainted?: boolean;
}

export const DEFAULT_SANDBOX: Required<SandboxOptions> = {
  memoryLimitMb: 128,
  expressionTimeoutMs: 1000,
  codeTimeoutMs: 60_000,
  maxResultBytes: 64 * 1024 * 1024,
};

/**
 * One isolated-vm isolate per execution at a time, always with a fresh context (new
 * intrinsics, so prototype pollution cannot leak between executions). An execution that
 * ends cleanly hands its isolate back for the next one (creating an isolate is the costly
 * part); an isolate killed by a limit, a timeout or a cancel is never reused.
 */
export class Sandbox {
  private gen: Generation | undefined;
  private disposed = false;
  readonly opts: Required<SandboxOptions>;

  constructor(private host: SandboxHost, opts: SandboxOptions = {}, private signal?: AbortSignal) {
    this.opts = { ...DEFAULT_SANDBOX, ...opts };
  }

  private inflight = 0;

  private create(): Generation {
    if (this.disposed) throw new ExecutionCanceledError();
    const gen = takePooled(this.opts) ?? createGeneration(this.opts, takeIdleIsolate(this.opts));
    gen.hostRef.h = this.host;
    schedulePoolRefill(this.opts);
    return gen;
  }

  private ensure(): Generation {
    if (!this.gen || this.gen.isolate.isDisposed) this.gen = this.create();
    return this.gen;
  }

  /** Make `frameKey` the current node frame inside the isolate (sent once per node run). */
  useFrame(frameKey: unknown, build: () => string): void {
    const g = this.ensure();
    if (g.frameKey === frameKey) return;
    this.call(g, g.fns.setFrame, [build()], this.opts.expressionTimeoutMs * 10);
    g.frameKey = frameKey;
  }

  /** Compile a generated expression body; returns its id (cached per source). */
  compileExpression(body: string): number {
    const g = this.ensure();
    let id = g.exprIds.get(body);
    if (id === undefined) {
      id = g.exprIds.size;
      this.call(g, g.fns.compile, [id, body], this.opts.expressionTimeoutMs);
      g.exprIds.set(body, id);
    }
    return id;
  }

  evaluate(id: number, itemIndex: number): unknown {
    const g = this.ensure();
    return decode(this.call(g, g.fns.ev, [id, itemIndex], this.opts.expressionTimeoutMs));
  }

  /** Like evaluate, with `extraJson` (a JSON object) readable through the names compiled into `id`. */
  evaluateWithExtra(id: number, itemIndex: number, extraJson: string): unknown {
    const g = this.ensure();
    return decode(this.call(g, g.fns.evExtra, [id, itemIndex, extraJson], this.opts.expressionTimeoutMs));
  }

  evaluateMany(ids: number[], itemIndex: number): unknown[] {
    const g = this.ensure();
    const out = this.call(g, g.fns.evMany, [ids, itemIndex], this.opts.expressionTimeoutMs) as unknown[];
    return out.map(decode);
  }

  /** Per item in [from, to): decoded values, or an Error for items whose evaluation threw. */
  evaluateChunk(ids: number[], from: number, to: number): Array<unknown[] | Error> {
    const g = this.ensure();
    const out = this.call(g, g.fns.evChunk, [ids, from, to], this.opts.expressionTimeoutMs) as Array<unknown[] | { __err: [string, string, string | null] }>;
    return out.map((r) => {
      if (Array.isArray(r)) return r.map(decode);
      const e = new Error(r.__err[1].replace(/__x_/g, ''));
      e.name = r.__err[0];
      if (r.__err[2] !== null) (e as any).description = r.__err[2];
      return e;
    });
  }

  /** Frame key the compiled ids belong to: ids are only valid within one isolate generation. */
  get generation(): unknown {
    return this.gen;
  }

  private call(g: Generation, fn: Fn, args: unknown[], timeout: number): unknown {
    try {
      return fn.applySync(undefined, args as any[], { arguments: { copy: true }, result: { copy: true }, timeout });
    } catch (e) {
      throw this.mapError(e, g, timeout);
    }
  }

  /** Runs Code/Function/FunctionItem code asynchronously so cancellation and timeouts can kill it. */
  async runCode(source: string, flavor: string, mode: string, itemIndex?: number, timeoutMs?: number): Promise<any> {
    const g = this.ensure();
    let id = g.codeIds.get(source);
    if (id === undefined) {
      id = g.codeIds.size;
      this.call(g, g.fns.compileCode, [id, source], this.opts.expressionTimeoutMs * 5);
      g.codeIds.set(source, id);
    }
    const timeout = timeoutMs ?? this.opts.codeTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    let killedBy: 'timeout' | 'abort' | undefined;
    const kill = (why: 'timeout' | 'abort') => {
      killedBy ??= why;
      if (!g.isolate.isDisposed) g.isolate.dispose();
    };
    const onAbort = () => kill('abort');
    this.signal?.addEventListener('abort', onAbort);
    timer = setTimeout(() => kill('timeout'), timeout);
    this.inflight++;
    try {
      if (this.signal?.aborted) kill('abort');
      const fn = itemIndex === undefined ? g.fns.runCode : g.fns.runCodeItem;
      const args = itemIndex === undefined ? [id, flavor, mode] : [id, itemIndex, flavor];
      const res = await fn.apply(undefined, args, { arguments: { copy: true }, result: { promise: true, copy: true }, timeout });
      return JSON.parse(res as string);
    } catch (e) {
      if (killedBy === 'abort') throw this.signal?.reason instanceof Error ? this.signal.reason : new ExecutionCanceledError();
      if (killedBy === 'timeout') throw new SandboxError(`Code execution timed out after ${timeout} ms`, 'timeout');
      throw this.mapError(e, g, timeout);
    } finally {
      this.inflight--;
      clearTimeout(timer);
      this.signal?.removeEventListener('abort', onAbort);
    }
  }

  private mapError(e: unknown, g: Generation, timeout: number): Error {
    const msg = String((e as any)?.message ?? e);
    if (/timed out|memory limit|disposed/i.test(msg)) g.tainted = true;
    if (/Script execution timed out/.test(msg)) return new SandboxError(`Execution timed out after ${timeout} ms (sandbox CPU limit)`, 'timeout');
    if (/memory limit/i.test(msg) || (g.isolate.isDisposed && /disposed/i.test(msg)))
      return new SandboxError(`Sandbox memory limit of ${this.opts.memoryLimitMb} MB exceeded`, 'memory');
    if (/disposed/i.test(msg)) return new SandboxError('Sandbox was terminated', 'disposed');
    const err = e instanceof Error ? e : new Error(msg);
    err.message = err.message.replace(/__x_/g, '');
    return err;
  }

  dispose(): void {
    this.disposed = true;
    const g = this.gen;
    this.gen = undefined;
    if (!g || g.isolate.isDisposed) return;
    g.hostRef.h = null;
    if (this.inflight > 0 || g.tainted || this.signal?.aborted || !recycleIsolate(g, this.opts)) g.isolate.dispose();
  }
}

let created = 0;
let contexts = 0;
/** Isolates created by this process so far. */
export const isolatesCreated = (): number => created;
/** Sandbox contexts (one per execution that needed the sandbox) created so far: tests check fast paths avoid them. */
export const sandboxContextsCreated = (): number => contexts;

// Isolates of finished executions, ready for a new context. Their contexts are released
// before they get here; nothing of an execution lives on in the isolate but garbage.
const idle = new Map<string, ivm.Isolate[]>();
const MAX_IDLE = 4;

function takeIdleIsolate(opts: Required<SandboxOptions>): ivm.Isolate | undefined {
  const list = idle.get(poolKey(opts));
  while (list?.length) {
    const iso = list.pop()!;
    if (!iso.isDisposed) return iso;
  }
  return undefined;
}

function recycleIsolate(g: Generation, opts: Required<SandboxOptions>): boolean {
  try {
    const heap = g.isolate.getHeapStatisticsSync();
    // an isolate near its limit is not worth keeping: a fresh one starts clean
    if (heap.used_heap_size + heap.externally_allocated_size > (opts.memoryLimitMb * 1024 * 1024) / 4) return false;
    for (const f of Object.values(g.fns)) f.release();
    g.context.release();
    const key = poolKey(opts);
    const list = idle.get(key) ?? [];
    idle.set(key, list);
    if (list.length >= Math.max(MAX_IDLE, POOL_SIZE)) return false;
    list.push(g.isolate);
    return true;
  } catch {
    return false;
  }
}

function createGeneration(opts: Required<SandboxOptions>, reuse?: ivm.Isolate): Generation {
  const hostRef: { h: SandboxHost | null } = { h: null };
  if (!reuse) created++;
  contexts++;
  const isolate = reuse ?? new ivm.Isolate({ memoryLimit: opts.memoryLimitMb });
  const context = isolate.createContextSync();
  const g = context.global;
  g.setSync('globalThis', g.derefInto());
  const src = libs();
  for (const name of ['luxon', 'jmespath'] as const) {
    const script = isolate.compileScriptSync(src[name], { filename: `${name}.js`, cachedData: cachedData[name], produceCachedData: !cachedData[name] } as any);
    if (!cachedData[name] && (script as any).cachedData) cachedData[name] = (script as any).cachedData;
    script.runSync(context);
    script.release();
  }
  const h = new Proxy({} as SandboxHost, { get: (_t, k) => (hostRef.h as any)?.[k] ?? (() => '') });
  const cb = (f: (...a: any[]) => any) => new ivm.Callback(f);
  g.setSync('__h_getRun', cb((n: string, r: number) => h.getRun(String(n), Number(r))));
  g.setSync('__h_runCount', cb((n: string) => h.runCount(String(n))));
  g.setSync('__h_connIndex', cb((d: string, s: string) => h.connIndex(String(d), String(s))));
  g.setSync('__h_nodeParams', cb((n: string) => h.nodeParams(String(n))));
  g.setSync('__h_nodeContext', cb((n: string) => h.nodeContext(String(n))));
  g.setSync('__h_getStaticData', cb((t: string) => h.getStaticData(String(t))));
  g.setSync('__h_log', cb((l: string, m: string) => h.log(String(l), String(m))));
  g.setSync('__h_hash', cb((algo: string, s: string) => hashString(String(algo), String(s))));
  g.setSync('__h_b64', cb((s: string, dir: string) => b64(String(s), String(dir))));
  g.setSync('__h_url', cb((u: string, base: string) => parseUrl(String(u), String(base))));
  const boot = context.evalSync(BOOT, { reference: true }) as ivm.Reference<any>;
  const rt = boot.applySync(undefined, [g.derefInto(), new ivm.ExternalCopy({ maxResultBytes: opts.maxResultBytes }).copyInto()], {
    result: { reference: true },
  }) as ivm.Reference<any>;
  const get = (k: string) => rt.getSync(k, { reference: true }) as Fn;
  const fns = {
    compile: get('compile'),
    ev: get('ev'),
    evExtra: get('evExtra'),
    evMany: get('evMany'),
    evChunk: get('evChunk'),
    setFrame: get('setFrame'),
    compileCode: get('compileCode'),
    runCode: get('runCode'),
    runCodeItem: get('runCodeItem'),
  };
  return { hostRef, isolate, context, fns, exprIds: new Map(), codeIds: new Map(), frameKey: undefined };
}


// A few fresh (never used) isolates are prepared in the background so an execution does
// not pay isolate + Luxon + runtime start-up (~40 ms) on its critical path.
let POOL_SIZE = Math.max(0, Number(process.env.JOBSPRINT_SANDBOX_POOL ?? 0));

/** Long-running hosts (worker daemon) can keep n fresh isolates ready; 0 (default) disables. */
export function setSandboxPoolSize(n: number): void {
  POOL_SIZE = Math.max(0, Math.floor(n));
  if (POOL_SIZE === 0) {
    for (const list of pool.values()) while (list.length) list.pop()!.isolate.dispose();
    for (const list of idle.values()) while (list.length) list.pop()!.dispose();
  }
  else schedulePoolRefill({ ...DEFAULT_SANDBOX });
}
const pool = new Map<string, Generation[]>();
const refilling = new Set<string>();
const poolKey = (o: Required<SandboxOptions>) => `${o.memoryLimitMb}:${o.maxResultBytes}`;

function takePooled(opts: Required<SandboxOptions>): Generation | undefined {
  const list = pool.get(poolKey(opts));
  while (list?.length) {
    const g = list.pop()!;
    if (!g.isolate.isDisposed) return g;
  }
  return undefined;
}

function schedulePoolRefill(opts: Required<SandboxOptions>): void {
  const key = poolKey(opts);
  if (POOL_SIZE === 0 || refilling.has(key)) return;
  refilling.add(key);
  setTimeout(() => {
    refilling.delete(key);
    const list = pool.get(key) ?? [];
    pool.set(key, list);
    try {
      while (list.length < POOL_SIZE) list.push(createGeneration(opts));
    } catch {
      /* best effort */
    }
  }, 0).unref();
}

function decode(v: unknown): unknown {
  if (Array.isArray(v)) return JSON.parse(v[0] as string);
  return v;
}

function b64(s: string, dir: string): string {
  if (dir === 'enc') return Buffer.from(s, 'utf8').toString('base64');
  if (dir === 'dec') return Buffer.from(s, 'base64').toString('utf8');
  if (dir === 'latin1enc') {
    if (/[^\u0000-\u00ff]/.test(s)) throw new Error('Invalid character');
    return Buffer.from(s, 'latin1').toString('base64');
  }
  return Buffer.from(s, 'base64').toString('latin1');
}

function parseUrl(u: string, base: string): string {
  try {
    const x = base ? new URL(u, base) : new URL(u);
    const { href, origin, protocol, username, password, host, hostname, port, pathname, search, hash } = x;
    return JSON.stringify({ href, origin, protocol, username, password, host, hostname, port, pathname, search, hash });
  } catch {
    return '';
  }
}

function hashString(algo: string, s: string): string {
  const map: Record<string, string> = { md5: 'md5', sha1: 'sha1', sha224: 'sha224', sha256: 'sha256', sha384: 'sha384', sha512: 'sha512', 'sha3-256': 'sha3-256', 'sha3-384': 'sha3-384', 'sha3-512': 'sha3-512', sha3: 'sha3-512' };
  const a = map[algo];
  if (!a) throw new Error(`Unknown hash algorithm ${algo}`);
  return createHash(a).update(s).digest(algo === 'base64' ? 'base64' : 'hex');
}
