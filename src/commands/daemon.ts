import type { Command } from 'commander';
import { UsageError } from '../core/errors.js';
import { action, intOption } from './context.js';

export function register(program: Command): void {
  program
    .command('daemon')
    .description('run queued executions: consume the queue, run workflows, record results')
    .option('--concurrency <n>', 'executions run at once (= queue prefetch)', intOption('--concurrency'), 8)
    .option('--grace <seconds>', 'on SIGTERM, how long in-flight executions may finish before they are handed back', intOption('--grace'), 30)
    .option('--http-port <port>', 'serve /healthz, /readyz and /metrics on this port (0 = any free port)', intOption('--http-port'))
    .option('--log-level <level>', 'trace, debug, info, warn, error, fatal or silent (default: setting log_level)')
    .addHelpText(
      'after',
      `
Logs are JSON lines on stdout. SIGTERM or Ctrl-C stops gracefully: no new executions, in-flight
ones get --grace seconds, the rest go back to the queue for another worker; a second Ctrl-C
exits at once (its executions are redelivered).

Short workflows, and ones that mostly wait on HTTP or Wait nodes, want a high --concurrency
(hundreds): claims, records and acks are batched, and the batches grow with it. At that level,
NODE_OPTIONS=--max-semi-space-size=64 makes garbage collection cheaper (README: Production).

Examples:
  $ jobsprint daemon --concurrency 16 --http-port 9464
  $ NODE_OPTIONS=--max-semi-space-size=64 jobsprint daemon --concurrency 512
  $ jobsprint daemon --log-level debug`,
    )
    .action(
      action(
        async (ctx) => {
          const { opts, core } = ctx;
          if (opts.concurrency < 1) throw new UsageError('--concurrency must be at least 1');
          const { startDaemon } = await import('../core/executions/daemon.js');
          const daemon = await startDaemon(core, { concurrency: opts.concurrency, httpPort: opts.httpPort, logLevel: opts.logLevel });
          await new Promise<void>((resolve) => {
            let stopping = false;
            const onSignal = (signal: NodeJS.Signals) => {
              if (stopping) {
                // Second signal: leave now; unacked messages are redelivered by the broker.
                process.exit(signal === 'SIGINT' ? 130 : 143);
              }
              stopping = true;
              // If some handle keeps the loop alive after a clean stop, do not hang forever.
              setTimeout(() => process.exit(process.exitCode ?? 0), opts.grace * 1000 + 15_000).unref();
              void daemon.stop(opts.grace * 1000).finally(resolve);
            };
            process.on('SIGTERM', onSignal);
            process.on('SIGINT', onSignal);
          });
          return 0;
        },
        { longRunning: true },
      ),
    );
}
