import type { Command } from 'commander';
import { action, type CommandContext } from './context.js';

/**
 * `jobsprint doctor` and `jobsprint quickstart`: the embedded mode's front door. Registered by
 * cli.ts through registerEmbedded (kept apart from ops.ts, which holds logs and queue).
 */
export function registerEmbedded(program: Command): void {
  program
    .command('doctor')
    .description('show what each part runs on (embedded or server), whether it is reachable, migrations, keys and login')
    .addHelpText(
      'after',
      `
Exit status: 0 when everything required is reachable, 6 when something required is not
(the database always; Redis and RabbitMQ when their URL is set).

Examples:
  $ jobsprint doctor
  $ jobsprint doctor --json | jq .migrations`,
    )
    .action(action(doctorCommand));

  program
    .command('quickstart')
    .description('create the embedded database and an admin, log in, import examples/ and run one')
    .option('--email <email>', 'admin email (prompted on a terminal)')
    .option('--username <name>', 'admin username (default: from the email)')
    .option('--password-stdin', 'read the admin password from stdin')
    .addHelpText(
      'after',
      `
Safe to run again: the admin is created only once (afterwards the same email and password log
in), examples already imported are skipped, and each run adds one execution.

Examples:
  $ jobsprint quickstart
  $ printf '%s' "$PW" | jobsprint quickstart --email ada@example.com --password-stdin`,
    )
    .action(action(quickstartCommand));
}

async function doctorCommand(ctx: CommandContext): Promise<number> {
  const { core, out } = ctx;
  const { runDoctor } = await import('../core/doctor.js');
  const report = await runDoctor(core);
  if (out.json) {
    out.printJson(report);
    return report.ok ? 0 : 6;
  }
  const rows = (['database', 'redis', 'rabbitmq'] as const).map((name) => ({ name, ...report[name] }));
  await out.list(rows, [
    { key: 'name', header: 'PART' },
    { key: 'backend' },
    { key: 'location' },
    { key: 'reachable', header: 'STATUS', format: (r) => (r.reachable ? 'ok' : r.required ? 'UNREACHABLE' : 'unreachable') },
    { key: 'version' },
    { key: 'detail' },
  ]);
  const m = report.migrations;
  out.write(
    `migrations: ${
      m
        ? `${m.applied} applied, ${m.pending} pending${m.pending ? ` (${m.pending_names.join(', ')}; run \`jobsprint db migrate\`)` : ''}`
        : report.database.reachable
          ? 'none yet (applied when the database is created)'
          : 'unknown (the database is not usable)'
    }`,
  );
  const k = report.encryption_keys;
  out.write(`encryption keys: ${k.configured ? `${k.count} configured, active ${k.active_key_id} (${k.location})` : `none (${k.detail})`}`);
  const l = report.login;
  out.write(
    `login: ${l.valid ? `${l.email} (${l.role}), expires ${l.expires_at}` : l.present ? `token present but ${l.valid === false ? 'not valid' : 'not checked'} (${l.detail})` : `none (${l.detail})`}`,
  );
  if (!report.ok) out.info('something required is unreachable (exit 6)');
  return report.ok ? 0 : 6;
}

async function quickstartCommand(ctx: CommandContext): Promise<number> {
  const { core, out, opts } = ctx;
  let email = opts.email as string | undefined;
  if (!email) {
    const { requireInteractive, promptText } = await import('./prompt.js');
    requireInteractive('the admin email', '--email');
    email = await promptText('Admin email:');
  }
  const { readPassword } = await import('./auth.js');
  const password = await readPassword(ctx, { prompt: 'Admin password (12+ characters):' });
  const { quickstart, QUICKSTART_WORKFLOW } = await import('../core/quickstart.js');
  const { printEvent, interruptSignal } = await import('./executions.js');
  const events: unknown[] = [];
  const interrupt = interruptSignal();
  try {
    const result = await quickstart(core, { email, password, username: opts.username }, {
      onStep: (msg) => out.info(msg),
      onEvent: (e) => {
        if (out.json) events.push(e);
        else printEvent(out, e);
      },
      signal: interrupt.signal,
    });
    const code = result.execution.status === 'success' ? 0 : 1;
    if (out.json) {
      out.printJson({ ...result, events });
      return code;
    }
    out.write('');
    out.write(`"${QUICKSTART_WORKFLOW}" ${result.execution.status} (execution ${result.execution.id}).`);
    out.write('What next:');
    for (const line of result.next) out.write(`  ${line}`);
    return code;
  } finally {
    interrupt.dispose();
  }
}
