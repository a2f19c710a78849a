/**
 * Host-side fast path for the commonest expression forms. It evaluates NO code: a tiny
 * parser accepts only `$json` property paths, literals and one arithmetic, comparison or
 * logical operator between them, and the evaluator does plain own-property reads on JSON data.
 * Whenever a value is not plain JSON (or the form is anything else) it declines and the
 * caller evaluates the expression in the isolate, so results always equal the sandbox's.
 */
import { splitTemplate } from './compile.js';

/** Returned when the fast path cannot give the sandbox's exact result for this item. */
export const DECLINE: unique symbol = Symbol('decline');
export type Decline = typeof DECLINE;

/** What an expression may read: the current input item, and other nodes' items (or DECLINE). */
export interface FastEnv {
  item: { json?: unknown } | undefined;
  /** `$node["name"]` (kind 'node') or `$('name').item` (kind 'paired') for the current item */
  ref(kind: 'node' | 'paired', name: string): unknown;
}
export type FastExpression = (env: FastEnv) => unknown;

type Access = { key: string; optional: boolean };
/** root: the current item's json, or another node's item (the path then starts with 'json') */
type Operand = { lit: unknown } | { root: { kind: 'node' | 'paired'; name: string } | null; path: Access[] };
type Node = { a: Operand; op?: string; b?: Operand };

const OPS = ['||', '&&', '??', '===', '!==', '<=', '>=', '+', '-', '*', '/', '%', '<', '>'];
const IDENT = /^[A-Za-z_$][\w$]*/;
const NUMBER = /^(?:0|[1-9]\d*)(?:\.\d+)?(?![\w$.])/;
const STRING = /^(?:"([^"\\\n\r]*)"|'([^'\\\n\r]*)')/;
const INDEX = /^(?:0|[1-9]\d*)(?=\s*\])/;
// Names inherited from the isolate's prototypes (or its `__x_` extension getters): a read that
// is not an own property would find them there, so the fast path must not answer "undefined".
const INHERITED = new Set([...Object.getOwnPropertyNames(Object.prototype), ...Object.getOwnPropertyNames(Array.prototype)]);
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);
// Larger values go to the sandbox, which enforces the result-size limit.
const MAX_STRING = 1 << 20;

