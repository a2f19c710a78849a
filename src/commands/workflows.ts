import type { Command } from 'commander';
import { registerTransfer } from './workflows/transfer.js';
import { registerBrowse } from './workflows/browse.js';
import { registerChange } from './workflows/change.js';

export function register(program: Command): void {
  const workflows = program
    .command('workflows')
    .description('n8n-compatible workflows: import, export, browse, change, history')
    .addHelpText(
      'after',
      `
Examples:
  $ jobsprint workflows import ./export/ --activate      a directory from n8n export:workflow --separate
  $ jobsprint workflows export "My flow" --out flow.json
  $ jobsprint workflows list --search invoice --tag billing
  $ jobsprint workflows update <id> --file flow.json --if-version 3
  $ jobsprint workflows rollback <id> --to-version 2`,
    );
  registerTransfer(workflows);
  registerBrowse(workflows);
  registerChange(workflows);
}
