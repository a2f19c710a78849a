/** The columns Jobsprint keeps next to a stored n8n document, derived from it. */
export interface WorkflowMetadata {
  name: string;
  description: string | null;
  tags: string[];
  category: string | null;
  settings: Record<string, unknown>;
}

export interface MetadataOptions {
  /** The name to use when the document has none (the file's base name). */
  fallbackName: string;
  category?: string | null;
  /** Tags given on the command line, added to the document's own. */
  tags?: string[];
}

export const MAX_CATEGORY = 100;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Tag names of n8n's tag objects (`{id, name, createdAt, …}`) or plain names. */
export function tagNames(tags: unknown): string[] {
  if (!Array.isArray(tags)) return [];
  const names = tags.map((t) => (typeof t === 'string' ? t : isObject(t) && typeof t.name === 'string' ? t.name : null));
  return names.filter((n): n is string => !!n);
}

export function uniqueTags(tags: string[]): string[] {
  return [...new Set(tags.map((t) => t.trim()).filter(Boolean))];
}

export function deriveMetadata(doc: Record<string, unknown>, opts: MetadataOptions): WorkflowMetadata {
  const name = typeof doc.name === 'string' && doc.name.trim() ? doc.name : opts.fallbackName;
  const category = opts.category ?? (typeof doc.category === 'string' && doc.category ? doc.category : null);
  return {
    name: name.slice(0, 255),
    description: typeof doc.description === 'string' ? doc.description : null,
    tags: uniqueTags([...tagNames(doc.tags), ...(opts.tags ?? [])]),
    category,
    settings: isObject(doc.settings) ? doc.settings : {},
  };
}

/** A copy of the document with its tags replaced, keeping n8n's tag objects for names it already had. */
export function withTags(doc: Record<string, unknown>, names: string[]): Record<string, unknown> {
  const existing = Array.isArray(doc.tags) ? doc.tags : [];
  // n8n's importer reads tag objects; plain names stay plain only if the document used them.
  const plain = existing.length > 0 && existing.every((t) => typeof t === 'string');
  const byName = new Map<string, unknown>();
  for (const t of existing) {
    const n = typeof t === 'string' ? t : isObject(t) && typeof t.name === 'string' ? t.name : null;
    if (n && !byName.has(n)) byName.set(n, t);
  }
  const tags = names.map((n) => byName.get(n) ?? (plain ? n : { name: n }));
  return { ...doc, tags };
}
