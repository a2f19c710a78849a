import { createServer, type Server } from 'node:http';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ActingAs } from './actor.js';
import type { Core } from './context.js';
import { AuthError, JobsprintError } from './errors.js';
import type { ExecutionEvent } from './executions/events.js';

/**
 * `jobsprint quickstart`: from nothing to a workflow run and its log. Every step is safe to
 * repeat: the admin is created only on an empty installation (afterwards the same email and
 * password just log in), examples already imported by name are skipped, and each run is a new
 * execution of the same stored workflow.
 */
export const EXAMPLES_DIR = fileURLToPath(new URL('../../examples', import.meta.url));
/** The example quickstart runs: HTTP call, Code node and If branch in one. */
export const QUICKSTART_WORKFLOW = 'Example: Orders from a local API';

export interface QuickstartInput {
  email: string;
  password: string;
  /** Default: the part of the email before '@'. */
  username?: string;
}

export interface QuickstartHooks {
  /** A step finished (human progress; the command prints it on stderr). */
  onStep?(message: string): void;
  /** Live events of the example run (the per-node log). */
  onEvent?(e: ExecutionEvent): void;
  signal?: AbortSignal;
}

export interface QuickstartResult {
  database: { kind: 'pglite' | 'postgres'; location: string };
  user: { id: string; email: string; username: string; role: string; created: boolean };
  token_location: string;
  imported: Array<{ id: string; name: string }>;
  already_imported: string[];
  execution: { id: string; workflow_id: string; status: string };
  next: string[];
}

export function exampleFiles(dir = EXAMPLES_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => join(dir, f));
}

/** Orders the example workflow fetches: a local endpoint, so the quick start needs no network. */
export const EXAMPLE_ORDERS = [
  { id: 1001, customer: 'Ada', quantity: 2, unit_price: 19.5 },
  { id: 1002, customer: 'Grace', quantity: 10, unit_price: 42 },
  { id: 1003, customer: 'Linus', quantity: 1, unit_price: 7.25 },
  { id: 1004, customer: 'Margaret', quantity: 3, unit_price: 120 },
];

