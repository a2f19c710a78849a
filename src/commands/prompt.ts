import { UsageError } from '../core/errors.js';

/** Prompts appear only when both stdin and stdout are terminals. */
export function isInteractive(): boolean {
  return !!process.stdin.isTTY && !!process.stdout.isTTY;
}

/** Fail with exit 2 naming the flag a script should pass instead of answering a prompt. */
export function requireInteractive(what: string, flag: string): void {
  if (!isInteractive()) {
    throw new UsageError(`${what} needs a terminal to prompt`, { hint: `pass ${flag}` });
  }
}

export async function promptSecret(message: string): Promise<string> {
  const { password } = await import('@inquirer/prompts');
  return password({ message, mask: true });
}

export async function promptText(message: string, opts: { default?: string } = {}): Promise<string> {
  const { input } = await import('@inquirer/prompts');
  return input({ message, default: opts.default });
}

export async function confirm(message: string): Promise<boolean> {
  const { confirm: ask } = await import('@inquirer/prompts');
  return ask({ message, default: false });
}

/**
 * Destructive commands: `--yes` skips the question; without it a TTY is asked and anything
 * else fails with exit 2.
 */
export async function confirmDestructive(message: string, yes: boolean | undefined): Promise<void> {
  if (yes) return;
  requireInteractive('confirmation', '--yes');
  if (!(await confirm(message))) throw new UsageError('cancelled', { hint: 'pass --yes to skip the question' });
}

/** Read all of stdin (for --password-stdin / --data-stdin); strips one trailing newline. */
export async function readStdin(stdin: NodeJS.ReadableStream = process.stdin): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}
