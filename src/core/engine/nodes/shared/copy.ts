/**
 * The one deep copy of item and parameter data, used by the runner and every node (where n8n's
 * nodes call n8n-workflow's deepCopy). Items are JSON-like trees, so plain objects and arrays
 * are copied by a walk, which is much cheaper than structuredClone's serialize/deserialize for
 * the small objects items hold; anything else keeps its structuredClone copy.
 *
 * - primitives, `undefined` and functions are returned as they are (a function is shared, as in
 *   n8n; structuredClone would throw);
 * - plain and null-prototype objects become plain objects with the same own enumerable string
 *   keys, `undefined` values included; an own `__proto__` key (JSON.parse makes one) stays an
 *   own key and never becomes the copy's prototype;
 * - arrays keep their holes; Dates are new Dates; Buffers are new Buffers (structuredClone would
 *   give a Uint8Array, with its own copy of the whole 8 KiB pool slab a small Buffer sits in);
 * - other objects (Map, Set, RegExp, typed arrays, class instances, …) go through structuredClone;
 * - a cycle (or a tree too deep for the walk), and a value of more than MAX_OBJECTS objects (an
 *   object reached twice is copied twice by the walk: a few shared references nested deep would
 *   make it exponential), fall back to structuredClone of the whole value, which copies each
 *   object once and keeps cycles and sharing.
 */
export function deepCopy<T>(value: T): T {
  left = MAX_OBJECTS;
  try {
    return copy(value);
  } catch (e) {
    if (e === TOO_MANY || e instanceof RangeError) return structuredClone(value); // RangeError: call stack exceeded, a cycle
    throw e;
  }
}

const MAX_OBJECTS = 100_000;
const TOO_MANY = new Error('deepCopy: too many objects for the walk');
/** Objects the current walk may still copy (deepCopy is synchronous and never re-entered). */
let left = 0;

const hasOwn = Object.prototype.hasOwnProperty;

function copy(v: any): any {
  if (v === null || typeof v !== 'object') return v;
  if (--left < 0) throw TOO_MANY;
  if (Array.isArray(v)) return v.map(copy);
  const proto = Object.getPrototypeOf(v);
  if (proto === Object.prototype || proto === null) {
    const o: any = {};
    for (const k in v) {
      if (!hasOwn.call(v, k)) continue;
      if (k === '__proto__') Object.defineProperty(o, k, { value: copy(v[k]), writable: true, enumerable: true, configurable: true });
      else o[k] = copy(v[k]);
    }
    return o;
  }
  if (v instanceof Date) return new Date(v.getTime());
  if (Buffer.isBuffer(v)) return Buffer.from(v);
  return structuredClone(v);
}
