/**
 * Public types of the Jobsprint workflow engine. Shapes follow n8n's JSON
 * (workflow definitions, run data) so workflows and results are interchangeable.
 */

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };
export interface IDataObject { [key: string]: any }

export interface IPairedItemData {
  item: number;
  input?: number;
  sourceOverwrite?: ISourceData;
}

export interface IBinaryData {
  data: string; // base64
  mimeType: string;
  fileName?: string;
  fileExtension?: string;
  fileSize?: string;
  fileType?: string;
  directory?: string;
  id?: string;
  [key: string]: unknown;
}

export interface INodeExecutionData {
  json: IDataObject;
  binary?: Record<string, IBinaryData>;
  pairedItem?: IPairedItemData | IPairedItemData[] | number;
  error?: unknown;
  index?: number;
}

// ---- Workflow definition (n8n JSON) ----

export type OnErrorMode = 'stopWorkflow' | 'continueRegularOutput' | 'continueErrorOutput';

export interface INode {
  id?: string;
  name: string;
  type: string;
  typeVersion: number;
  position?: [number, number];
  parameters: IDataObject;
  disabled?: boolean;
  notes?: string;
  notesInFlow?: boolean;
  credentials?: Record<string, { id?: string | null; name: string }>;
  retryOnFail?: boolean;
  maxTries?: number;
  waitBetweenTries?: number;
  alwaysOutputData?: boolean;
  executeOnce?: boolean;
  onError?: OnErrorMode;
  continueOnFail?: boolean;
  webhookId?: string;
  [key: string]: unknown;
}

export interface IConnection {
  node: string;
  type: string; // 'main' (ai_* connection types are not executed by this engine)
  index: number;
}

/** source node name → connection type → output index → targets */
export type IConnections = Record<string, Record<string, Array<IConnection[] | null>>>;

export interface IWorkflowSettings {
  executionOrder?: 'v0' | 'v1';
  /** seconds; -1 or absent = no limit */
  executionTimeout?: number;
  timezone?: string;
  [key: string]: unknown;
}

export interface WorkflowDefinition {
  id?: string;
  name?: string;
  active?: boolean;
  nodes: INode[];
  connections: IConnections;
  settings?: IWorkflowSettings;
  pinData?: Record<string, Array<INodeExecutionData | IDataObject>>;
  staticData?: IDataObject | string | null;
  [key: string]: unknown;
}

// ---- Run data (n8n resultData.runData) ----

export interface ISourceData {
  previousNode: string;
  previousNodeOutput?: number;
  previousNodeRun?: number;
}

export interface ExecutionErrorJson {
  message: string;
  name?: string;
  description?: string | null;
  stack?: string;
  node?: { name: string; type: string };
  itemIndex?: number;
  [key: string]: unknown;
}

export interface ITaskData {
  startTime: number;
  executionTime: number;
  executionStatus?: 'success' | 'error' | 'canceled';
  source: Array<ISourceData | null>;
  data?: { main: Array<INodeExecutionData[] | null> };
  error?: ExecutionErrorJson;
  hints?: unknown[];
}

export type IRunData = Record<string, ITaskData[]>;

// ---- Injected services ----

export interface CredentialsProvider {
  /** Returns decrypted credential data for the node's credential of this type. */
  getCredentials(type: string, node: INode): Promise<IDataObject>;
  /**
   * Persists refreshed OAuth2 token data (access/refresh token, expiry) of the node's
   * credential of this type, so the next execution does not refresh again. Optional:
   * without it a refreshed token lives only for the current execution.
   */
  updateOAuthTokenData?(type: string, node: INode, tokenData: IDataObject): Promise<void>;
}

/** What a webhook server sends back to the caller (Respond to Webhook). */
export interface WebhookResponse {
  statusCode: number;
  /** lower-case header names */
  headers: Record<string, string>;
  /** JSON value or string; a Buffer for binary data; undefined for no body */
  body?: unknown;
}

export interface HttpRequestOptions {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  qs?: Record<string, unknown>;
  body?: unknown;
  json?: boolean;
  /** 'json' | 'text' | 'arraybuffer' */
  encoding?: 'json' | 'text' | 'arraybuffer';
  returnFullResponse?: boolean;
  ignoreHttpStatusErrors?: boolean;
  timeout?: number;
  signal?: AbortSignal;
  [key: string]: unknown;
}

