import { Command, CommanderError, Option } from 'commander';
import { VERSION } from './core/version.js';
import { EXIT_CODES_HELP } from './commands/help-topics.js';
import { register as registerConfig } from './commands/config.js';
import { register as registerDb } from './commands/db.js';
import { register as registerAuth } from './commands/auth.js';
import { register as registerUsers } from './commands/users.js';
import { register as registerAudit } from './commands/audit.js';
import { register as registerWorkflows } from './commands/workflows.js';
import { register as registerIntegrations } from './commands/integrations.js';
import { register as registerCredentials } from './commands/credentials.js';
import { register as registerKeys } from './commands/keys.js';
import { register as registerRun } from './commands/run.js';
import { register as registerExecutions } from './commands/executions.js';
import { register as registerDaemon } from './commands/daemon.js';
import { register as registerOps } from './commands/ops.js';
import { registerEmbedded } from './commands/ops-embedded.js';

export function buildProgram(): Command {
  const program = new Command('jobsprint');
  program
    .description('Workflow automation: n8n-compatible workflows on PostgreSQL, Redis and RabbitMQ')
    .version(VERSION, '-v, --version', 'print the version')
    .option('--json', 'print one JSON document (JSON Lines for streams)')
    .option('--no-color', 'disable colour (also NO_COLOR, TERM=dumb, non-TTY)')
    .option('--debug', 'print stack traces on errors')
    .addOption(new Option('--profile <name>', 'configuration profile').env('JOBSPRINT_PROFILE'))
    .showSuggestionAfterError(true)
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .exitOverride()
    .configureOutput({
      outputError: (str, write) => write(`${str.trim()} (see --help)\n`),
    })
    .addHelpText(
      'after',
      `
Examples:
  $ jobsprint db migrate                       apply pending migrations
  $ jobsprint users create --email a@example.com --username ada --password-stdin
  $ jobsprint login --email a@example.com --password-stdin
  $ jobsprint workflows import ./workflow.json --activate
  $ jobsprint run "My workflow" --follow
  $ jobsprint run ./workflow.json --local --json
  $ jobsprint daemon --concurrency 8

Exit codes: jobsprint help exit-codes`,
    );

  for (const register of [
    registerConfig,
    registerDb,
    registerAuth,
    registerUsers,
    registerAudit,
    registerWorkflows,
    registerIntegrations,
    registerCredentials,
    registerKeys,
    registerRun,
    registerExecutions,
    registerDaemon,
    registerOps,
    registerEmbedded,
  ]) {
    register(program);
  }
  // Subcommands inherit the error/exit behaviour of the root.
  const inherit = (cmd: Command) => {
    for (const sub of cmd.commands) {
      sub.exitOverride().configureOutput({ outputError: (str, write) => write(`${str.trim()} (see --help)\n`) });
      sub.showSuggestionAfterError(true);
      inherit(sub);
    }
  };
  inherit(program);
  return program;
}

export async function main(argv: string[] = process.argv): Promise<void> {
  // `jobsprint … | head` closes the pipe early: that is the reader's choice, not an error.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw err;
    });
  }
  const args = argv.slice(2);
  if (args[0] === 'help' && args[1] === 'exit-codes') {
    process.stdout.write(EXIT_CODES_HELP);
    return;
  }
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      const ok = ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(err.code);
      process.exitCode = ok ? 0 : 2;
      return;
    }
    throw err;
  }
}