/** A tiny HTTP API on 127.0.0.1 (random port) serving GET /orders. */
export async function startExampleApi(): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    if (req.method === 'GET' && req.url?.split('?')[0] === '/orders') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ orders: EXAMPLE_ORDERS }));
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'not found' }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/orders`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export async function quickstart(core: Core, input: QuickstartInput, hooks: QuickstartHooks = {}): Promise<QuickstartResult> {
  const step = hooks.onStep ?? (() => {});
  const db = await core.db();
  const database = { kind: db.kind, location: db.displayName };
  step(`database: ${db.displayName} (migrated)`);

  // 1. The admin: created on an empty installation, otherwise it must already exist.
  const { normalizeEmail } = await import('./users/validate.js');
  const email = normalizeEmail(input.email);
  const { rows } = await db.query<{ n: number; found: boolean }>(
    'SELECT count(*)::int AS n, bool_or(email = $1) AS found FROM users',
    [email],
  );
  let created = false;
  if (!rows[0]!.found) {
    if (rows[0]!.n > 0) {
      throw new AuthError(`this installation already has users, and ${email} is not one of them`, {
        hint: 'run quickstart with the email of an existing admin, or log in with `jobsprint login`',
      });
    }
    const { createUser } = await import('./users/manage.js');
    await createUser(core, null, { email, username: input.username ?? defaultUsername(email), password: input.password });
    created = true;
    step(`created admin ${email}`);
  }

  // 2. Log in (checks the password on repeat runs), replacing a session stored earlier: as `login` does.
  const { loginAndStore } = await import('./auth/stored-session.js');
  const { authenticate } = await import('./auth/authenticate.js');
  const session = await loginAndStore(core, { email, password: input.password });
  const { saved } = session;
  const actor = await authenticate(core, session.token);
  const as: ActingAs = { actor, scope: { userId: actor.userId!, role: actor.role === 'admin' ? 'admin' : 'user' } };
  step(`logged in as ${session.user.username} <${email}>; token stored in ${saved.location}`);

  // 3. Examples, by name: those already there are left alone.
  const files = exampleFiles();
  const { readWorkflowSources } = await import('./workflows/sources.js');
  const read = await readWorkflowSources(files);
  const names = read.sources.map((s) => (s.doc as { name?: string }).name ?? s.fallbackName);
  const existing = await db.tenantTransaction(as.scope, (tx) =>
    tx.query<{ name: string }>('SELECT name FROM workflows WHERE user_id = $1 AND name = ANY($2::text[])', [as.scope.userId, names]),
  );
  const have = new Set(existing.rows.map((r) => r.name));
  const fresh = { ...read, sources: read.sources.filter((_, i) => !have.has(names[i]!)) };
  let imported: Array<{ id: string; name: string }> = [];
  if (fresh.sources.length) {
    const { importWorkflows } = await import('./workflows/import.js');
    const res = await importWorkflows(core, as, fresh);
    imported = res.imported.map((w) => ({ id: w.id, name: w.name }));
  }
  step(`examples: ${imported.length} imported, ${have.size} already there`);

  // 4. Run one, against a local endpoint, and stream its per-node log.
  const api = await startExampleApi();
  let execution: QuickstartResult['execution'];
  try {
    execution = await runExample(core, as, { api_url: api.url }, hooks);
  } finally {
    await api.close();
  }

  return {
    database,
    user: { id: session.user.id, email, username: session.user.username, role: session.user.role, created },
    token_location: saved.location,
    imported,
    already_imported: [...have],
    execution,
    next: nextSteps(execution.id),
  };
}

async function runExample(core: Core, as: ActingAs, input: unknown, hooks: QuickstartHooks): Promise<QuickstartResult['execution']> {
  const db = await core.db();
  const { openExecutionQueue } = await import('./executions/open-queue.js');
  const { enqueueExecutions } = await import('./executions/enqueue.js');
  const { followExecution } = await import('./executions/logs.js');
  const queue = await openExecutionQueue(core, { role: 'cli' });
  const res = await enqueueExecutions(db, queue, { requestId: core.requestId, userAgent: core.userAgent }, as, {
    workflowRef: QUICKSTART_WORKFLOW,
    inputs: [input],
    trigger: 'manual',
    maxRetries: 0,
  });
  const id = res.ids[0]!;
  if (!res.published && !core.hasAmqp()) {
    // In-process, nothing else would ever run it: following it would wait forever.
    throw new JobsprintError(`could not start the example run: ${res.publishError ?? 'not queued'}`, {
      hint: `it stays pending as execution ${id}; the next \`jobsprint run\` picks it up`,
    });
  }
  // With a server queue a daemon must pick it up; don't wait forever when none runs.
  const signals = [hooks.signal, core.hasAmqp() ? AbortSignal.timeout(60_000) : undefined].filter((s): s is AbortSignal => !!s);
  const followed = await followExecution(core, as.scope, id, {
    follow: true,
    onEvent: (e) => hooks.onEvent?.(e),
    signal: signals.length ? AbortSignal.any(signals) : undefined,
  });
  return { id, workflow_id: res.workflow.id, status: followed.status };
}

export function nextSteps(executionId: string): string[] {
  return [
    'jobsprint workflows list',
    `jobsprint executions show ${executionId}`,
    `jobsprint run "Example: Process in batches (loop)" --follow`,
    `jobsprint run "Example: Greeting by time of day (If)" --input '{"hour": 20}' --follow`,
    'jobsprint workflows import ./my-workflow.json    (any n8n workflow export)',
    'jobsprint doctor                                  (what runs where)',
    'production: set JOBSPRINT_DATABASE_URL, JOBSPRINT_REDIS_URL, JOBSPRINT_AMQP_URL; jobsprint db migrate; jobsprint daemon',
  ];
}

function defaultUsername(email: string): string {
  return email.split('@')[0]!.replace(/[^A-Za-z0-9_.-]/g, '').replace(/^[^A-Za-z0-9]+/, '').slice(0, 100) || 'admin';
}
