import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import type { ChangeResult } from '../../core/workflows/change.js';
import { action, intOption } from '../context.js';
import type { Output } from '../output.js';
import { actingAs, tenantCommand } from './shared.js';

const IF_VERSION = 'fail with exit 5 unless the workflow is still at version N';

function report(out: Output, r: ChangeResult, changed: string, unchanged: string): void {
  const w = r.workflow;
  out.done(r.changed ? changed : unchanged, {
    id: w.id,
    name: w.name,
    version: w.version,
    is_active: w.is_active,
    tags: w.tags,
    changed: r.changed,
  });
}

export function registerChange(workflows: Command): void {
  tenantCommand(workflows, 'update', 'replace the definition with an n8n JSON file (a new version)')
    .argument('<id|name>')
    .requiredOption('--file <path>', 'the new n8n workflow JSON (- for stdin)')
    .option('--if-version <n>', IF_VERSION, intOption('--if-version'))
    .action(
      action(async (ctx, ref: string) => {
        const { core, out, opts } = ctx;
        const as = await actingAs(ctx);
        const { readWorkflowSources } = await import('../../core/workflows/sources.js');
        const { WorkflowValidationError } = await import('../../core/workflows/check.js');
        const { updateWorkflow } = await import('../../core/workflows/change.js');
        const read = await readWorkflowSources([opts.file], ctx.stdin);
        if (read.problems.length) throw new WorkflowValidationError(read.problems);
        if (read.sources.length !== 1) throw new UsageError(`${opts.file} holds ${read.sources.length} workflows; update takes one`);
        const src = read.sources[0]!;
        const r = await updateWorkflow(core, as, ref, src.doc, { expectedVersion: opts.ifVersion, label: src.label });
        report(out, r, `updated "${r.workflow.name}" to version ${r.workflow.version}`, '');
      }),
    );

  for (const [verb, active] of [['activate', true], ['deactivate', false]] as const) {
    tenantCommand(workflows, verb, active ? 'activate a workflow (its triggers run)' : 'deactivate a workflow (its triggers stop)')
      .argument('<id|name>')
      .action(
        action(async (ctx, ref: string) => {
          const as = await actingAs(ctx);
          const { setWorkflowActive } = await import('../../core/workflows/change.js');
          const r = await setWorkflowActive(ctx.core, as, ref, active);
          report(ctx.out, r, `${verb}d "${r.workflow.name}"`, `"${r.workflow.name}" is already ${active ? 'active' : 'inactive'}`);
        }),
      );
  }

  tenantCommand(workflows, 'rename', 'rename a workflow (a new version: the name is part of the n8n document)')
    .argument('<id|name>')
    .argument('<new-name>')
    .option('--if-version <n>', IF_VERSION, intOption('--if-version'))
    .action(
      action(async (ctx, ref: string, name: string) => {
        const as = await actingAs(ctx);
        const { renameWorkflow } = await import('../../core/workflows/change.js');
        const r = await renameWorkflow(ctx.core, as, ref, name, { expectedVersion: ctx.opts.ifVersion });
        report(ctx.out, r, `renamed to "${r.workflow.name}" (version ${r.workflow.version})`, `already named "${r.workflow.name}"`);
      }),
    );

  const tag = workflows.command('tag').description("add or remove a workflow's tags (a new version)");
  for (const [verb, key] of [['add', 'add'], ['remove', 'remove']] as const) {
    tenantCommand(tag, verb, `${verb} tags`)
      .argument('<id|name>')
      .argument('<tags...>')
      .option('--if-version <n>', IF_VERSION, intOption('--if-version'))
      .action(
        action(async (ctx, ref: string, tags: string[]) => {
          const as = await actingAs(ctx);
          const { tagWorkflow } = await import('../../core/workflows/change.js');
          const r = await tagWorkflow(ctx.core, as, ref, { [key]: tags }, { expectedVersion: ctx.opts.ifVersion });
          report(ctx.out, r, `tags of "${r.workflow.name}": ${r.workflow.tags.join(', ') || '(none)'}`, `tags unchanged: ${r.workflow.tags.join(', ') || '(none)'}`);
        }),
      );
  }

  tenantCommand(workflows, 'rollback', "restore an earlier version's definition as a new version")
    .argument('<id|name>')
    .requiredOption('--to-version <n>', 'the version to restore (see `workflows history`)', intOption('--to-version'))
    .option('--if-version <n>', IF_VERSION, intOption('--if-version'))
    .action(
      action(async (ctx, ref: string) => {
        const as = await actingAs(ctx);
        const { rollbackWorkflow } = await import('../../core/workflows/change.js');
        const r = await rollbackWorkflow(ctx.core, as, ref, ctx.opts.toVersion, { expectedVersion: ctx.opts.ifVersion });
        report(ctx.out, r, `restored version ${r.restored} of "${r.workflow.name}" as version ${r.workflow.version}`, `"${r.workflow.name}" is already at version ${r.restored}`);
      }),
    );

  tenantCommand(workflows, 'delete', 'delete a workflow with its history and executions')
    .argument('<id|name>')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--force', 'cancel pending and running executions instead of refusing')
    .action(
      action(async (ctx, ref: string) => {
        const { core, out, opts } = ctx;
        const as = await actingAs(ctx);
        const { confirmDestructive } = await import('../prompt.js');
        await confirmDestructive(`Delete workflow "${ref}" with its history and executions?`, opts.yes);
        const { deleteWorkflow } = await import('../../core/workflows/change.js');
        const r = await deleteWorkflow(core, as, ref, { force: !!opts.force });
        const cancelled = r.cancelled_executions.length ? ` (cancelled ${r.cancelled_executions.length} execution${r.cancelled_executions.length > 1 ? 's' : ''})` : '';
        out.done(`deleted "${r.name}"${cancelled}`, r);
      }),
    );
}
