import type { Config } from '../config.js';
import type { Core } from '../context.js';
import type { StoreCredentialsProvider } from '../credentials/provider.js';
import type { CredentialsProvider, IDataObject, RunOptions, RunResult, WorkflowDefinition } from '../engine/types.js';

/**
 * What the worker needs of the engine; tests and the embedded mode may pass their own. It must
 * stop at `opts.timeoutMs` by itself (resolving as canceled, with the engine's timeout error) and
 * when `opts.signal` aborts: the worker keeps no timer of its own, and gives up on a run only
 * 5 s after either (see Worker.armForceStop and beat).
 */
export type EngineRunner = (workflow: WorkflowDefinition, opts: RunOptions) => Promise<RunResult>;

/**
 * The definition as the engine runs it, made once per cached workflow version: n8n's Basic LLM
 * Chain + OpenAI chat model pattern becomes the engine's chat completion node, and its shape is
 * frozen, so every run shares one validation and one connection graph (freezeDefinition).
 */
export async function runnableDefinition(def: WorkflowDefinition): Promise<WorkflowDefinition> {
  const { freezeDefinition } = await import('../engine/index.js');
  if (!Array.isArray(def?.nodes) || !def.nodes.some((n) => typeof n?.type === 'string' && n.type.startsWith('@n8n/n8n-nodes-langchain.'))) return freezeDefinition(def);
  const { mapLangChainNodes } = await import('../engine/nodes/extra/index.js');
  return freezeDefinition(mapLangChainNodes(def).workflow);
}

/** The `env_allowlist` setting: the environment variables `$env` may read. */
export function envAllowlistOf(config: Pick<Config, 'get'>): string[] {
  return (config.get('env_allowlist') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

export async function loadEngine(): Promise<EngineRunner> {
  const { runWorkflow } = await import('../engine/index.js');
  return runWorkflow;
}

/**
 * Credentials of the execution's owner, decrypted only when a node asks. The store-backed
 * provider holds no per-user state, so one per Core is built (once) and shared; only the cheap
 * per-user view is made per execution.
 */
export async function credentialsFor(core: Core, userId: string): Promise<CredentialsProvider> {
  let provider = providers.get(core);
  if (!provider) {
    provider = import('../credentials/provider.js').then(({ credentialsProvider }) => credentialsProvider(core));
    providers.set(core, provider);
    provider.catch(() => providers.delete(core));
  }
  return (await provider).forExecution({ userId, role: 'user' });
}
const providers = new WeakMap<Core, Promise<StoreCredentialsProvider>>();

/** input_data → the trigger node's items: an object is one item, an array is one item per element. */
export function inputItems(input: unknown): IDataObject[] | undefined {
  if (input === null || input === undefined) return undefined;
  if (Array.isArray(input)) return input.map((v) => (v && typeof v === 'object' && !Array.isArray(v) ? (v as IDataObject) : { value: v }));
  if (typeof input === 'object') return [input as IDataObject];
  return [{ value: input }];
}

/** The workflow's own timeout (settings.executionTimeout, seconds) or the default; 0 = none. */
export function timeoutMsOf(definition: WorkflowDefinition, rowSettings: Record<string, unknown>, defaultS: number): number {
  const own = Number(definition.settings?.executionTimeout ?? rowSettings.executionTimeout);
  if (Number.isFinite(own) && own > 0) return own * 1000;
  return defaultS > 0 ? defaultS * 1000 : 0;
}
