const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A UUID in its canonical text form (any case): the shape of every id in the schema. */
export function isUuid(s: string): boolean;
export function isUuid(s: unknown): s is string;
export function isUuid(s: unknown): boolean {
  return typeof s === 'string' && UUID_RE.test(s);
}
