import { DateTime } from 'luxon';

/** n8n TypeValidation.validateFieldType (the subset nodes use). */
export type VResult = { valid: true; newValue: unknown } | { valid: false; errorMessage: string };

export function valueDescription(v: unknown): string {
  if (typeof v === 'object') {
    if (v === null) return "'null'";
    if (Array.isArray(v)) return 'array';
    return 'object';
  }
  return `'${String(v)}'`;
}

export function parseNumber(v: unknown): number {
  const n = Number(v);
  if (Number.isNaN(n)) throw new Error('Failed to parse value to number');
  return n;
}

export function parseBoolean(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && ['true', 'false'].includes(v.toLowerCase())) return v.toLowerCase() === 'true';
  if (!(typeof v === 'string' && v.trim() === '')) {
    const n = Number(v);
    if (n === 0) return false;
    if (n === 1) return true;
  }
  throw new Error('Failed to parse value as boolean');
}

export function parseArray(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  let p: unknown;
  try {
    p = JSON.parse(String(v));
  } catch {
    try {
      p = JSON.parse(String(v).replace(/'/g, '"'));
    } catch {
      throw new Error('Value is not a valid array');
    }
  }
  if (!Array.isArray(p)) throw new Error('Value is not a valid array');
  return p;
}

export function jsonParseLoose(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    // accept JS object literal style: unquoted keys, single quotes, trailing commas
    const fixed = s
      .replace(/([{,]\s*)([A-Za-z_$][\w$]*)\s*:/g, '$1"$2":')
      .replace(/'([^'\\]*(?:\\.[^'\\]*)*)'/g, (_m, g: string) => JSON.stringify(g))
      .replace(/,\s*([}\]])/g, '$1');
    return JSON.parse(fixed);
  }
}

export function parseObject(v: unknown): object {
  if (v && typeof v === 'object' && !Array.isArray(v)) return v;
  let o: unknown;
  try {
    o = jsonParseLoose(String(v));
  } catch {
    throw new Error('Value is not a valid object');
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new Error('Value is not a valid object');
  return o;
}

export function parseDateTime(v: unknown, zone?: string): DateTime {
  if (DateTime.isDateTime(v) && v.isValid) return v;
  if (v instanceof Date) {
    const d = DateTime.fromJSDate(v);
    if (d.isValid) return d;
  }
  const s = String(v).trim();
  const opts = { zone, setZone: true };
  for (const f of [DateTime.fromISO, DateTime.fromHTTP, DateTime.fromRFC2822, DateTime.fromSQL]) {
    const d = f.call(DateTime, s, opts);
    if (d.isValid) return d;
  }
  const d = DateTime.fromMillis(Date.parse(s), { zone });
  if (d.isValid) return d;
  throw new Error('Value is not a valid date');
}

export function toStringLoose(v: unknown): string {
  if (typeof v === 'object') return JSON.stringify(v);
  if (v === undefined) return '';
  return String(v);
}

export function validateFieldType(
  name: string,
  value: unknown,
  type: string,
  opts: { strict?: boolean; parseStrings?: boolean; zone?: string } = {},
): VResult {
  if (value === null || value === undefined) return { valid: true, newValue: value };
  const strict = !!opts.strict;
  const t = type.toLowerCase();
  // Built only for a failure: this runs for every field of every item.
  const fail = (): VResult => ({ valid: false, errorMessage: `'${name}' expects a ${t === 'datetime' ? 'dateTime' : type} but we got ${valueDescription(value)}` });
  try {
    switch (t) {
      case 'string':
        if (!opts.parseStrings) return { valid: true, newValue: value };
        if (strict && typeof value !== 'string') return fail();
        return { valid: true, newValue: toStringLoose(value) };
      case 'number':
        if (strict && typeof value !== 'number') return fail();
        return { valid: true, newValue: parseNumber(value) };
      case 'boolean':
        if (strict && typeof value !== 'boolean') return fail();
        return { valid: true, newValue: parseBoolean(value) };
      case 'datetime':
        return { valid: true, newValue: parseDateTime(value, opts.zone) };
      case 'object':
        if (strict && (typeof value !== 'object' || Array.isArray(value))) return fail();
        return { valid: true, newValue: parseObject(value) };
      case 'array':
        if (strict && !Array.isArray(value)) return fail();
        return { valid: true, newValue: parseArray(value) };
      default:
        return { valid: true, newValue: value };
    }
  } catch {
    return fail();
  }
}
