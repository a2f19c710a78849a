/**
 * `jobsprint run <file> --local`: run a workflow file in-process with the engine and
 * print a per-node table (tab-separated) or n8n-shaped JSON ({status, runData}).
 * No database, Redis or RabbitMQ: settings come from the environment / profile only.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { runWorkflow, assertRunnable, EngineValidationError, httpClientFromConfig } from '../core/engine/index.js';
import type { EngineEvent, IDataObject, RunOptions, WorkflowDefinition } from '../core/engine/index.js';
import { Config } from '../core/config.js';
import { runnableDefinition } from '../core/executions/engine-adapter.js';

export interface RunLocalOptions {
  file: string;
  /** JSON text or @path to a JSON file: one object or an array of items/objects */
  input?: string;
  json: boolean;
  usePinData?: boolean;
  stdout: NodeJS.WritableStream;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Used when the workflow sets no settings.executionTimeout of its own (ms; 0 = none). */
  defaultTimeoutMs?: number;
  /**
   * The http_deny_networks setting (extra networks/hosts outbound HTTP may not reach).
   * Default: resolved from the environment and the current profile.
   */
  httpDenyNetworks?: string;
  /** extra engine options (credentials provider, env allowlist, HTTP client, loader...) */
  engine?: Partial<RunOptions>;
}

async function readInput(spec: string, cwd: string): Promise<IDataObject[]> {
  let text = spec;
  if (spec.startsWith('@')) {
    const p = path.resolve(cwd, spec.slice(1));
    try {
      text = await readFile(p, 'utf8');
    } catch (e) {
      throw new EngineValidationError(`Cannot read input file ${p}: ${(e as Error).message}`);
    }
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new EngineValidationError(`Input is not valid JSON: ${(e as Error).message}`);
  }
  const arr = Array.isArray(v) ? v : [v];
  if (!arr.every((x) => x !== null && typeof x === 'object' && !Array.isArray(x))) throw new EngineValidationError('Input must be a JSON object or an array of objects');
  return arr as IDataObject[];
}

function fmtCounts(n: number[]): string {
  if (n.length === 0) return '0';
  return n.length === 1 ? String(n[0]) : n.join('/');
}

export async function runLocal(opts: RunLocalOptions): Promise<number> {
  const file = path.resolve(opts.file);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new EngineValidationError(`Cannot read workflow file ${file}: ${(e as Error).message}`);
  }
  let wf: WorkflowDefinition;
  try {
    wf = JSON.parse(text);
  } catch (e) {
    throw new EngineValidationError(`Workflow file ${file} is not valid JSON: ${(e as Error).message}`);
  }
  // n8n's Basic LLM Chain + OpenAI chat model runs as the chat completion node.
  wf = await runnableDefinition(wf);
  assertRunnable(wf);
  const input = opts.input !== undefined ? await readInput(opts.input, process.cwd()) : undefined;
  const ownTimeout = Number(wf.settings?.executionTimeout);
  const timeoutMs = opts.timeoutMs ?? (Number.isFinite(ownTimeout) && ownTimeout > 0 ? undefined : opts.defaultTimeoutMs);
  const ends: Extract<EngineEvent, { type: 'nodeEnd' }>[] = [];
  // The operator's SSRF deny-list applies to local runs too; a bad entry is exit code 2.
  const ownClient = opts.engine?.httpClient ? undefined : httpClientFromConfig(opts.httpDenyNetworks ?? new Config(process.env, { allowMissingProfile: true }).get('http_deny_networks'));
  const result = await runWorkflow(wf, {
    ...opts.engine,
    ...(ownClient ? { httpClient: ownClient } : {}),
    input,
    usePinData: opts.usePinData ?? false,
    signal: opts.signal,
    timeoutMs,
    baseDir: path.dirname(file),
    mode: 'cli',
    onEvent: (e) => {
      if (e.type === 'nodeEnd') ends.push(e);
      opts.engine?.onEvent?.(e);
    },
  }).finally(() => ownClient?.close());
  const out = opts.stdout;
  if (opts.json) {
    out.write(JSON.stringify({ status: result.status, runData: result.runData, ...(result.error ? { error: { message: result.error.message, node: result.error.node?.name } } : {}) }) + '\n');
  } else {
    out.write(['node', 'status', 'items', 'duration'].join('\t') + '\n');
    for (const e of ends) {
      const name = e.runIndex > 0 ? `${e.node} #${e.runIndex}` : e.node;
      out.write([name, e.status, `${fmtCounts(e.itemsIn)} → ${fmtCounts(e.itemsOut)}`, `${e.durationMs}ms`].join('\t') + '\n');
      if (e.error) out.write(['', 'error', e.error.message.replace(/[\t\n]+/g, ' '), ''].join('\t') + '\n');
    }
    out.write(['(workflow)', result.status, '', `${result.stoppedAt - result.startedAt}ms`].join('\t') + '\n');
  }
  return result.status === 'success' ? 0 : 1;
}
