import { Option, type Command } from 'commander';
import { action, intOption, type CommandContext } from './context.js';
import type { Column } from './output.js';
import { ForbiddenError, UsageError, ValidationError } from '../core/errors.js';
import type { ActingAs } from '../core/actor.js';
import type { CredentialDetail, CredentialSummary } from '../core/credentials/store.js';
import type { RotateProgress } from '../core/credentials/rotate.js';
import { CREDENTIAL_FIELDS, CREDENTIAL_TYPES, parseCredentialType, type CredentialType } from '../core/credentials/types.js';
import { addUserOption, operatorActor, requireActor } from './session.js';

const LIST_COLUMNS: Column<CredentialSummary>[] = [
  { key: 'id' },
  { key: 'name' },
  { key: 'type' },
  { key: 'app_id', header: 'INTEGRATION' },
  { key: 'key_id', header: 'KEY' },
  { key: 'last_used_at', header: 'LAST USED' },
  { key: 'updated_at', header: 'UPDATED' },
];

const DETAIL_FIELDS: Column<CredentialDetail>[] = [
  { key: 'id' },
  { key: 'name' },
  { key: 'type' },
  { key: 'app_id', header: 'integration' },
  { key: 'key_id' },
  { key: 'oauth_expires_at' },
  { key: 'created_at' },
  { key: 'updated_at' },
  { key: 'last_used_at' },
];

const DATA_SOURCES = '--data-stdin (JSON on stdin) or --data-file <path>';

/** `--data '{...}'` would put the secret in shell history and `ps`; it exists only to say so. */
function refuseDataFlag(cmd: Command): Command {
  return cmd.addOption(new Option('--data <json>').hideHelp());
}

function checkDataFlag(opts: Record<string, any>): void {
  if (opts.data !== undefined) {
    throw new UsageError('secrets are not accepted on the command line (they end up in shell history and process lists)', {
      hint: `pipe the JSON into --data-stdin, e.g. \`jobsprint credentials add … --data-stdin < secret.json\`, or use --data-file`,
    });
  }
}