export interface HttpResponse {
  statusCode: number;
  statusMessage?: string;
  headers: Record<string, string>;
  body: unknown;
}

/** Injectable HTTP transport (tests, proxies, recording). Must honour options.signal. */
export type HttpClient = (options: HttpRequestOptions) => Promise<HttpResponse>;

export interface Logger {
  debug(msg: string, meta?: unknown): void;
  info(msg: string, meta?: unknown): void;
  warn(msg: string, meta?: unknown): void;
  error(msg: string, meta?: unknown): void;
}

// ---- Node implementation contract ----

export interface NodeHelpers {
  /** HTTP through the injected client; aborted with the execution signal. */
  httpRequest(options: HttpRequestOptions): Promise<unknown>;
  /** Resolves after ms, rejects with a cancellation error when the execution is aborted. */
  sleep(ms: number): Promise<void>;
  returnJsonArray(data: IDataObject | IDataObject[]): INodeExecutionData[];
  /** n8n's constructExecutionMetaData: adds pairedItem to items. */
  constructExecutionMetaData(items: INodeExecutionData[], opts: { itemData: IPairedItemData | IPairedItemData[] }): INodeExecutionData[];
}

export interface WorkflowInfo {
  id?: string;
  name?: string;
  active: boolean;
}

export interface NodeExecuteContext {
  readonly node: INode;
  readonly workflow: WorkflowInfo;
  readonly workflowDefinition: WorkflowDefinition;
  readonly executionId: string;
  readonly runIndex: number;
  readonly mode: 'manual' | 'trigger' | 'webhook' | 'integrated' | 'cli';
  readonly signal: AbortSignal;
  readonly logger: Logger;
  readonly helpers: NodeHelpers;
  /** Items arriving on the given main input (default 0). */
  getInputData(inputIndex?: number): INodeExecutionData[];
  /** Number of main inputs the node type exposes that have connections/data. */
  getInputCount(): number;
  /** Source (previous node) of each input, as recorded in run data. */
  getInputSource(inputIndex?: number): ISourceData | null;
  /** Resolved parameter (expressions evaluated for itemIndex). Dotted paths allowed. */
  getNodeParameter(name: string, itemIndex: number, fallback?: unknown, opts?: { rawExpressions?: boolean }): any;
  /**
   * Evaluates an n8n expression ('=...{{ }}') or returns a literal unchanged. `extra` adds
   * variables the expression can read by name (n8n's additional keys, e.g. $response,
   * $request, $pageCount in HTTP Request pagination); plain data only, copied into the sandbox.
   */
  evaluateExpression(expression: string, itemIndex: number, extra?: Record<string, unknown>): unknown;
  getCredentials(type: string): Promise<IDataObject>;
  /** Persists refreshed OAuth2 token data through the credentials provider, when it supports that. */
  updateCredentialsOAuthTokenData(type: string, tokenData: IDataObject): Promise<void>;
  /** Hands the webhook response to the caller (first call wins, as in n8n). */
  sendResponse(response: WebhookResponse): void;
  continueOnFail(): boolean;
  getWorkflowStaticData(type: 'global' | 'node'): IDataObject;
  /** Run data of the execution so far (read-only view). */
  getRunData(): IRunData;
  /** Node-level persistent context for loops (SplitInBatches). Survives across runs of the node. */
  getNodeContext(): IDataObject;
  /** Runs JavaScript in the execution's sandbox (Code/Function nodes). */
  runCode(request: CodeRunRequest): Promise<INodeExecutionData[]>;
  /** Executes another workflow (executeWorkflow node). */
  executeSubWorkflow(wf: WorkflowDefinition, items: INodeExecutionData[], opts?: { waitForSubWorkflow?: boolean }): Promise<INodeExecutionData[][] | null>;
  loadWorkflow?(id: string): Promise<WorkflowDefinition>;
  /** Entry items supplied by the caller (triggers). */
  getTriggerItems(): INodeExecutionData[] | undefined;
  /** Parent node names (main connections) of this node. */
  getParentNodes(): string[];
  sendMessageToUI?(...args: unknown[]): void;
}

export interface CodeRunRequest {
  code: string;
  mode: 'runOnceForAllItems' | 'runOnceForEachItem';
  /** 'code' = Code node v1/v2; 'function' = Function node; 'functionItem' = FunctionItem node */
  flavor: 'code' | 'function' | 'functionItem';
  /** Item index for runOnceForEachItem/functionItem; undefined = all items */
  itemIndex?: number;
}

