import type { Command } from 'commander';
import { action, intOption } from './context.js';
import type { Column } from './output.js';
import type { AuditRow } from '../core/audit-query.js';
import { operatorActor, requireActor } from './session.js';

const COLUMNS: Column<AuditRow>[] = [
  { key: 'created_at', header: 'TIME' },
  { key: 'event_type', header: 'EVENT' },
  { key: 'user_id', header: 'USER' },
  { key: 'resource_type', header: 'RESOURCE' },
  { key: 'resource_id', header: 'RESOURCE ID' },
  { key: 'action' },
  { key: 'request_id', header: 'REQUEST' },
];

export function register(program: Command): void {
  const audit = program.command('audit').description('the audit trail (admins see everything, users their own events)');
  audit
    .command('list')
    .description('list audit events, newest first')
    .option('--user <id|email>', 'only events by this user')
    .option('--resource-type <type>', 'only this resource type (user, session, workflow, credential, …)')
    .option('--resource-id <uuid>', 'only this resource')
    .option('--event <type>', 'only this event type; `user.*` for a family')
    .option('--since <time>', 'ISO time or duration ago (30m, 12h, 7d)')
    .option('--until <time>', 'ISO time or duration ago')
    .option('--limit <n>', 'at most N events', intOption('--limit'), 100)
    .option('--as-operator', 'act as the operator (no session): see every event')
    .action(
      action(async (ctx) => {
        const { core, out, opts } = ctx;
        const by = opts.asOperator ? operatorActor() : (await requireActor(ctx)).actor;
        const { listAudit } = await import('../core/audit-query.js');
        const rows = await listAudit(core, by, {
          user: opts.user,
          resourceType: opts.resourceType,
          resourceId: opts.resourceId,
          event: opts.event,
          since: opts.since,
          until: opts.until,
          limit: opts.limit,
        });
        await out.list(rows, COLUMNS);
      }),
    );
}