class Parser {
  i = 0;
  constructor(readonly s: string) {}
  ws(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i])) this.i++;
  }
  rest(): string {
    return this.s.slice(this.i);
  }
  operand(): Operand | undefined {
    this.ws();
    const r = this.rest();
    let m: RegExpExecArray | null;
    if ((m = STRING.exec(r))) {
      this.i += m[0].length;
      return { lit: m[1] ?? m[2] };
    }
    if ((m = /^-?/.exec(r)) && NUMBER.test(r.slice(m[0].length))) {
      const neg = m[0].length;
      const n = NUMBER.exec(r.slice(neg))![0];
      this.i += neg + n.length;
      return { lit: neg ? -Number(n) : Number(n) };
    }
    const id = IDENT.exec(r)?.[0];
    if (id === 'true' || id === 'false' || id === 'null') {
      this.i += id.length;
      return { lit: id === 'true' ? true : id === 'false' ? false : null };
    }
    let root: { kind: 'node' | 'paired'; name: string } | null = null;
    if (id === '$' || id === '$node') {
      // $('Name').item.json… and $node["Name"].json…: fixed shapes only
      this.i += id.length;
      const m1 = id === '$' ? /^\(\s*(?:"([^"\\\n\r]*)"|'([^'\\\n\r]*)')\s*\)\s*\.\s*item\s*\.\s*json(?![\w$])/.exec(this.rest())
        : /^(?:\[\s*(?:"([^"\\\n\r]*)"|'([^'\\\n\r]*)')\s*\]|\.([A-Za-z_$][\w$]*))\s*\.\s*json(?![\w$])/.exec(this.rest());
      if (!m1) return undefined;
      this.i += m1[0].length;
      root = { kind: id === '$' ? 'paired' : 'node', name: m1[1] ?? m1[2] ?? m1[3] };
    } else if (id === '$json') this.i += id.length;
    else return undefined;
    const path: Access[] = root ? [{ key: 'json', optional: false }] : [];
    for (;;) {
      this.ws();
      const optional = this.s.startsWith('?.', this.i);
      if (optional) this.i += 2;
      this.ws();
      const c = this.s[this.i];
      let key: string | undefined;
      if (c === '[' || (optional && this.s[this.i] === '[')) {
        this.i++;
        this.ws();
        const t = this.rest();
        if ((m = STRING.exec(t))) key = m[1] ?? m[2];
        else if ((m = INDEX.exec(t))) key = m[0];
        else return undefined;
        this.i += m[0].length;
        this.ws();
        if (this.s[this.i++] !== ']') return undefined;
      } else if (c === '.' && !optional) {
        this.i++;
        this.ws();
        key = IDENT.exec(this.rest())?.[0];
        if (key === undefined) return undefined;
        this.i += key.length;
      } else if (optional) {
        key = IDENT.exec(this.rest())?.[0];
        if (key === undefined) return undefined;
        this.i += key.length;
      } else break;
      if (FORBIDDEN.has(key) || key.startsWith('__')) return undefined;
      path.push({ key, optional });
    }
    return { root, path };
  }
  parse(): Node | undefined {
    const a = this.operand();
    if (!a) return undefined;
    this.ws();
    if (this.i === this.s.length) return { a };
    const op = OPS.find((o) => this.s.startsWith(o, this.i));
    if (!op) return undefined;
    this.i += op.length;
    // '/*', '//', '**', '+=', '==='-prefixes and the like are other syntax: decline
    if (/^[=*/+\-<>!|&?]/.test(this.s[this.i] ?? '')) return undefined;
    const b = this.operand();
    this.ws();
    if (!b || this.i !== this.s.length) return undefined;
    return { a, op, b };
  }
}

function isPlain(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const p = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null;
}

/** The value the isolate would see after the frame's JSON round trip, or DECLINE. */
function jsonValue(v: unknown): unknown {
  switch (typeof v) {
    case 'string':
      return v.length > MAX_STRING ? DECLINE : v;
    case 'boolean':
    case 'undefined':
      return v;
    case 'number':
      return Number.isFinite(v) ? (v === 0 ? 0 : v) : DECLINE;
    case 'object': {
      if (v === null) return null;
      if (!Array.isArray(v) && !isPlain(v)) return DECLINE;
      try {
        const s = JSON.stringify(v);
        return s.length > MAX_STRING ? DECLINE : JSON.parse(s);
      } catch {
        return DECLINE;
      }
    }
    default:
      return DECLINE;
  }
}

// A read through null/undefined throws a TypeError, which the sandbox (like n8n's riot-tmpl)
// turns into undefined for the whole {{ }} part.
const THROWS: unique symbol = Symbol('throws');

function read(json: unknown, path: Access[]): unknown {
  let cur = json;
  for (const { key, optional } of path) {
    if (cur === null || cur === undefined) return optional ? undefined : THROWS;
    const isArray = Array.isArray(cur);
    if (!isArray && !isPlain(cur)) return DECLINE; // strings, numbers, Dates, Buffers...: let the sandbox decide
    // A descriptor read never runs a getter: only data properties are answered here.
    const d = Object.getOwnPropertyDescriptor(cur, key);
    if (d) {
      if (!('value' in d)) return DECLINE;
      cur = d.value;
      if (cur === undefined && isArray) return DECLINE; // an undefined array slot is null after JSON
    } else if (INHERITED.has(key) || (isArray && /^\d+$/.test(key) && +key < (cur as unknown[]).length)) return DECLINE; // inherited, or a hole (null after JSON)
    else cur = undefined;
  }
  return cur;
}

function operandValue(o: Operand, env: FastEnv, json: unknown): unknown {
  if ('lit' in o) return o.lit;
  let base = json;
  if (o.root) {
    base = env.ref(o.root.kind, o.root.name);
    if (base === DECLINE) return DECLINE;
  }
  const v = read(base, o.path);
  return v === THROWS ? v : jsonValue(v);
}

