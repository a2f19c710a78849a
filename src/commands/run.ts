import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { JobsprintError, UsageError, ValidationError } from '../core/errors.js';
import { envAllowlistOf } from '../core/executions/engine-adapter.js';
import { isUuid } from '../core/ids.js';
import { action, intOption, type CommandContext } from './context.js';
import { readStdin } from './prompt.js';
import { addUserOption, requireActor } from './session.js';

export function register(program: Command): void {
  addUserOption(
    program
      .command('run')
      .description('queue an execution of a workflow for the daemon (or run it here with --local)')
      .argument('<workflow>', 'workflow id or name (a file path with --local)')
      .option('--input <json|@file>', 'input for the trigger node: JSON, @file, or @- for stdin')
      .option('--trigger <type>', 'manual or api', 'manual')
      .option('--wait', 'wait until the execution ends (exit 0 success, 1 failed or cancelled)')
      .option('-f, --follow', 'print its log live until it ends (exit as for --wait)')
      .option('--count <n>', 'queue N executions with the same input', intOption('--count'))
      .option('--input-jsonl <file>', 'queue one execution per line of a JSON Lines file (- for stdin)')
      .option('--max-retries <n>', 'automatic retries after a failure (default: setting execution_max_retries, 3)', intOption('--max-retries'))
      .option('--local', 'run in this process without the queue or the database (engine only)'),
  )
    .addHelpText(
      'after',
      `
Examples:
  $ jobsprint run "Daily report" --input '{"day":"2024-01-01"}' --wait
  $ jobsprint run 3f2a…-id --follow
  $ jobsprint run "Import" --input-jsonl rows.jsonl --json     queue one execution per line
  $ jobsprint run ./workflow.json --local --json`,
    )
    .action(action(runCommand));
}

async function runCommand(ctx: CommandContext, workflowRef: string): Promise<number | void> {
  const { opts, out, core } = ctx;
  if (opts.local) return runLocalCommand(ctx, workflowRef);
  if (opts.trigger !== 'manual' && opts.trigger !== 'api') {
    throw new UsageError(`--trigger must be manual or api, got "${opts.trigger}"`);
  }
  if (opts.wait && opts.follow) throw new UsageError('use either --wait or --follow', { hint: '--follow also waits' });
  if (opts.inputJsonl !== undefined && opts.input !== undefined) throw new UsageError('use either --input or --input-jsonl');
  if (opts.count !== undefined && opts.count < 1) throw new UsageError('--count must be at least 1');
  const inputs = await readInputs(ctx);
  if ((opts.wait || opts.follow) && inputs.length !== 1) throw new UsageError('--wait and --follow follow one execution', { hint: 'drop --count / --input-jsonl' });
  if (!isUuid(workflowRef) && existsSync(workflowRef) && /\.json$/i.test(workflowRef)) {
    throw new UsageError(`"${workflowRef}" is a file; the queue runs stored workflows`, {
      hint: 'import it with `jobsprint workflows import`, or run it here with --local',
    });
  }

  const actingAs = await requireActor(ctx, { allowUserOverride: true });
  const db = await core.db();
  const { openExecutionQueue } = await import('../core/executions/open-queue.js');
  const { pipelineSettings } = await import('../core/executions/settings.js');
  const { enqueueExecutions } = await import('../core/executions/enqueue.js');
  // Connect first: with the broker down nothing is accepted (exit 6) rather than left waiting.
  const queue = await openExecutionQueue(core, { role: 'cli' });
  const res = await enqueueExecutions(db, queue, { requestId: core.requestId, userAgent: core.userAgent }, actingAs, {
    workflowRef,
    inputs,
    trigger: opts.trigger,
    maxRetries: opts.maxRetries ?? pipelineSettings(core.config).defaultMaxRetries,
  });
  if (res.published < res.ids.length && !core.hasAmqp()) {
    // Embedded mode has no daemon sweeper to publish it later: say so instead of waiting forever.
    throw new JobsprintError(`execution could not start in this process: ${res.publishError ?? 'the in-process queue refused it'}`, {
      hint: 'it stays pending and runs with the next `jobsprint run` or `jobsprint daemon`',
    });
  }
  if (res.published < res.ids.length) {
    out.warn(
      `${res.ids.length - res.published} execution(s) accepted but not yet on the queue (${res.publishError}); the daemon publishes them within seconds`,
    );
  }

  if (inputs.length > 1 || opts.count !== undefined || opts.inputJsonl !== undefined) {
    if (out.json) return out.printJson({ workflow_id: res.workflow.id, count: res.ids.length, published: res.published, ids: res.ids });
    return out.done(`queued ${res.ids.length} executions of "${res.workflow.name}"`, {});
  }
  const id = res.ids[0]!;
  if (opts.follow) return follow(ctx, actingAs.scope, id);
  if (opts.wait) {
    const { waitForExecution } = await import('../core/executions/wait.js');
    const { interruptSignal } = await import('./executions.js');
    const interrupt = interruptSignal();
    try {
      const end = await waitForExecution(db, actingAs.scope, id, { signal: interrupt.signal });
      if (out.json) out.printJson(end);
      else await out.record(end, [{ key: 'id' }, { key: 'status' }, { key: 'duration_ms', header: 'duration', format: (e) => (e.duration_ms === null ? '' : `${e.duration_ms} ms`) }, { key: 'error_message', header: 'error' }]);
      if (interrupt.signal.aborted && !['success', 'failed', 'cancelled'].includes(end.status)) return 130;
      return end.status === 'success' ? 0 : 1;
    } finally {
      interrupt.dispose();
    }
  }
  if (out.json) return out.printJson({ id, workflow_id: res.workflow.id, status: 'pending', published: res.published === 1 });
  out.write(id);
  if (!core.hasAmqp()) out.info(`ran execution of "${res.workflow.name}" in this process; see \`jobsprint executions show ${id}\``);
  else out.info(`queued execution of "${res.workflow.name}"; follow it with \`jobsprint executions logs ${id} --follow\``);
}

