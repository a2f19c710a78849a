// @ts-nocheck
/* eslint-disable */
/**
 * Runs INSIDE the isolate: small web-platform globals that V8 alone lacks but n8n code
 * commonly uses (URL, URLSearchParams, atob/btoa, TextEncoder/TextDecoder). URL parsing
 * is delegated to the host's WHATWG parser through a pure-data callback.
 */
export function installWebGlobals(G, H) {
  class URLSearchParams {
    constructor(init) {
      this._p = [];
      if (typeof init === 'string') {
        const s = init.startsWith('?') ? init.slice(1) : init;
        for (const part of s.split('&')) {
          if (!part) continue;
          const i = part.indexOf('=');
          const dec = (x) => decodeURIComponent(x.replace(/\+/g, ' '));
          this._p.push(i < 0 ? [dec(part), ''] : [dec(part.slice(0, i)), dec(part.slice(i + 1))]);
        }
      } else if (Array.isArray(init)) for (const [k, v] of init) this._p.push([String(k), String(v)]);
      else if (init && typeof init === 'object') for (const k of Object.keys(init)) this._p.push([k, String(init[k])]);
    }
    append(k, v) { this._p.push([String(k), String(v)]); }
    delete(k) { this._p = this._p.filter(([x]) => x !== k); }
    get(k) { const e = this._p.find(([x]) => x === k); return e ? e[1] : null; }
    getAll(k) { return this._p.filter(([x]) => x === k).map((e) => e[1]); }
    has(k) { return this._p.some(([x]) => x === k); }
    set(k, v) { const i = this._p.findIndex(([x]) => x === k); if (i < 0) this.append(k, v); else { this._p[i] = [String(k), String(v)]; this._p = this._p.filter(([x], j) => x !== k || j === i); } }
    forEach(cb) { for (const [k, v] of this._p) cb(v, k, this); }
    keys() { return this._p.map((e) => e[0])[Symbol.iterator](); }
    values() { return this._p.map((e) => e[1])[Symbol.iterator](); }
    entries() { return this._p.map((e) => [e[0], e[1]])[Symbol.iterator](); }
    [Symbol.iterator]() { return this.entries(); }
    toString() { const enc = (x) => encodeURIComponent(x).replace(/%20/g, '+'); return this._p.map(([k, v]) => enc(k) + '=' + enc(v)).join('&'); }
  }
  class URL {
    constructor(url, base) {
      const s = H.url(String(url), base === undefined ? '' : String(base));
      if (!s) throw new TypeError('Invalid URL');
      Object.assign(this, JSON.parse(s));
      this.searchParams = new URLSearchParams(this.search);
    }
    toString() { return this.href; }
    toJSON() { return this.href; }
  }
  G.URL = URL;
  G.URLSearchParams = URLSearchParams;
  G.btoa = (s) => H.b64(String(s), 'latin1enc');
  G.atob = (s) => H.b64(String(s), 'latin1dec');
  class TextEncoder {
    encode(s) {
      const u = unescape(encodeURIComponent(String(s)));
      const a = new Uint8Array(u.length);
      for (let i = 0; i < u.length; i++) a[i] = u.charCodeAt(i);
      return a;
    }
  }
  class TextDecoder {
    decode(a) {
      let s = '';
      const b = a instanceof Uint8Array ? a : new Uint8Array(a || []);
      for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
      return decodeURIComponent(escape(s));
    }
  }
  G.TextEncoder = TextEncoder;
  G.TextDecoder = TextDecoder;

  // Minimal Node-style Buffer (n8n's Code node exposes Buffer): utf8/base64/hex/latin1.
  const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const toB64 = (b) => {
    let s = '';
    for (let i = 0; i < b.length; i += 3) {
      const n = (b[i] << 16) | ((b[i + 1] || 0) << 8) | (b[i + 2] || 0);
      s += B64[n >> 18] + B64[(n >> 12) & 63] + (i + 1 < b.length ? B64[(n >> 6) & 63] : '=') + (i + 2 < b.length ? B64[n & 63] : '=');
    }
    return s;
  };
  const fromB64 = (s) => {
    s = String(s).replace(/-/g, '+').replace(/_/g, '/').replace(/[^A-Za-z0-9+/]/g, '');
    const out = [];
    for (let i = 0; i < s.length; i += 4) {
      const n = (B64.indexOf(s[i]) << 18) | (B64.indexOf(s[i + 1]) << 12) | ((B64.indexOf(s[i + 2]) & 63) << 6) | (B64.indexOf(s[i + 3]) & 63);
      out.push((n >> 16) & 255);
      if (i + 2 < s.length) out.push((n >> 8) & 255);
      if (i + 3 < s.length) out.push(n & 255);
    }
    return out;
  };
  class Buffer extends Uint8Array {
    static from(v, enc) {
      let bytes;
      if (typeof v === 'string') {
        enc = String(enc || 'utf8').toLowerCase();
        if (enc === 'base64' || enc === 'base64url') bytes = fromB64(v);
        else if (enc === 'hex') bytes = (v.match(/../g) || []).map((h) => parseInt(h, 16));
        else if (enc === 'latin1' || enc === 'binary' || enc === 'ascii') bytes = Array.from(v, (c) => c.charCodeAt(0) & 255);
        else bytes = new TextEncoder().encode(v);
      } else if (v instanceof ArrayBuffer) bytes = new Uint8Array(v);
      else if (v && v.type === 'Buffer' && Array.isArray(v.data)) bytes = v.data;
      else bytes = Array.from(v || []);
      const b = new Buffer(bytes.length);
      b.set(bytes);
      return b;
    }
    static alloc(n, fill) { const b = new Buffer(n); if (fill !== undefined) b.fill(typeof fill === 'number' ? fill : Buffer.from(String(fill))[0] || 0); return b; }
    static isBuffer(x) { return x instanceof Buffer; }
    static byteLength(s, enc) { return Buffer.from(s, enc).length; }
    static concat(list) { const len = list.reduce((a, b) => a + b.length, 0); const out = new Buffer(len); let o = 0; for (const b of list) { out.set(b, o); o += b.length; } return out; }
    toString(enc) {
      enc = String(enc || 'utf8').toLowerCase();
      if (enc === 'base64') return toB64(this);
      if (enc === 'base64url') return toB64(this).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
      if (enc === 'hex') return Array.from(this, (x) => x.toString(16).padStart(2, '0')).join('');
      if (enc === 'latin1' || enc === 'binary' || enc === 'ascii') return Array.from(this, (x) => String.fromCharCode(x)).join('');
      return new TextDecoder().decode(this);
    }
    toJSON() { return { type: 'Buffer', data: Array.from(this) }; }
    equals(o) { return this.length === o.length && this.every((x, i) => x === o[i]); }
  }
  G.Buffer = Buffer;
}