export interface NodeType {
  /** Full type name, e.g. 'n8n-nodes-base.set' */
  type: string;
  /** Supported typeVersions (informational; undefined = any) */
  versions?: number[];
  /** Number of main outputs for this node definition (default 1). */
  outputs?: (node: INode) => number;
  /** Number of main inputs (default 1). */
  inputs?: (node: INode) => number;
  /** Entry point (trigger) node */
  trigger?: boolean;
  /** Entry point that n8n starts only via HTTP (webhook, form): lowest start priority. */
  webhookLike?: boolean;
  /** v1 order: inputs that must have data before a waiting multi-input node may run. */
  requiredInputs?: (node: INode) => number | number[] | undefined;
  /** Purely visual (sticky notes): never executed, never in run data. */
  ignored?: boolean;
  /** Return null when the node produced nothing (n8n: no output). */
  execute(ctx: NodeExecuteContext): Promise<INodeExecutionData[][] | null>;
}

// ---- Run API ----

export type EngineEvent =
  | {
      type: 'nodeStart';
      executionId: string;
      node: string;
      nodeType: string;
      runIndex: number;
      itemsIn: number[];
      time: number;
    }
  | {
      type: 'nodeEnd';
      executionId: string;
      node: string;
      nodeType: string;
      runIndex: number;
      status: 'success' | 'error' | 'canceled';
      itemsIn: number[];
      itemsOut: number[];
      durationMs: number;
      error?: ExecutionErrorJson;
    };

export interface SandboxOptions {
  /** isolate heap limit in MB (default 128) */
  memoryLimitMb?: number;
  /** CPU time for one synchronous expression evaluation (default 1000 ms) */
  expressionTimeoutMs?: number;
  /** wall time for one Code node invocation (default: execution timeout or 60 s) */
  codeTimeoutMs?: number;
  /** max size of a result copied out of the sandbox, in bytes (default 64 MB) */
  maxResultBytes?: number;
}

export interface RunOptions {
  /** Items for the start/trigger node (default [{json:{}}]). */
  input?: INodeExecutionData[] | IDataObject[];
  signal?: AbortSignal;
  timeoutMs?: number;
  usePinData?: boolean;
  onEvent?: (event: EngineEvent) => void;
  credentials?: CredentialsProvider;
  httpClient?: HttpClient;
  /** Rewrites request URLs (e.g. to a mock server) before the client is called. */
  baseUrlRewrite?: (url: string) => string;
  executionId?: string;
  /** Names of host environment variables visible to $env. Default: none. */
  envAllowlist?: string[];
  env?: Record<string, string | undefined>;
  loadWorkflow?: (id: string) => Promise<WorkflowDefinition>;
  startNode?: string;
  logger?: Logger;
  mode?: NodeExecuteContext['mode'];
  sandbox?: SandboxOptions;
  /** Fixed clock for $now/$today (ms since epoch), for tests. */
  now?: () => number;
  /** Timezone for $now/$today; default settings.timezone or 'America/New_York' (n8n's default). */
  timezone?: string;
  /** Directory used to resolve executeWorkflow source 'localFile'. */
  baseDir?: string;
  /** Internal: depth of sub-workflow nesting. */
  depth?: number;
  /**
   * Called once, when a Respond to Webhook node produces the response (the first one wins);
   * a webhook server answers its waiting caller here instead of waiting for the end.
   */
  onWebhookResponse?: (response: WebhookResponse) => void;
}

export interface RunResult {
  status: 'success' | 'error' | 'canceled';
  runData: IRunData;
  lastNodeExecuted?: string;
  error?: ExecutionErrorJson;
  startedAt: number;
  stoppedAt: number;
  executionId: string;
  /** The response a Respond to Webhook node produced (also passed to onWebhookResponse). */
  webhookResponse?: WebhookResponse;
  /**
   * The workflow's static data after the run, when a node changed it (keys 'global' and
   * 'node:<name>', as n8n stores it); the caller persists it as the next run's `staticData`.
   */
  staticData?: IDataObject;
}

export interface ValidationProblem {
  kind: 'unknownNodeType' | 'badConnection' | 'duplicateName' | 'invalid' | 'noStartNode';
  node?: string;
  message: string;
}
