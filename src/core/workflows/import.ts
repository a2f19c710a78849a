import type { ActingAs } from '../actor.js';
import type { Core } from '../context.js';
import { JobsprintError, ValidationError } from '../errors.js';
import { allErrors, checkSources, formatProblem, WorkflowValidationError, type CheckedSource, type LocatedProblem } from './check.js';
import { deriveMetadata, uniqueTags, withTags } from './metadata.js';
import type { ReadResult } from './sources.js';
import { insertVersion, insertWorkflow, syncWorkflowNodes } from './store.js';
import { actorUserId, workflowWrite, type WriteScope } from './write.js';

export interface ImportOptions {
  activate?: boolean;
  /** Import the valid workflows and report the others, instead of all-or-nothing. */
  continueOnError?: boolean;
  category?: string | null;
  /** Tags to add to every imported workflow. */
  tags?: string[];
}

export interface ImportedWorkflow {
  id: string;
  name: string;
  version: number;
  is_active: boolean;
  node_count: number;
  source: string;
}

export interface ImportResult {
  imported: ImportedWorkflow[];
  failed: Array<LocatedProblem & { reason: string }>;
  warnings: LocatedProblem[];
}

/**
 * Import n8n workflow documents. Everything is validated first; by default one invalid
 * document means nothing is written (one transaction for all). With `continueOnError` each
 * valid document is imported in its own transaction and the invalid ones are returned.
 */
export async function importWorkflows(core: Core, as: ActingAs, read: ReadResult, opts: ImportOptions = {}): Promise<ImportResult> {
  const result = await checkSources(read, { category: opts.category });
  const warnings = result.checked.flatMap((c) => c.warnings);
  const errors = allErrors(result);
  const good = result.checked.filter((c) => c.errors.length === 0);
  if (errors.length && !opts.continueOnError) throw new WorkflowValidationError(errors);

  const failed: ImportResult['failed'] = [];
  // One entry per bad file or element, with its first problem as the reason.
  const seen = new Set<string>();
  for (const e of errors) {
    if (seen.has(e.label)) continue;
    seen.add(e.label);
    failed.push({ ...e, reason: formatProblem({ ...e, label: '' }) });
  }

  const imported: ImportedWorkflow[] = [];
  if (!opts.continueOnError) {
    await workflowWrite(core, as, async (w) => {
      for (const c of good) imported.push(await insertOne(w, as, c, opts));
    });
  } else {
    for (const c of good) {
      try {
        imported.push(await workflowWrite(core, as, (w) => insertOne(w, as, c, opts)));
      } catch (err) {
        // Only input problems are per-workflow; a database that went away fails the command.
        if (!(err instanceof ValidationError)) throw err;
        const p = { label: c.source.label, path: '', message: (err as JobsprintError).message };
        failed.push({ ...p, reason: p.message });
      }
    }
  }
  return { imported, failed, warnings };
}

async function insertOne(w: WriteScope, as: ActingAs, c: CheckedSource, opts: ImportOptions): Promise<ImportedWorkflow> {
  let doc = c.source.doc as Record<string, unknown>;
  const meta = deriveMetadata(doc, { fallbackName: c.source.fallbackName, category: opts.category, tags: opts.tags });
  // Tags named on the command line are an edit: they go into the document so export carries them.
  if (opts.tags?.length) doc = withTags(doc, uniqueTags(meta.tags));
  const row = await insertWorkflow(w.tx, {
    userId: as.scope.userId,
    name: meta.name,
    description: meta.description,
    definition: doc,
    isActive: !!opts.activate,
    category: meta.category,
    tags: meta.tags,
    settings: meta.settings,
  });
  await insertVersion(w.tx, row.id, 'created', actorUserId(as));
  await syncWorkflowNodes(w.tx, row.id);
  await w.audit('workflow.created', 'create', row.id, {
    after: { name: row.name, version: row.version, is_active: row.is_active, tags: row.tags, category: row.category, source: c.source.label },
  });
  if (opts.activate) await w.audit('workflow.activated', 'update', row.id, { before: { is_active: false }, after: { is_active: true } });
  const nodes = (doc.nodes as unknown[]).length;
  return { id: row.id, name: row.name, version: row.version, is_active: row.is_active, node_count: nodes, source: c.source.label };
}
