import { DateTime } from 'luxon';
import { validateFieldType } from './validate.js';

/** n8n's filter parameter (If v2, Filter v2, Switch v3): conditions + combinator + options. */
export interface FilterValue {
  options?: { caseSensitive?: boolean; typeValidation?: 'strict' | 'loose'; version?: number; leftValue?: string };
  conditions?: Array<{ id?: string; leftValue?: unknown; rightValue?: unknown; operator?: { type?: string; operation?: string; rightType?: string; singleValue?: boolean } }>;
  combinator?: 'and' | 'or';
}

export class FilterError extends Error {
  constructor(message: string, public description: string) {
    super(message);
    this.name = 'FilterError';
  }
}

const article = (n: string) => `${'aeiou'.includes(n.charAt(0)) ? 'an' : 'a'} ${n}`;

function parseSingle(value: unknown, type: string, strict: boolean, version: number) {
  if (type === 'any' || value === null || value === undefined) return { valid: true as const, newValue: value };
  if (type === 'boolean' && !strict) {
    if (version >= 2) {
      const r = validateFieldType('filter', value, type);
      if (r.valid) return r;
    }
    return { valid: true as const, newValue: Boolean(value) };
  }
  if (type === 'number' && Number.isNaN(value)) return { valid: true as const, newValue: value };
  return validateFieldType('filter', value, type, { strict, parseStrings: true });
}

function regex(pattern: string): RegExp {
  const m = (pattern || '').match(/^\/(.*?)\/([gimusy]*)$/);
  return m ? new RegExp(m[1], m[2]) : new RegExp((pattern || '').toString());
}

export function executeCondition(cond: NonNullable<FilterValue['conditions']>[number], opts: FilterValue['options'], index: number, itemIndex: number, forceLoose = false): boolean {
  const op = { type: cond.operator?.type ?? 'string', operation: cond.operator?.operation ?? 'equals', rightType: cond.operator?.rightType, singleValue: cond.operator?.singleValue };
  const strict = !forceLoose && opts?.typeValidation === 'strict';
  const version = opts?.version ?? 1;
  const ignoreCase = opts?.caseSensitive === false;
  const rightType = op.rightType ?? op.type;
  const pl = parseSingle(cond.leftValue, op.type, strict, version);
  const pr = parseSingle(cond.rightValue, rightType, strict, version);
  const suffix = `[condition ${index}, item ${itemIndex}]`;
  const bad = (type: string, from: string, v: string) =>
    strict
      ? `Wrong type: '${v}' is ${article(from.toLocaleLowerCase())} but was expecting ${article(type)} ${suffix}`
      : `Conversion error: the ${from.toLocaleLowerCase()} '${v}' can't be converted to ${article(type)} ${suffix}`;
  const desc = 'Try changing the type of comparison.';
  if (!pl.valid) throw new FilterError(bad(op.type, typeof cond.leftValue, String(cond.leftValue)), desc);
  if (!pr.valid && !op.singleValue) throw new FilterError(bad(rightType, typeof cond.rightValue, String(cond.rightValue)), desc);
  let left: any = pl.newValue;
  let right: any = pr.valid ? pr.newValue : cond.rightValue;
  const exists = left !== undefined && left !== null && !(typeof left === 'number' && Number.isNaN(left));
  if (op.operation === 'exists') return exists;
  if (op.operation === 'notExists') return !exists;
  switch (op.type) {
    case 'string': {
      if (ignoreCase) {
        if (typeof left === 'string') left = left.toLocaleLowerCase();
        if (typeof right === 'string' && op.operation !== 'regex' && op.operation !== 'notRegex') right = right.toLocaleLowerCase();
      }
      const l = String(left ?? '');
      const r = String(right ?? '');
      switch (op.operation) {
        case 'empty': return l.length === 0;
        case 'notEmpty': return l.length !== 0;
        case 'equals': return l === r;
        case 'notEquals': return l !== r;
        case 'contains': return l.includes(r);
        case 'notContains': return !l.includes(r);
        case 'startsWith': return l.startsWith(r);
        case 'notStartsWith': return !l.startsWith(r);
        case 'endsWith': return l.endsWith(r);
        case 'notEndsWith': return !l.endsWith(r);
        case 'regex': return regex(r).test(l);
        case 'notRegex': return !regex(r).test(l);
      }
      break;
    }
    case 'number':
      switch (op.operation) {
        case 'empty': return !exists;
        case 'notEmpty': return exists;
        case 'equals': return left === right;
        case 'notEquals': return left !== right;
        case 'gt': return left > right;
        case 'lt': return left < right;
        case 'gte': return left >= right;
        case 'lte': return left <= right;
      }
      break;
    case 'dateTime': {
      if (op.operation === 'empty') return !exists;
      if (op.operation === 'notEmpty') return exists;
      if (!left || !right) return false;
      const a = (left as DateTime).toMillis();
      const b = (right as DateTime).toMillis();
      switch (op.operation) {
        case 'equals': return a === b;
        case 'notEquals': return a !== b;
        case 'after': return a > b;
        case 'before': return a < b;
        case 'afterOrEquals': return a >= b;
        case 'beforeOrEquals': return a <= b;
      }
      break;
    }
    case 'boolean':
      switch (op.operation) {
        case 'empty': return !exists;
        case 'notEmpty': return exists;
        case 'true': return left === true;
        case 'false': return left === false;
        case 'equals': return left === right;
        case 'notEquals': return left !== right;
      }
      break;
    case 'array': {
      const l = (left ?? []) as unknown[];
      if (ignoreCase && typeof right === 'string') right = right.toLocaleLowerCase();
      switch (op.operation) {
        case 'contains': return l.includes(right);
        case 'notContains': return !l.includes(right);
        case 'lengthEquals': return l.length === right;
        case 'lengthNotEquals': return l.length !== right;
        case 'lengthGt': return l.length > right;
        case 'lengthLt': return l.length < right;
        case 'lengthGte': return l.length >= right;
        case 'lengthLte': return l.length <= right;
        case 'empty': return l.length === 0;
        case 'notEmpty': return l.length !== 0;
      }
      break;
    }
    case 'object':
      switch (op.operation) {
        case 'empty': return !left || Object.keys(left).length === 0;
        case 'notEmpty': return !!left && Object.keys(left).length !== 0;
      }
      break;
  }
  return false;
}

export function executeFilter(value: FilterValue, itemIndex: number, forceLoose = false): boolean {
  const conds = value?.conditions ?? [];
  const pass = (c: (typeof conds)[number], i: number) => executeCondition(c, value.options, i, itemIndex, forceLoose);
  if ((value?.combinator ?? 'and') === 'or') return conds.some(pass);
  return conds.every(pass);
}
