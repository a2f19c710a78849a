import type { EngineSupport } from './engine-support.js';
import { ValidationError } from '../errors.js';
import { loadEngineSupport } from './engine-support.js';
import { MAX_CATEGORY } from './metadata.js';
import { validateWorkflow, type Problem } from './schema.js';
import type { ReadResult, WorkflowSource } from './sources.js';

/** A problem located in a file: `label` names the file (and array element), `path` the JSON path. */
export interface LocatedProblem extends Problem {
  label: string;
}

export interface CheckedSource {
  source: WorkflowSource;
  errors: LocatedProblem[];
  warnings: LocatedProblem[];
}

export interface CheckResult {
  checked: CheckedSource[];
  /** Files that were not even JSON. */
  unreadable: LocatedProblem[];
}

/** `file.json: nodes[3].name: duplicate node name "Set"` */
export function formatProblem(p: LocatedProblem): string {
  return [p.label, p.path, p.message].filter(Boolean).join(': ');
}

/** Invalid input found before anything was written; the message names file and JSON path. */
export class WorkflowValidationError extends ValidationError {
  constructor(readonly problems: LocatedProblem[]) {
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})` : '';
    super(`${formatProblem(problems[0]!)}${more}`, {
      hint: problems.length > 1 ? 'run `jobsprint workflows validate FILE` to list them all; nothing was imported' : 'fix the file and retry; nothing was written',
    });
  }
}

export async function checkSources(read: ReadResult, opts: { category?: string | null } = {}): Promise<CheckResult> {
  const support = await loadEngineSupport();
  const checked = read.sources.map((source) => checkSource(source, support.isSupportedNodeType, support.mapLangChain));
  if (opts.category && opts.category.length > MAX_CATEGORY) {
    for (const c of checked) c.errors.push({ label: c.source.label, path: '', message: `category is over ${MAX_CATEGORY} characters` });
  }
  return { checked, unreadable: read.problems.map((p) => ({ ...p })) };
}

const LANGCHAIN = '@n8n/n8n-nodes-langchain.';

export function checkSource(
  source: WorkflowSource,
  isSupportedNodeType?: (type: string) => boolean,
  mapLangChain?: EngineSupport['mapLangChain'],
): CheckedSource {
  // LangChain nodes are judged by the run-time mapping (chain + OpenAI-compatible model → the
  // chat completion node), which names why each one it cannot map is unsupported.
  const nodes = Array.isArray((source.doc as { nodes?: unknown })?.nodes) ? ((source.doc as { nodes: unknown[] }).nodes as Array<{ type?: unknown; name?: unknown }>) : [];
  const hasLangChain = !!mapLangChain && nodes.some((n) => typeof n?.type === 'string' && n.type.startsWith(LANGCHAIN));
  const supported = hasLangChain && isSupportedNodeType ? (t: string) => t.startsWith(LANGCHAIN) || isSupportedNodeType(t) : isSupportedNodeType;
  const report = validateWorkflow(source.doc, { isSupportedNodeType: supported });
  if (hasLangChain && report.errors.length === 0) {
    try {
      for (const u of mapLangChain!(source.doc).unsupported) {
        const i = nodes.findIndex((n) => n?.name === u.node);
        report.warnings.push({ path: `nodes[${i}].type`, message: `node "${u.node}" (${u.type}) is not supported by the engine: ${u.reason}` });
      }
    } catch {
      // A document the mapping cannot read has already been reported by the validator.
    }
  }
  const locate = (p: Problem): LocatedProblem => ({ label: source.label, ...p });
  return { source, errors: report.errors.map(locate), warnings: report.warnings.map(locate) };
}

export function allErrors(result: CheckResult): LocatedProblem[] {
  return [...result.unreadable, ...result.checked.flatMap((c) => c.errors)];
}
