/**
 * The one implementation of get / set / unset by path used by every node: lodash's
 * `get`, `set`, `unset` and `toPath` semantics, which is what n8n's nodes call.
 *
 * - `a.b[0].c`, `a[0][1]`, `a["x.y"]`, `a['x']`, `a[-1]`, `a[1.5]`, a leading `.` (→ `''` key);
 *   inside quotes a backslash escapes the next character (`a["x\"y"]` → `x"y`).
 *   There is no escaped dot: `a\.b` is the keys `a\` and `b`, as in lodash.
 * - A path that is a key of the object itself (`'a.b'` when the object has `a.b`), or that has no
 *   dot and no `[...]`, is used as a single key (lodash `isKey`) — also for set and unset.
 * - set creates missing intermediates: an array when the next key is an index (`0`, `12`; not
 *   `01`, not `-1`), else an object; a primitive in the way is replaced. Keys `__proto__`,
 *   `constructor` and `prototype` stop a set, as in lodash.
 * - get returns undefined when an intermediate is missing or the path is empty (`[]`).
 * - unset deletes the last key from its parent if the parent is an object; it never deletes
 *   through `__proto__` or `constructor.prototype` (lodash's prototype-pollution guard).
 */

export type PropertyPath = string | readonly string[];

/**
 * The helpers, made by one self-contained function (no imports, no outside names): the engine
 * calls it once here, and the sandbox installs the same source inside each isolate, so Function
 * and Function Item code's `getNodeParameter` reads paths exactly like the host does.
 */
export function pathHelpers() {
  const reIsDeepProp = /\.|\[(?:[^[\]]*|(["'])(?:(?!\1)[^\\]|\\.)*?\1)\]/;
  const reIsPlainProp = /^\w*$/;
  const rePropName = /[^.[\]]+|\[(?:(-?\d+(?:\.\d+)?)|(["'])((?:(?!\2)[^\\]|\\.)*?)\2)\]|(?=(?:\.|\[\])(?:\.|\[\]|$))/g;
  const reEscapeChar = /\\(\\)?/g;
  const reIsUint = /^(?:0|[1-9]\d*)$/;
  const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

  /** Parsed paths, memoised: node parameters reuse the same few paths for every item. Never mutated. */
  const pathCache = new Map<string, readonly string[]>();
  const MAX_CACHE = 5000;

  function stringToPath(path: string): readonly string[] {
    const hit = pathCache.get(path);
    if (hit) return hit;
    const out: string[] = [];
    if (path.charCodeAt(0) === 46 /* . */) out.push('');
    path.replace(rePropName, (match: string, num: string | undefined, quote: string | undefined, sub: string) => {
      out.push(quote ? sub.replace(reEscapeChar, '$1') : num || match);
      return '';
    });
    if (pathCache.size >= MAX_CACHE) pathCache.clear();
    pathCache.set(path, out);
    return out;
  }

  /** lodash isKey: the whole string is one property name for this object. */
  function isKey(path: string, obj: unknown): boolean {
    return reIsPlainProp.test(path) || !reIsDeepProp.test(path) || (obj !== null && obj !== undefined && path in Object(obj));
  }

  function castPath(path: PropertyPath, obj: unknown): readonly string[] {
    if (Array.isArray(path)) return path;
    const s = String(path); // a number (or other scalar) from a parameter is its string key, as in lodash
    return isKey(s, obj) ? [s] : stringToPath(s);
  }

  /** lodash isIndex (for a path segment): a non-negative integer without leading zeros. */
  function isIndex(key: string): boolean {
    return reIsUint.test(key) && Number(key) < Number.MAX_SAFE_INTEGER;
  }

  function isObjectLike(v: unknown): v is Record<string, any> {
    return v !== null && (typeof v === 'object' || typeof v === 'function');
  }

  /** lodash `_.toPath`: the keys of a path string (always parsed, unlike get/set's key check). */
  function toPath(path: PropertyPath): string[] {
    return Array.isArray(path) ? path.map(String) : [...stringToPath(String(path))];
  }

  /** lodash `_.get` (without default). */
  function getPath(obj: unknown, path: PropertyPath): any {
    if (obj === null || obj === undefined) return undefined;
    if (typeof path === 'string' && isKey(path, obj)) return (obj as any)[path];
    const keys = castPath(path, obj);
    let cur: any = obj;
    let i = 0;
    while (cur !== null && cur !== undefined && i < keys.length) cur = cur[keys[i++]];
    return i && i === keys.length ? cur : undefined;
  }

  /** lodash `_.set`: mutates `obj` (no-op when it is not an object). */
  function setPath(obj: unknown, path: PropertyPath, value: unknown): void {
    if (!isObjectLike(obj)) return;
    if (typeof path === 'string' && isKey(path, obj)) {
      // the common case (a plain field name): no key list
      if (!UNSAFE_KEYS.has(path)) Reflect.set(obj, path, value);
      return;
    }
    const keys = castPath(path, obj);
    const last = keys.length - 1;
    let nested: any = obj;
    for (let i = 0; nested !== null && nested !== undefined && i <= last; i++) {
      const key = keys[i];
      if (UNSAFE_KEYS.has(key)) return;
      let next = value;
      if (i !== last) {
        const cur = nested[key];
        next = isObjectLike(cur) ? cur : isIndex(keys[i + 1]) ? [] : {};
      }
      Reflect.set(nested, key, next); // a read-only property stays, as in lodash (no strict-mode throw)
      nested = nested[key];
    }
  }

  /** lodash `_.unset`: deletes the property at `path` (if its parent is an object). */
  function unsetPath(obj: unknown, path: PropertyPath): void {
    if (obj === null || obj === undefined) return;
    const keys = castPath(path, obj);
    if (!keys.length) return;
    for (let i = 0; i < keys.length; i++) {
      if (keys[i] === '__proto__' && !Object.prototype.hasOwnProperty.call(obj, '__proto__')) return;
      if (keys[i] === 'constructor' && keys[i + 1] === 'prototype') return;
    }
    const parent = keys.length < 2 ? obj : getPath(obj, keys.slice(0, -1));
    // Reflect: a non-configurable property (an array's length) stays instead of throwing.
    if (isObjectLike(parent)) Reflect.deleteProperty(parent, keys[keys.length - 1]);
  }

  return { toPath, getPath, setPath, unsetPath };
}

const helpers = pathHelpers();
/** lodash `_.toPath`: the keys of a path string (always parsed, unlike get/set's key check). */
export const toPath: (path: PropertyPath) => string[] = helpers.toPath;
/** lodash `_.get` (without default). */
export const getPath: (obj: unknown, path: PropertyPath) => any = helpers.getPath;
/** lodash `_.set`: mutates `obj` (no-op when it is not an object). */
export const setPath: (obj: unknown, path: PropertyPath, value: unknown) => void = helpers.setPath;
/** lodash `_.unset`: deletes the property at `path` (if its parent is an object). */
export const unsetPath: (obj: unknown, path: PropertyPath) => void = helpers.unsetPath;
