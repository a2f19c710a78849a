import type { IDataObject } from '../../types.js';
import { parseDateTime } from './validate.js';

const DEFAULT_OP: Record<string, string> = { boolean: 'equal', dateTime: 'after', number: 'smaller', string: 'equal' };
const DEFAULT_VAL: Record<string, unknown> = { boolean: false, dateTime: '', number: 0, string: '' };

function regexOf(v2: unknown): RegExp {
  const s = String(v2 ?? '');
  const m = s.match(/^\/(.*?)\/([gimusy]*)$/);
  return !m ? new RegExp(s) : new RegExp(m[1], m[2]);
}

function isEmpty(v: unknown): boolean {
  return (
    [undefined, null, ''].includes(v as any) ||
    (typeof v === 'number' && Number.isNaN(v)) ||
    (typeof v === 'object' && v !== null && Object.entries(v).length === 0)
  );
}

/** Condition semantics of If v1 / Switch v1-v2 (value1, value2, operation). */
export function compareV1(type: string, c: IDataObject, _version = 1): boolean {
  const op = String(c.operation ?? DEFAULT_OP[type]);
  let v1: any = c.value1 ?? DEFAULT_VAL[type];
  let v2: any = c.value2 ?? DEFAULT_VAL[type];
  if (type === 'dateTime') {
    const toMs = (v: any) => (typeof v === 'number' ? v : parseDateTime(v).toMillis());
    v1 = toMs(v1);
    v2 = toMs(v2);
  }
  switch (op) {
    case 'after': return v1 > v2;
    case 'before': return v1 < v2;
    case 'contains': return String(v1 ?? '').includes(String(v2 ?? ''));
    case 'notContains': return !String(v1 ?? '').includes(String(v2 ?? ''));
    case 'endsWith': return String(v1).endsWith(String(v2));
    case 'notEndsWith': return !String(v1).endsWith(String(v2));
    case 'equal': return v1 === v2;
    case 'notEqual': return v1 !== v2;
    case 'larger': return (v1 || 0) > (v2 || 0);
    case 'largerEqual': return (v1 || 0) >= (v2 || 0);
    case 'smaller': return (v1 || 0) < (v2 || 0);
    case 'smallerEqual': return (v1 || 0) <= (v2 || 0);
    case 'startsWith': return String(v1).startsWith(String(v2));
    case 'notStartsWith': return !String(v1).startsWith(String(v2));
    case 'isEmpty': return isEmpty(v1);
    case 'isNotEmpty': return !isEmpty(v1);
    case 'regex': return !!String(v1 ?? '').match(regexOf(v2));
    case 'notRegex': return !String(v1 ?? '').match(regexOf(v2));
  }
  return false;
}
