import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import { action } from '../context.js';
import type { Column } from '../output.js';
import { actingAs, collect, tenantCommand } from './shared.js';

interface ImportedLine {
  id: string;
  name: string;
  node_count: number;
  is_active: boolean;
  source: string;
}

const IMPORTED_COLUMNS: Column<ImportedLine>[] = [
  { key: 'id' },
  { key: 'name' },
  { key: 'node_count', header: 'NODES' },
  { key: 'is_active', header: 'ACTIVE', format: (r) => (r.is_active ? 'yes' : 'no') },
  { key: 'source' },
];

export function registerTransfer(workflows: Command): void {
  tenantCommand(workflows, 'import', 'import n8n workflow JSON: files, arrays, directories (n8n export:workflow --separate) or - for stdin')
    .argument('<paths...>', 'files, directories, or - for stdin')
    .option('--activate', 'activate the imported workflows')
    .option('--continue-on-error', 'import the valid workflows and list the invalid ones (default: all or nothing)')
    .option('--category <name>', 'category of the imported workflows')
    .option('--tag <name>', 'add a tag (repeatable)', collect)
    .addHelpText('after', '\nExit: 0 all imported; 2 invalid input (nothing written, or with --continue-on-error the valid ones were).')
    .action(
      action(async (ctx, paths: string[]) => {
        const { core, out, opts } = ctx;
        const as = await actingAs(ctx);
        const { readWorkflowSources } = await import('../../core/workflows/sources.js');
        const { importWorkflows } = await import('../../core/workflows/import.js');
        const { formatProblem } = await import('../../core/workflows/check.js');
        const read = await readWorkflowSources(paths, ctx.stdin);
        const result = await importWorkflows(core, as, read, {
          activate: !!opts.activate,
          continueOnError: !!opts.continueOnError,
          category: opts.category ?? null,
          tags: opts.tag,
        });
        for (const w of result.warnings) out.warn(formatProblem(w));
        if (out.json) {
          out.printJson(result);
          if (result.failed.length) out.error(`${result.failed.length} workflow${result.failed.length > 1 ? 's' : ''} not imported`, 'see "failed" in the output');
        } else {
          await out.list(result.imported, IMPORTED_COLUMNS);
          for (const f of result.failed) out.error(`not imported: ${f.label}: ${f.reason}`);
          out.info(`imported ${result.imported.length} workflow${result.imported.length === 1 ? '' : 's'}${result.failed.length ? `, ${result.failed.length} not imported` : ''}`);
        }
        return result.failed.length ? 2 : 0;
      }),
    );

  workflows
    .command('validate')
    .description('check n8n workflow JSON without importing it; warns about node types the engine does not support yet')
    .argument('<paths...>', 'files, directories, or - for stdin')
    .addHelpText('after', '\nExit: 0 valid (warnings allowed); 2 invalid.')
    .action(
      action(async (ctx, paths: string[]) => {
        const { out } = ctx;
        const { readWorkflowSources } = await import('../../core/workflows/sources.js');
        const { checkSources, formatProblem } = await import('../../core/workflows/check.js');
        const result = await checkSources(await readWorkflowSources(paths, ctx.stdin));
        const reports = [
          ...result.unreadable.map((p) => ({ source: p.label, valid: false, errors: [{ path: p.path, message: p.message }], warnings: [] as Array<{ path: string; message: string }> })),
          ...result.checked.map((c) => ({
            source: c.source.label,
            valid: c.errors.length === 0,
            errors: c.errors.map(({ path, message }) => ({ path, message })),
            warnings: c.warnings.map(({ path, message }) => ({ path, message })),
          })),
        ];
        const invalid = reports.filter((r) => !r.valid);
        if (out.json) out.printJson(reports);
        else
          for (const r of reports) {
            for (const e of r.errors) out.write(`error: ${formatProblem({ label: r.source, ...e })}`);
            for (const w of r.warnings) out.write(`warning: ${formatProblem({ label: r.source, ...w })}`);
            if (r.valid) out.write(`ok: ${r.source}${r.warnings.length ? ` (${r.warnings.length} warning${r.warnings.length > 1 ? 's' : ''})` : ''}`);
          }
        if (!invalid.length) return 0;
        out.error(`${invalid.length} of ${reports.length} workflow${reports.length > 1 ? 's are' : ' is'} invalid`, 'fix the problems listed above');
        return 2;
      }),
    );

  tenantCommand(workflows, 'export', 'write workflows as n8n-importable JSON (the document as imported, with later edits and the static data its runs kept)')
    .argument('[id|name]', 'the workflow (omit with --all)')
    .option('--out <path>', 'write to this file (with --all: this directory, one <id>.json per workflow)')
    .option('--all', 'export every workflow (needs --out DIR)')
    .action(
      action(async (ctx, ref: string | undefined) => {
        const { core, out, opts } = ctx;
        if (opts.all && ref) throw new UsageError('give either a workflow or --all, not both');
        if (!opts.all && !ref) throw new UsageError('name the workflow to export', { hint: 'or pass --all --out DIR' });
        if (opts.all && !opts.out) throw new UsageError('--all needs --out DIR');
        const as = await actingAs(ctx);
        const { writeFile, mkdir } = await import('node:fs/promises');
        const { join } = await import('node:path');
        const { exportWorkflow, exportAllWorkflows } = await import('../../core/workflows/browse.js');
        const text = (doc: unknown) => JSON.stringify(doc, null, 2) + '\n';
        if (!opts.all) {
          const w = await exportWorkflow(core, as, ref!);
          if (!opts.out) return void out.stdout.write(text(w.definition));
          await writeFile(opts.out, text(w.definition));
          return out.done(`exported "${w.name}" to ${opts.out}`, { id: w.id, name: w.name, file: opts.out });
        }
        await mkdir(opts.out, { recursive: true });
        const written: Array<{ id: string; name: string; file: string }> = [];
        for await (const w of exportAllWorkflows(core, as)) {
          const file = join(opts.out, `${w.id}.json`);
          await writeFile(file, text(w.definition));
          written.push({ id: w.id, name: w.name, file });
        }
        out.done(`exported ${written.length} workflow${written.length === 1 ? '' : 's'} to ${opts.out}`, written);
      }),
    );
}