function apply(op: string, a: unknown, b: unknown): unknown {
  const ta = typeof a;
  const tb = typeof b;
  if (op === '===' || op === '!==') {
    if ((ta === 'object' && a !== null) || (tb === 'object' && b !== null)) return DECLINE;
    return op === '===' ? a === b : a !== b;
  }
  const nums = ta === 'number' && tb === 'number';
  const strs = ta === 'string' && tb === 'string';
  if (!nums && !(strs && (op === '+' || op.startsWith('<') || op.startsWith('>')))) return DECLINE;
  const x = a as number;
  const y = b as number;
  switch (op) {
    case '+': {
      const r = (x as unknown as string) + (y as unknown as string);
      return typeof r === 'string' && r.length > MAX_STRING ? DECLINE : r;
    }
    case '-': return x - y;
    case '*': return x * y;
    case '/': return x / y;
    case '%': return x % y;
    case '<': return x < y;
    case '>': return x > y;
    case '<=': return x <= y;
    case '>=': return x >= y;
  }
  return DECLINE;
}

type Part = (env: FastEnv, json: unknown) => unknown;

function compileCode(code: string): Part | undefined {
  let t = code.trim();
  while (t.endsWith(';')) t = t.slice(0, -1).trimEnd();
  if (t === '') return () => undefined;
  const node = new Parser(t).parse();
  if (!node) return undefined;
  const { a, op, b } = node;
  if (!op) return (env, json) => {
    const x = operandValue(a, env, json);
    return x === THROWS ? undefined : x;
  };
  return (env, json) => {
    const x = operandValue(a, env, json);
    if (x === DECLINE) return DECLINE;
    if (x === THROWS) return undefined;
    if (op === '||' || op === '&&' || op === '??') {
      // short-circuit: the right side is not read (so cannot throw) when the left decides
      if (op === '||' ? x : op === '&&' ? !x : x !== null && x !== undefined) return x;
      const y = operandValue(b!, env, json);
      return y === THROWS ? undefined : y;
    }
    const y = operandValue(b!, env, json);
    if (y === DECLINE) return DECLINE;
    if (y === THROWS) return undefined;
    return apply(op, x, y);
  };
}

const cache = new Map<string, FastExpression | null>();
let enabled = true;

/** Turns the fast path off (every expression goes to the sandbox): differential tests use it. */
export function setExpressionFastPath(on: boolean): void {
  enabled = on;
}

/**
 * A host-side evaluator for `expression` (a parameter value starting with '='), or null
 * when its form needs the sandbox. The evaluator may still return DECLINE for an item.
 */
export function compileFastExpression(expression: string): FastExpression | null {
  if (!enabled) return null;
  let f = cache.get(expression);
  if (f !== undefined) return f;
  f = build(expression.slice(1));
  if (cache.size > 20000) cache.clear();
  cache.set(expression, f);
  return f;
}

function build(tpl: string): FastExpression | null {
  const chunks = splitTemplate(tpl);
  const parts: Array<string | Part> = [];
  for (const c of chunks) {
    if (c.type === 'text') parts.push(c.text);
    else {
      const fn = compileCode(c.text);
      if (!fn) return null;
      parts.push(fn);
    }
  }
  if (!parts.some((p) => typeof p !== 'string')) return null; // a literal: the caller handles those
  const json = (item: { json?: unknown } | undefined) => (item ? item.json : {});
  if (parts.length === 1) {
    const fn = parts[0] as Part;
    return (env) => fn(env, json(env.item));
  }
  // A template: each part is rendered as the sandbox's __S.str does (null/undefined → '').
  return (env) => {
    const j = json(env.item);
    let s = '';
    for (const p of parts) {
      if (typeof p === 'string') {
        s += p;
        continue;
      }
      const v = p(env, j);
      if (v === DECLINE || (typeof v === 'object' && v !== null)) return DECLINE;
      s += v === undefined || v === null ? '' : String(v);
      if (s.length > MAX_STRING) return DECLINE;
    }
    return s;
  };
}
