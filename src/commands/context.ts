import type { Command } from 'commander';
import { Config } from '../core/config.js';
import { Core } from '../core/context.js';
import { JobsprintError, exitCodeOf, UsageError } from '../core/errors.js';
import { Output, colorEnabled } from './output.js';

export interface GlobalOptions {
  json?: boolean;
  debug?: boolean;
  color?: boolean;
  profile?: string;
}

export interface CommandContext {
  core: Core;
  out: Output;
  /** The command's own options merged with the global ones. */
  opts: Record<string, any>;
  globals: GlobalOptions;
  env: NodeJS.ProcessEnv;
  stdin: NodeJS.ReadStream;
}

type Handler = (ctx: CommandContext, ...args: any[]) => Promise<number | void>;

export interface ActionOptions {
  /** Keep services reconnecting instead of failing fast (daemon). */
  longRunning?: boolean;
  /** `config` commands may name a profile that does not exist yet. */
  allowMissingProfile?: boolean;
}

/**
 * Wrap a command handler: build the context, run it, map any error to one line on stderr and
 * its exit code, and always close what was opened. The one place errors become exit codes.
 */
export function action(handler: Handler, actionOpts: ActionOptions = {}) {
  return async (...args: any[]): Promise<void> => {
    const cmd = args[args.length - 1] as Command;
    const positional = args.slice(0, -2);
    const opts = cmd.optsWithGlobals() as Record<string, any>;
    const globals: GlobalOptions = { json: !!opts.json, debug: !!opts.debug, color: opts.color, profile: opts.profile };
    const env = process.env;
    const noColor = globals.color === false;
    const out = new Output({
      json: !!globals.json,
      color: colorEnabled(process.stdout, env, noColor),
      colorErr: colorEnabled(process.stderr, env, noColor),
    });
    let core: Core | undefined;
    let code = 0;
    try {
      core = new Core({ config: new Config(env, { profile: globals.profile, allowMissingProfile: actionOpts.allowMissingProfile }), longRunning: actionOpts.longRunning });
      const ctx: CommandContext = { core, out, opts, globals, env, stdin: process.stdin };
      code = (await handler(ctx, ...positional)) ?? 0;
    } catch (err) {
      code = reportError(out, err, !!globals.debug);
    } finally {
      await core?.close();
    }
    process.exitCode = code;
  };
}

export function reportError(out: Output, err: unknown, debug: boolean): number {
  if (err instanceof JobsprintError) {
    out.error(oneLine(err.message), err.hint);
  } else {
    const e = err as Error;
    out.error(oneLine(e?.message ?? String(err)), debug ? undefined : 'run with --debug for details');
  }
  if (debug && err instanceof Error && err.stack) {
    out.stderr.write(err.stack + '\n');
    let cause = (err as { cause?: unknown }).cause;
    while (cause instanceof Error) {
      out.stderr.write(`caused by: ${cause.stack ?? cause.message}\n`);
      cause = (cause as { cause?: unknown }).cause;
    }
  }
  return exitCodeOf(err);
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}

/** Parse a positive integer flag value, or fail with exit 2 naming the flag. */
export function intOption(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`${name} must be a whole number, got "${value}"`);
    return n;
  };
}
