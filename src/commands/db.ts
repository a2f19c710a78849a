import type { Command } from 'commander';
import { action, intOption } from './context.js';
import { UsageError } from '../core/errors.js';

export function register(program: Command): void {
  const db = program.command('db').description('database migrations (operator)');

  db.command('migrate')
    .description('apply pending migrations (safe to run concurrently)')
    .option('--to <version>', 'apply up to and including this version')
    .action(
      action(async ({ core, out, opts }) => {
        const url = core.config.get('database_url');
        const ran = url
          ? await (await import('../core/db/migrate.js')).runMigrations({ url, direction: 'up', to: opts.to, connectTimeoutMs: core.connectTimeoutMs })
          : await (await import('../core/db/pglite-migrate.js')).migrateEmbedded(core.config, { direction: 'up', to: opts.to });
        if (out.json) return out.printJson({ applied: ran });
        out.write(ran.length ? ran.map((m) => `applied ${m.name}`).join('\n') : 'database is up to date');
      }),
    );

  db.command('rollback')
    .description('revert migrations (default: the last one)')
    .option('--steps <n>', 'revert the last N migrations', intOption('--steps'))
    .option('--all', 'revert every migration')
    .option('--to <version>', 'revert every migration after this version')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(
      action(async ({ core, out, opts }) => {
        const given = [opts.steps !== undefined, !!opts.all, opts.to !== undefined].filter(Boolean).length;
        if (given > 1) throw new UsageError('use only one of --steps, --all and --to');
        const url = core.config.get('database_url');
        if (opts.all) {
          const { confirmDestructive } = await import('./prompt.js');
          await confirmDestructive('Revert every migration? This drops all Jobsprint data.', opts.yes);
        }
        const count = opts.all ? Infinity : (opts.steps ?? 1);
        // Embedded: the next command migrates up again on open (see README, embedded mode).
        const ran = url
          ? await (await import('../core/db/migrate.js')).runMigrations({ url, direction: 'down', count, to: opts.to, connectTimeoutMs: core.connectTimeoutMs })
          : await (await import('../core/db/pglite-migrate.js')).migrateEmbedded(core.config, { direction: 'down', count, to: opts.to });
        if (out.json) return out.printJson({ reverted: ran });
        out.write(ran.length ? ran.map((m) => `reverted ${m.name}`).join('\n') : 'nothing to revert');
      }),
    );

  db.command('status')
    .description('list applied and pending migrations')
    .action(
      action(async ({ core, out }) => {
        const url = core.config.get('database_url');
        const rows = url
          ? await (await import('../core/db/migrate.js')).migrationStatus(url, core.connectTimeoutMs)
          : await (await import('../core/db/pglite-migrate.js')).embeddedStatus(core.config);
        await out.list(rows, [
          { key: 'version' },
          { key: 'name' },
          { key: 'applied', format: (r) => (r.applied ? 'applied' : 'pending') },
          { key: 'run_on' },
        ]);
      }),
    );
}
