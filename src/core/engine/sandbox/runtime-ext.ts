// @ts-nocheck
/* eslint-disable */
/**
 * Runs INSIDE the isolate: n8n's expression extension functions (.isEmpty(),
 * .toDateTime(), .format(), .sum(), ...). The expression compiler rewrites
 * `.name(` to `.__x_name(`; the dispatcher calls a native method of that name when the
 * value has one (n8n also prefers natives), otherwise the extension for the value's type.
 */
export function installExtensions(G, H) {
  const { DateTime, Duration } = G.luxon;
  const isDate = (v) => v instanceof Date || v instanceof DateTime;
  const toDT = (v) => (v instanceof DateTime ? v : DateTime.fromJSDate(v));
  const xerr = (m) => {
    const e = new Error(m);
    e.name = 'ExpressionExtensionError';
    return e;
  };
  const isEmptyObj = (o) => Object.keys(o).length === 0;
  function strToDT(s, fmt) {
    if (fmt) {
      const d = DateTime.fromFormat(s, fmt);
      if (!d.isValid) throw xerr(`can't parse date with format ${fmt}`);
      return d;
    }
    for (const f of [DateTime.fromISO, DateTime.fromHTTP, DateTime.fromRFC2822, DateTime.fromSQL]) {
      const d = f.call(DateTime, s);
      if (d.isValid) return d;
    }
    const js = new Date(s);
    if (!isNaN(js.getTime())) return DateTime.fromJSDate(js);
    throw xerr('cannot convert to Luxon DateTime');
  }
  const emailRe = /(?:[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*|"(?:[\x01-\x08\x0b\x0c\x0e-\x1f\x21\x23-\x5b\x5d-\x7f]|\\[\x01-\x09\x0b\x0c\x0e-\x7f])*")@(?:(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]*[a-z0-9])?|\[(?:(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)\.){3}(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?|[a-z0-9-]*[a-z0-9]:(?:[\x01-\x08\x0b\x0c\x0e-\x1f\x21-\x5a\x53-\x7f]|\\[\x01-\x09\x0b\x0c\x0e-\x7f])+)\])/i;
  const urlRe = /https?:\/\/(?:www\.)?[-a-zA-Z0-9@:%._+~#=]{1,256}\.[a-zA-Z0-9()]{1,6}\b(?:[-a-zA-Z0-9()@:%_+.~#?&/=]*)/;
  const domainRe = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9][a-z0-9-]{0,61}[a-z0-9]$/i;
  const titleCase = (s) => s.toLowerCase().replace(/(^|[\s\-_/])(\p{L})/gu, (m, a, b) => a + b.toUpperCase());
  const str = {
    isEmpty: (s) => s === '',
    isNotEmpty: (s) => s !== '',
    length: (s) => s.length,
    toNumber: (s) => Number(s),
    toFloat: (s) => {
      if (s.includes(',')) throw xerr('cannot convert to float, expected . as decimal separator');
      const n = Number(s);
      if (isNaN(n)) throw xerr('cannot convert to float');
      return n;
    },
    toInt: (s) => {
      const n = parseInt(s.replace(/,/g, ''), 10);
      if (isNaN(n)) throw xerr('cannot convert to integer');
      return n;
    },
    toWholeNumber: (s) => {
      const n = parseInt(s.replace(/,/g, ''), 10);
      if (isNaN(n)) throw xerr('cannot convert to integer');
      return n;
    },
    toBoolean: (s) => !['false', 'no', '0', ''].includes(s.toLowerCase().trim()),
    toDate: (s) => {
      const d = new Date(s);
      if (isNaN(d.getTime())) throw xerr('cannot convert to date');
      return d;
    },
    toDateTime: (s, fmt) => strToDT(s, fmt),
    toTitleCase: titleCase,
    toSentenceCase: (s) => s.toLowerCase().replace(/(^\s*\p{L})|([.!?]\s+\p{L})/gu, (m) => m.toUpperCase()),
    toSnakeCase: (s) => s.toLowerCase().replace(/[ \-]/g, '_').replace(/[^\p{L}0-9_]/gu, ''),
    removeTags: (s) => s.replace(/<[^>]*>?/gm, ''),
    removeMarkdown: (s) =>
      s
        .replace(/```[\s\S]*?```/g, '')
        .replace(/`([^`]*)`/g, '$1')
        .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
        .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
        .replace(/^#{1,6}\s*/gm, '')
        .replace(/(\*\*|__)(.*?)\1/g, '$2')
        .replace(/(\*|_)(.*?)\1/g, '$2')
        .replace(/^\s*[-*+]\s+/gm, '')
        .replace(/^\s*>\s?/gm, ''),
    extractEmail: (s) => {
      const m = s.match(emailRe);
      return m ? m[0] : undefined;
    },
    extractUrl: (s) => {
      const m = s.match(urlRe);
      return m ? m[0] : undefined;
    },
    extractDomain: (s) => {
      const em = s.match(/@([^\s@>]+)/);
      if (s.includes('@') && em) return em[1];
      try {
        const u = new URL(s.includes('://') ? s : 'http://' + s);
        return u.hostname.replace(/^www\./, '');
      } catch (e) {
        return undefined;
      }
    },
    extractUrlPath: (s) => {
      try {
        return new URL(s).pathname;
      } catch (e) {
        return undefined;
      }
    },
    isEmail: (s) => {
      const m = s.match(emailRe);
      return !!m && m[0] === s;
    },
    isUrl: (s) => {
      try {
        const u = new URL(s);
        return u.protocol === 'http:' || u.protocol === 'https:';
      } catch (e) {
        return false;
      }
    },
    isDomain: (s) => domainRe.test(s),
    isNumeric: (s) => s.trim() !== '' && !isNaN(Number(s)) && !isNaN(parseFloat(s)),
    hash: (s, algo) => H.hash(String(algo || 'md5').toLowerCase(), s),
    base64Encode: (s) => H.b64(s, 'enc'),
    base64Decode: (s) => H.b64(s, 'dec'),
    urlEncode: (s, all) => (all ? encodeURI(s) : encodeURIComponent(s)),
    urlDecode: (s, all) => (all ? decodeURI(s) : decodeURIComponent(s)),
    quote: (s, q) => {
      q = q || '"';
      return q + s.replace(/\\/g, '\\\\').replace(new RegExp(q, 'g'), '\\' + q) + q;
    },
    replaceSpecialChars: (s) => s.normalize('NFD').replace(/[\u0300-\u036f]/g, ''),
    parseJson: (s) => JSON.parse(s),
    toJsonString: (s) => JSON.stringify(s),
  };
  const num = {
    round: (n, d) => {
      d = d || 0;
      const f = Math.pow(10, d);
      return Math.round(n * f) / f;
    },
    floor: (n) => Math.floor(n),
    ceil: (n) => Math.ceil(n),
    abs: (n) => Math.abs(n),
    isEven: (n) => n % 2 === 0,
    isOdd: (n) => Math.abs(n % 2) === 1,
    isInteger: (n) => Number.isInteger(n),
    toBoolean: (n) => n !== 0,
    toInt: (n) => Math.trunc(n),
    toFloat: (n) => n,
    toNumber: (n) => n,
    format: (n, locales, opts) => new Intl.NumberFormat(locales, opts).format(n),
    toDateTime: (n, unit) => {
      if (unit === 's') return DateTime.fromSeconds(n);
      if (unit === 'us') return DateTime.fromMillis(n / 1000);
      if (unit === 'excel') return DateTime.fromMillis((n - 25569) * 86400000, { zone: 'UTC' });
      return DateTime.fromMillis(n);
    },
    isEmpty: () => false,
    isNotEmpty: () => true,
    toJsonString: (n) => JSON.stringify(n),
  };
  const bool = {
    toInt: (b) => (b ? 1 : 0),
    toFloat: (b) => (b ? 1 : 0),
    toNumber: (b) => (b ? 1 : 0),
    isEmpty: () => false,
    isNotEmpty: () => true,
    toJsonString: (b) => JSON.stringify(b),
  };
  const deq = (a, b) => a === b || JSON.stringify(a) === JSON.stringify(b);
  const uniq = (arr, fields) => {
    const out = [];
    for (const v of arr) {
      const key = fields && fields.length && v && typeof v === 'object' ? fields.map((f) => v[f]) : v;
      if (!out.some((o) => deq(fields && fields.length && o && typeof o === 'object' ? fields.map((f) => o[f]) : o, key))) out.push(v);
    }
    return out;
  };
  const nums = (a) => a.map((v) => (typeof v === 'string' ? parseFloat(v) : v)).filter((v) => typeof v === 'number' && !isNaN(v));
  const arr = {
    isEmpty: (a) => a.length === 0,
    isNotEmpty: (a) => a.length > 0,
    first: (a) => a[0],
    last: (a) => a[a.length - 1],
    sum: (a) => nums(a).reduce((x, y) => x + y, 0),
    average: (a) => {
      const n = nums(a);
      return n.length ? n.reduce((x, y) => x + y, 0) / n.length : 0;
    },
    max: (a) => Math.max(...nums(a)),
    min: (a) => Math.min(...nums(a)),
    compact: (a) => a.filter((v) => v !== null && v !== undefined && v !== '' && !(typeof v === 'number' && isNaN(v))),
    pluck: (a, ...fields) => {
      if (!fields.length) return a;
      return a
        .filter((v) => v && typeof v === 'object')
        .map((v) => {
          if (fields.length === 1) return v[fields[0]];
          const o = {};
          for (const f of fields) o[f] = v[f];
          return o;
        })
        .filter((v) => v !== undefined);
    },
    randomItem: (a) => a[Math.floor(Math.random() * a.length)],
    unique: (a, ...fields) => uniq(a, fields),
    removeDuplicates: (a, ...fields) => uniq(a, fields),
    chunk: (a, size) => {
      const out = [];
      for (let i = 0; i < a.length; i += size) out.push(a.slice(i, i + size));
      return out;
    },
    difference: (a, b) => a.filter((v) => !b.some((w) => deq(v, w))),
    intersection: (a, b) => uniq(a.filter((v) => b.some((w) => deq(v, w)))),
    union: (a, b) => uniq(a.concat(b)),
    append: (a, ...v) => a.concat(v),
    merge: (a, b) => {
      const out = {};
      for (const o of a.concat(b || [])) if (o && typeof o === 'object') for (const k of Object.keys(o)) if (!(k in out)) out[k] = o[k];
      return out;
    },
    smartJoin: (a, keyField, valueField) => {
      const out = {};
      for (const o of a) if (o && typeof o === 'object' && keyField in o) out[o[keyField]] = o[valueField];
      return out;
    },
    renameKeys: (a, ...pairs) =>
      a.map((o) => {
        if (!o || typeof o !== 'object') return o;
        const n = Object.assign({}, o);
        for (let i = 0; i + 1 < pairs.length; i += 2) {
          if (pairs[i] in n) {
            n[pairs[i + 1]] = n[pairs[i]];
            delete n[pairs[i]];
          }
        }
        return n;
      }),
    toJsonString: (a) => JSON.stringify(a),
  };
  const obj = {
    isEmpty: (o) => isEmptyObj(o),
    isNotEmpty: (o) => !isEmptyObj(o),
    hasField: (o, f) => f in o,
    removeField: (o, f) => {
      const n = Object.assign({}, o);
      delete n[f];
      return n;
    },
    removeFieldsContaining: (o, s) => {
      const n = {};
      for (const [k, v] of Object.entries(o)) if (!(typeof v === 'string' && v.includes(s))) n[k] = v;
      return n;
    },
    keepFieldsContaining: (o, s) => {
      const n = {};
      for (const [k, v] of Object.entries(o)) if (typeof v === 'string' && v.includes(s)) n[k] = v;
      return n;
    },
    compact: (o) => {
      const n = {};
      for (const [k, v] of Object.entries(o)) if (v !== null && v !== undefined && v !== '') n[k] = v && typeof v === 'object' && !Array.isArray(v) ? obj.compact(v) : v;
      return n;
    },
    toJsonString: (o) => JSON.stringify(o),
    urlEncode: (o) =>
      Object.entries(o)
        .map(([k, v]) => encodeURIComponent(k) + '=' + encodeURIComponent(String(v)))
        .join('&'),
    keys: (o) => Object.keys(o),
    values: (o) => Object.values(o),
  };
  const date = {
    format: (d, fmt) => toDT(d).toFormat(fmt),
    toDateTime: (d) => toDT(d),
    plus: (d, n, unit) => {
      const r = typeof n === 'object' ? toDT(d).plus(n) : toDT(d).plus({ [unit || 'milliseconds']: n });
      return d instanceof Date ? r.toJSDate() : r;
    },
    minus: (d, n, unit) => {
      const r = typeof n === 'object' ? toDT(d).minus(n) : toDT(d).minus({ [unit || 'milliseconds']: n });
      return d instanceof Date ? r.toJSDate() : r;
    },
    beginningOf: (d, unit) => toDT(d).startOf(unit || 'week'),
    endOfMonth: (d) => toDT(d).endOf('month'),
    extract: (d, unit) => {
      const dt = toDT(d);
      unit = unit || 'week';
      if (unit === 'week' || unit === 'weekNumber') return dt.weekNumber;
      if (unit === 'yearDayNumber') return dt.ordinal;
      return dt.get(unit);
    },
    isBetween: (d, a, b) => {
      const t = toDT(d).toMillis();
      const x = (v) => (typeof v === 'string' ? strToDT(v) : toDT(v)).toMillis();
      const lo = Math.min(x(a), x(b));
      const hi = Math.max(x(a), x(b));
      return t > lo && t < hi;
    },
    isDst: (d) => toDT(d).isInDST,
    isWeekend: (d) => toDT(d).weekday > 5,
    isInLast: (d, n, unit) => {
      const dt = toDT(d);
      const now = DateTime.now();
      return dt >= now.minus({ [unit || 'minutes']: n || 0 }) && dt <= now;
    },
    diffTo: (d, other, unit) => {
      const o = typeof other === 'string' ? strToDT(other) : toDT(other);
      unit = unit || 'days';
      if (Array.isArray(unit)) return toDT(d).diff(o, unit).toObject();
      return toDT(d).diff(o, unit).as(unit);
    },
    toInt: (d) => toDT(d).toMillis(),
    toFloat: (d) => toDT(d).toMillis(),
    isEmpty: () => false,
    isNotEmpty: () => true,
  };
  const kinds = { string: str, number: num, boolean: bool, array: arr, object: obj, date };
  function kindOf(v) {
    const t = typeof v;
    if (t === 'string' || t === 'number' || t === 'boolean') return t;
    if (Array.isArray(v)) return 'array';
    if (isDate(v)) return 'date';
    return 'object';
  }
  const names = new Set();
  for (const k of Object.keys(kinds)) for (const n of Object.keys(kinds[k])) names.add(n);
  for (const name of names) {
    Object.defineProperty(Object.prototype, '__x_' + name, {
      value: function (...args) {
        const self = this instanceof String || this instanceof Number || this instanceof Boolean ? this.valueOf() : this;
        const kind = kindOf(self);
        const impl = kinds[kind][name];
        // n8n's date extensions take (amount, unit); Luxon's own plus/minus take objects
        if (impl && kind === 'date' && (name === 'plus' || name === 'minus') && typeof args[0] !== 'object') return impl(self, ...args);
        const nat = self[name];
        if (typeof nat === 'function') return nat.apply(self, args);
        if (impl) return impl(self, ...args);
        throw new TypeError(`${name} is not a function`);
      },
      enumerable: false,
      writable: true,
      configurable: true,
    });
  }
  return Array.from(names);
}