/** Credential data from --data-stdin / --data-file, or undefined when neither was given. */
async function readDataFlags(ctx: CommandContext): Promise<Record<string, unknown> | undefined> {
  const { opts } = ctx;
  checkDataFlag(opts);
  if (opts.dataStdin && opts.dataFile) throw new UsageError('use only one of --data-stdin and --data-file');
  let text: string;
  let from: string;
  if (opts.dataStdin) {
    const { readStdin } = await import('./prompt.js');
    text = await readStdin(ctx.stdin);
    from = 'stdin';
  } else if (opts.dataFile) {
    const { readFile } = await import('node:fs/promises');
    try {
      text = await readFile(opts.dataFile, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read --data-file ${opts.dataFile}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    from = opts.dataFile;
  } else return undefined;
  if (!text.trim()) throw new ValidationError(`no credential data on ${from}`, { hint: 'provide a JSON object' });
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the input, which is a secret: never pass it on.
    throw new ValidationError(`credential data on ${from} is not valid JSON`, { hint: 'provide a JSON object, e.g. {"apiKey": "…"}' });
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ValidationError(`credential data on ${from} must be a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

/** Ask for each field on a terminal; secret ones without echo. `keep` = empty answers keep the old value. */
async function promptFields(type: CredentialType, keep: boolean): Promise<Record<string, unknown>> {
  const { promptSecret, promptText } = await import('./prompt.js');
  const data: Record<string, unknown> = {};
  for (const f of CREDENTIAL_FIELDS[type]) {
    if (f.kind === 'object') continue; // token bundles come from --data-stdin / the OAuth flow
    const label = `${f.description}${f.required && !keep ? '' : ' (optional)'}${keep ? ' [empty: keep]' : ''}:`;
    for (;;) {
      const v = f.secret ? await promptSecret(label) : await promptText(label);
      if (v) data[f.name] = v;
      if (v || keep || !f.required) break;
    }
  }
  return data;
}

async function deps(ctx: CommandContext) {
  const { credentialDeps } = await import('../core/credentials/provider.js');
  return credentialDeps(ctx.core);
}

function withData(d: CredentialDetail): Column<CredentialDetail>[] {
  return [...DETAIL_FIELDS, ...Object.keys(d.data ?? {}).map((k) => ({ key: k, header: `data.${k}`, format: (r: CredentialDetail) => String(r.data[k]) }))];
}

export async function requireRotator(ctx: CommandContext): Promise<ActingAs['actor']> {
  if (ctx.opts.asOperator) return operatorActor();
  const { actor } = await requireActor(ctx);
  if (actor.role !== 'admin') {
    throw new ForbiddenError('only admins or the operator can rotate the encryption key', { hint: 'log in as an admin, or pass --as-operator' });
  }
  return actor;
}

export function register(program: Command): void {
  const creds = program
    .command('credentials')
    .description('encrypted credentials that workflows use to call other services')
    .addHelpText(
      'after',
      `
Each credential is encrypted with its own data key (AES-256-GCM), wrapped by a key-encryption
key from JOBSPRINT_ENCRYPTION_KEYS(_FILE) or \`jobsprint keys init\`. Secrets are read from hidden
prompts, --data-stdin or --data-file, never from flags.

Exit codes: 6 no encryption key configured, or the key a credential was wrapped with is missing;
1 a credential's stored data failed its integrity check (modified or corrupted).`,
    );

  const add = creds
    .command('add')
    .description('store a credential (secret fields from hidden prompts, --data-stdin or --data-file; never from flags)')
    .requiredOption('--name <name>', 'name, unique per user (workflows refer to it by id or name)')
    .requiredOption('--type <type>', CREDENTIAL_TYPES.join('|'))
    .option('--integration <app_id>', 'link it to one of your integrations')
    .option('--data-stdin', 'read the fields as a JSON object from stdin')
    .option('--data-file <path>', 'read the fields as a JSON object from a file')
    .addHelpText(
      'after',
      `\nFields per type:\n${CREDENTIAL_TYPES.map((t) => `  ${t.padEnd(12)}${CREDENTIAL_FIELDS[t].map((f) => (f.required ? f.name : `[${f.name}]`)).join(' ')}`).join('\n')}\n\nExample:\n  $ echo '{"user":"app","password":"…"}' | jobsprint credentials add --name db --type basic_auth --data-stdin`,
    );
  refuseDataFlag(addUserOption(add)).action(
    action(async (ctx) => {
      const { out, opts } = ctx;
      checkDataFlag(opts);
      const type = parseCredentialType(opts.type);
      const as = await requireActor(ctx, { allowUserOverride: true });
      let data = await readDataFlags(ctx);
      if (data === undefined) {
        const { requireInteractive } = await import('./prompt.js');
        requireInteractive('the credential fields', DATA_SOURCES);
        data = await promptFields(type, false);
      }
      const { createCredential } = await import('../core/credentials/store.js');
      const c = await createCredential(await deps(ctx), as, { name: opts.name, type, data, integration: opts.integration });
      if (out.json) return out.printJson(c);
      out.write(`added credential "${c.name}" (${c.type}, ${c.id})`);
    }),
  );

  const list = creds
    .command('list')
    .description('list your credentials (no secret data)')
    .addOption(new Option('--type <type>', 'only this type').choices([...CREDENTIAL_TYPES]));
  addUserOption(list).action(
    action(async (ctx) => {
      const { scope } = await requireActor(ctx, { allowUserOverride: true });
      const { listCredentials } = await import('../core/credentials/store.js');
      await ctx.out.list(await listCredentials(await deps(ctx), scope, { type: ctx.opts.type }), LIST_COLUMNS);
    }),
  );

  const show = creds
    .command('show <id|name>')
    .description('show a credential, secret fields masked (••••c9f2)')
    .option('--reveal', 'print the secret fields in clear (owner only; recorded in the audit log)');
  addUserOption(show).action(
    action(async (ctx, ref: string) => {
      const { out, opts } = ctx;
      const as = await requireActor(ctx, { allowUserOverride: true });
      const store = await import('../core/credentials/store.js');
      const d = await deps(ctx);
      const c = opts.reveal ? await store.revealCredential(d, as, ref) : await store.getCredential(d, as, ref);
      if (out.json) return out.printJson(c);
      await out.record(c as CredentialDetail, withData(c as CredentialDetail));
    }),
  );

  const update = creds
    .command('update <id|name>')
    .description('change a credential: name, integration, or fields (merged into the stored ones)')
    .option('--name <name>', 'new name')
    .option('--integration <app_id>', 'link it to this integration')
    .option('--data-stdin', 'read the fields to change as a JSON object from stdin (null removes an optional field)')
    .option('--data-file <path>', 'read the fields to change from a file')
    .option('--replace', 'the data read is the whole new data, not merged (works even when the old key is lost)');
  refuseDataFlag(addUserOption(update)).action(
    action(async (ctx, ref: string) => {
      const { out, opts } = ctx;
      checkDataFlag(opts);
      const as = await requireActor(ctx, { allowUserOverride: true });
      const store = await import('../core/credentials/store.js');
      const d = await deps(ctx);
      let data = await readDataFlags(ctx);
      if (opts.replace && data === undefined) throw new UsageError('--replace needs the new data', { hint: `pass ${DATA_SOURCES}` });
      if (data === undefined && opts.name === undefined && opts.integration === undefined) {
        const { isInteractive } = await import('./prompt.js');
        if (!isInteractive()) throw new UsageError('nothing to update', { hint: `pass --name, --integration, ${DATA_SOURCES}` });
        const current = await store.getCredential(d, as, ref);
        data = await promptFields(current.type, true);
        if (!Object.keys(data).length) throw new UsageError('nothing changed');
      }
      const c = await store.updateCredential(d, as, ref, { name: opts.name, integration: opts.integration, data, replace: !!opts.replace });
      if (out.json) return out.printJson(c);
      out.write(`updated credential "${c.name}" (${c.id})`);
    }),
  );

  const del = creds
    .command('delete <id|name>')
    .description('delete a credential (refused while an active workflow uses it)')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--force', 'delete even if active workflows use it (they will fail until given another)');
  addUserOption(del).action(
    action(async (ctx, ref: string) => {
      const { out, opts } = ctx;
      const as = await requireActor(ctx, { allowUserOverride: true });
      const { confirmDestructive } = await import('./prompt.js');
      await confirmDestructive(`Delete credential "${ref}"?`, opts.yes);
      const { deleteCredential } = await import('../core/credentials/store.js');
      const r = await deleteCredential(await deps(ctx), as, ref, { force: !!opts.force });
      if (r.workflows.length) out.warn(`${r.workflows.length} active workflow(s) still refer to it: ${r.workflows.map((w) => `"${w.name}"`).join(', ')}`);
      out.done(`deleted credential "${r.name}" (${r.id})`, { id: r.id, name: r.name, deleted: true, workflow_ids: r.workflows.map((w) => w.id) });
    }),
  );

  creds
    .command('rotate-key')
    .description('re-wrap every credential under the active (or given) key; online, resumable')
    .option('--to <key_id>', 'target key (default: the active, first configured key)')
    .option('--batch-size <n>', 'credentials per transaction', intOption('--batch-size'), 500)
    .option('--pause-ms <ms>', 'pause between batches, to spare a busy database', intOption('--pause-ms'), 0)
    .option('--as-operator', 'act as the operator (no session)')
    .addHelpText(
      'after',
      `
Rotation re-wraps each credential's data key; secrets are not re-encrypted. It runs while the
daemon and other commands keep working. Ctrl-C stops after the current batch; run it again to
continue. When it reports remaining 0, the old key can be removed from the configuration.

Order of operations: give every process (daemons, CLIs) the new key first, e.g.
JOBSPRINT_ENCRYPTION_KEYS=k2:…,k1:… (k2 active, k1 still readable), then rotate, then drop k1.
A credential whose key is missing fails with "key <id> not configured" (exit 6).

Exit codes: 0 done; 1 interrupted or some credentials could not be re-wrapped (listed);
5 rows stayed locked; 6 a key is not configured.`,
    )
    .action(
      action(async (ctx) => {
        const { core, out, opts } = ctx;
        const actor = await requireRotator(ctx);
        const { keySet } = await import('../core/credentials/keys.js');
        const { rotateKeys } = await import('../core/credentials/rotate.js');
        const keys = await keySet(core.config);
        const stop = new AbortController();
        const onSigint = () => {
          // A second Ctrl-C exits at once; the open batch's transaction is rolled back.
          if (stop.signal.aborted) process.exit(130);
          out.info('\nstopping after the current batch… (Ctrl-C again to quit now)');
          stop.abort();
        };
        process.on('SIGINT', onSigint);
        const bar = !out.json && out.stderr.isTTY ? progressBar(out.stderr) : undefined;
        try {
          const r = await rotateKeys(await core.db(), keys, { requestId: core.requestId, userAgent: core.userAgent }, {
            to: opts.to,
            batchSize: opts.batchSize,
            pauseMs: opts.pauseMs,
            signal: stop.signal,
            onProgress: bar,
            actorUserId: actor.userId,
          });
          if (bar) out.stderr.write('\n');
          for (const f of r.failures) out.warn(f.reason);
          if (out.json) out.printJson(r);
          else if (r.interrupted) out.write(`interrupted: ${r.rotated} credentials re-wrapped to key ${r.target_key_id}, ${r.remaining} remaining (run the command again to continue)`);
          else out.write(`re-wrapped ${r.rotated} credentials to key ${r.target_key_id}${r.failed ? `; ${r.failed} failed` : ''} (${r.remaining} not on ${r.target_key_id})`);
          return r.interrupted || r.failed ? 1 : 0;
        } finally {
          process.off('SIGINT', onSigint);
        }
      }),
    );
}

/** `[#####-----]  50%  500/1000` redrawn in place on stderr. */
function progressBar(stream: NodeJS.WritableStream): (p: RotateProgress) => void {
  return (p) => {
    const done = p.rotated + p.failed;
    const frac = p.total ? Math.min(1, done / p.total) : 1;
    const width = 30;
    const fill = Math.round(frac * width);
    stream.write(`\rrotating to ${p.target_key_id} [${'#'.repeat(fill)}${'-'.repeat(width - fill)}] ${String(Math.round(frac * 100)).padStart(3)}%  ${done}/${p.total}`);
  };
}