async function follow(ctx: CommandContext, scope: { userId: string; role: 'user' | 'admin' }, id: string): Promise<number> {
  const { followExecution } = await import('../core/executions/logs.js');
  const { printEvent, interruptSignal } = await import('./executions.js');
  const interrupt = interruptSignal();
  try {
    const res = await followExecution(ctx.core, scope, id, { follow: true, signal: interrupt.signal, onEvent: (e) => printEvent(ctx.out, e) });
    if (interrupt.signal.aborted && !res.final) return 130;
    return res.status === 'success' ? 0 : 1;
  } finally {
    interrupt.dispose();
  }
}

/** --input / --count / --input-jsonl → one input per execution. */
async function readInputs(ctx: CommandContext): Promise<unknown[]> {
  const { opts } = ctx;
  if (opts.inputJsonl !== undefined) {
    const text = opts.inputJsonl === '-' ? await readStdin() : readFileOrFail(opts.inputJsonl, '--input-jsonl');
    const lines = text.split('\n').map((l) => l.trim());
    const inputs: unknown[] = [];
    lines.forEach((line, i) => {
      if (!line) return;
      try {
        inputs.push(JSON.parse(line));
      } catch (err) {
        throw new ValidationError(`--input-jsonl line ${i + 1} is not JSON: ${(err as Error).message}`, { hint: 'one JSON value per line' });
      }
    });
    if (!inputs.length) throw new ValidationError('--input-jsonl has no lines', { hint: 'give one JSON value per line' });
    return inputs;
  }
  const input = opts.input === undefined ? null : await parseInput(opts.input);
  return Array.from({ length: opts.count ?? 1 }, () => input);
}

async function parseInput(raw: string): Promise<unknown> {
  let text = raw;
  if (raw.startsWith('@')) text = raw === '@-' ? await readStdin() : readFileOrFail(raw.slice(1), '--input');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ValidationError(`--input is not valid JSON: ${(err as Error).message}`, { hint: "pass JSON (e.g. '{\"a\":1}') or @file" });
  }
}

function readFileOrFail(path: string, flag: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${flag} file ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, { hint: 'check the path' });
  }
}

async function runLocalCommand(ctx: CommandContext, file: string): Promise<number | void> {
  const { opts, out, core } = ctx;
  if (opts.count !== undefined || opts.inputJsonl !== undefined || opts.wait || opts.follow) {
    throw new UsageError('--local runs one workflow file here; --count, --input-jsonl, --wait and --follow are for the queue');
  }
  const { runLocal } = await import('./run-local.js');
  const { pipelineSettings } = await import('../core/executions/settings.js');
  const { interruptSignal } = await import('./executions.js');
  const timeoutS = pipelineSettings(core.config).defaultTimeoutS;
  const interrupt = interruptSignal();
  try {
    return await runLocal({
      file,
      input: opts.input === '@-' ? await readStdin() : opts.input,
      json: out.json,
      stdout: out.stdout,
      signal: interrupt.signal,
      // The workflow's own settings.executionTimeout wins; this is the default for those without one.
      defaultTimeoutMs: timeoutS > 0 ? timeoutS * 1000 : undefined,
      httpDenyNetworks: core.config.get('http_deny_networks'),
      engine: { envAllowlist: envAllowlistOf(core.config) },
    });
  } finally {
    interrupt.dispose();
  }
}
