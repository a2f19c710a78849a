// @ts-nocheck
/* eslint-disable */
/**
 * Runs INSIDE the isolate: compiled-expression cache, result marshalling and the
 * Code / Function / FunctionItem runners with n8n's result validation.
 */
export function installEvalRuntime(G, H, RT, LIMITS) {
  const fns = [];
  const codeFns = [];
  // captured before the security patches replace the global code-generation entry points
  const OrigFunction = Function;
  const origEval = eval;
  const MAXR = LIMITS.maxResultBytes;

  function tooBig(n) {
    const e = new Error(`Result too large: ${Math.round(n / 1048576)} MB exceeds the sandbox limit of ${Math.round(MAXR / 1048576)} MB`);
    e.name = 'SandboxSizeError';
    return e;
  }
  function toOut(v) {
    const t = typeof v;
    if (v === null || t === 'undefined' || t === 'boolean' || t === 'number') return v;
    if (t === 'string') {
      if (v.length > MAXR) throw tooBig(v.length);
      return v;
    }
    if (t === 'bigint' || t === 'symbol') return v.toString();
    if (t === 'function') {
      if (v === G.DateTime) throw new Error('this is a DateTime, please access its methods');
      throw new Error('this is a function, please add ()');
    }
    const s = JSON.stringify(v);
    if (s === undefined) return undefined;
    if (s.length > MAXR) throw tooBig(s.length);
    return [s];
  }
  RT.toOut = toOut;

  RT.compile = function (id, src) {
    fns[id] = new OrigFunction('__S', src);
  };
  RT.ev = function (id, i) {
    RT.setIndex(i);
    return toOut(fns[id](RT.S));
  };
  RT.evExtra = function (id, i, extraJson) {
    RT.setIndex(i);
    RT.extra = JSON.parse(extraJson);
    try {
      return toOut(fns[id](RT.S));
    } finally {
      RT.extra = null;
    }
  };
  RT.evMany = function (ids, i) {
    RT.setIndex(i);
    const S = RT.S;
    const out = new Array(ids.length);
    for (let k = 0; k < ids.length; k++) out[k] = toOut(fns[ids[k]](S));
    return out;
  };
  // Evaluates `ids` for items [from, to) in one crossing; failures are recorded per item.
  RT.evChunk = function (ids, from, to) {
    const S = RT.S;
    const out = [];
    for (let i = from; i < to; i++) {
      RT.setIndex(i);
      try {
        const vals = new Array(ids.length);
        for (let k = 0; k < ids.length; k++) vals[k] = toOut(fns[ids[k]](S));
        out.push(vals);
      } catch (e) {
        out.push({ __err: [String((e && e.name) || 'Error'), String((e && e.message) || e), e && e.description !== undefined ? String(e.description) : null] });
      }
    }
    return out;
  };
  // template text conversion (riot-tmpl semantics as used by n8n)
  RT.str = function (v) {
    if (v === undefined || v === null) return '';
    if (typeof v === 'function') throw new Error('this is a function, please add ()');
    return String(v);
  };

  // ---- static data ----
  // Keyed as n8n stores it ('global', 'node:<name>'); fetched from the host on first use in
  // each code run and handed back with the run's result, so host and isolate never diverge.
  let staticData = {};
  RT.getStaticData = function (type) {
    if (type !== 'global' && type !== 'node') throw new Error('The type needs to either be "node" or "global"!');
    const key = type === 'node' ? 'node:' + RT.getFrame().node.name : 'global';
    if (!staticData[key]) staticData[key] = JSON.parse(H.getStaticData(key) || '{}');
    return staticData[key];
  };

  // ---- console ----
  function fmt(a) {
    if (typeof a === 'string') return a;
    try {
      const s = JSON.stringify(a);
      return s === undefined ? String(a) : s;
    } catch (e) {
      return String(a);
    }
  }
  const consoleObj = {};
  for (const lvl of ['log', 'info', 'warn', 'error', 'debug']) {
    consoleObj[lvl] = (...args) => {
      try {
        H.log(lvl, args.map(fmt).join(' ').slice(0, 10000));
      } catch (e) {}
    };
  }
  G.console = consoleObj;

  function requireFn(name) {
    const e = new Error(`Module '${name}' is disallowed`);
    throw e;
  }

  RT.compileCode = function (id, src) {
    codeFns[id] = origEval(src);
  };

  const ALLOWED_KEYS = new Set(['json', 'binary', 'pairedItem', 'error', 'index']);
  function VErr(message, description, itemIndex) {
    const e = new Error(message);
    e.name = 'ValidationError';
    e.description = description;
    e.itemIndex = itemIndex;
    e.__validation = true;
    return e;
  }
  function isObj(v) {
    return v !== null && typeof v === 'object' && !Array.isArray(v);
  }
  function normalizeItems(data) {
    if (typeof data === 'object' && data !== null && !Array.isArray(data)) {
      data = data.json ? [data] : [{ json: data }];
    }
    if (data.every((it) => typeof it === 'object' && it !== null && 'json' in it)) return data;
    if (data.some((it) => typeof it === 'object' && it !== null && 'json' in it)) throw VErr('Inconsistent item format');
    if (data.length && data.every((it) => typeof it === 'object' && it !== null && 'binary' in it)) {
      return data.map((it) => {
        const json = {};
        for (const k of Object.keys(it)) if (k !== 'binary') json[k] = it[k];
        return { json, binary: it.binary };
      });
    }
    return data.map((it) => ({ json: it }));
  }
  function validateTopLevelKeys(item, i) {
    for (const k of Object.keys(item)) {
      if (!ALLOWED_KEYS.has(k)) throw VErr(`Unknown top-level item key: ${k}`, 'Access the properties of an item under `.json`, e.g. `item.json`', i);
    }
  }
  function validateItem(item, i) {
    if (item.json === undefined || !isObj(item.json)) throw VErr("A 'json' property isn't an object", "In the returned data, every key named 'json' must point to an object.", i);
    if (item.binary !== undefined && !isObj(item.binary)) throw VErr("A 'binary' property isn't an object", "In the returned data, every key named 'binary' must point to an object.", i);
  }
  function validateAll(res) {
    if (typeof res !== 'object' || res === null) throw VErr("Code doesn't return items properly", 'Please return an array of objects, one for each item you would like to output.');
    if (Array.isArray(res)) {
      for (let i = 0; i < res.length; i++) {
        if (res[i] === null || typeof res[i] !== 'object') throw VErr("Code doesn't return items properly", 'Please return an array of objects, one for each item you would like to output.', i);
      }
      const mustHaveKey = res.some((it) => Object.keys(it).some((k) => ALLOWED_KEYS.has(k)));
      if (mustHaveKey) res.forEach((it, i) => validateTopLevelKeys(it, i));
    }
    const items = normalizeItems(res);
    items.forEach((it, i) => validateItem(it, i));
    return items;
  }
  function validateEach(res, i) {
    if (typeof res !== 'object')
      throw VErr("Code doesn't return an object", `Please return an object representing the output item. ('${res}' was returned instead.)`, i);
    if (Array.isArray(res)) {
      const first = res.length > 0 ? `An array of ${typeof res[0]}s was returned.` : 'An empty array was returned.';
      throw VErr("Code doesn't return a single object", `${first} If you need to output multiple items, please use the 'Run Once for All Items' mode instead.`, i);
    }
    const [item] = normalizeItems([res]);
    validateItem(item, i);
    validateTopLevelKeys(item, i);
    return item;
  }

  function errInfo(e, itemIndex) {
    const out = { message: '', name: 'Error', stack: '', itemIndex };
    if (e && typeof e === 'object') {
      out.message = String(e.message);
      out.name = String(e.name || 'Error');
      out.stack = String(e.stack || '');
      if (e.description !== undefined) out.description = String(e.description);
      if (e.__validation) out.validation = true;
      if (typeof e.itemIndex === 'number') out.itemIndex = e.itemIndex;
    } else {
      out.message = String(e);
    }
    return out;
  }

  // Positional arguments for the parameter list of context.ts (CODE_PARAMS, then the
  // Function / Function Item globals). In "all items" mode $json/$binary/$itemIndex are
  // those of the first item, as n8n's data proxy for item 0 gives them.
  function scopeArgs(S, each, flavor, binaryBox) {
    const input = S.input();
    const cur = input.item;
    const args = [
      input, // $input
      each ? undefined : input.all(), // items
      each ? cur : undefined, // item
      cur ? cur.json : undefined, // $json
      cur ? cur.binary || {} : undefined, // $binary
      S.$,
      S.node(),
      S.items,
      S.item,
      S.workflow(),
      S.execution(),
      S.env(),
      S.vars(),
      S.secrets(),
      S.now(),
      S.today(),
      S.runIndex(),
      S.itemIndex(),
      S.jmespath,
      S.getStaticData,
      S.prevNode(),
      S.parameter(),
      S.nodeVersion(),
      S.if,
      S.ifEmpty,
      S.max,
      S.min,
      consoleObj,
      requireFn,
    ];
    if (flavor === 'function' || flavor === 'functionItem') {
      const self = thisObj(S);
      args.push(self.getWorkflowStaticData, self.getNodeParameter, self.helpers);
    }
    if (flavor === 'functionItem') {
      args[2] = cur ? cur.json : undefined; // item = the json of the item
      args.push(
        () => binaryBox.value,
        (data) => {
          binaryBox.value = data;
        },
      );
    }
    return args;
  }

  function thisObj(S) {
    return {
      getWorkflowStaticData: S.getStaticData,
      helpers: RT.helpers || {},
      // lodash get, as n8n's getNodeParameter (the host's path helpers, installed in the isolate).
      getNodeParameter: (name, _itemIndex, fallback) => {
        const v = RT.path.getPath(S.parameter(), name);
        return v === undefined ? fallback : v;
      },
    };
  }

  // Function Item: runs the code for item i; returns the output item (json + binary as n8n keeps it).
  async function runFunctionItem(f, S, F, i) {
    RT.setIndex(i);
    const binaryBox = { value: F.items[i].binary };
    let res;
    try {
      res = await f.apply(thisObj(S), scopeArgs(S, true, 'functionItem', binaryBox));
    } catch (e) {
      if (e && typeof e === 'object') e.itemIndex = i;
      throw e;
    }
    if (res === undefined) throw VErr('No data got returned. Always an object has to be returned!', undefined, i);
    const it = { json: res, pairedItem: { item: i } };
    if (binaryBox.value) it.binary = binaryBox.value;
    return it;
  }

  function finish(items) {
    const s = JSON.stringify({ items, staticData });
    if (s.length > MAXR) throw tooBig(s.length);
    return s;
  }

  // flavor: 'code' | 'function' | 'functionItem'
  RT.runCode = async function (id, flavor, mode) {
    staticData = {};
    const f = codeFns[id];
    const S = RT.S;
    const F = RT.getFrame();
    const n = F.items.length;
    try {
      if (flavor === 'function') {
        RT.setIndex(0);
        let res = await f.apply(thisObj(S), scopeArgs(S, false, flavor));
        if (res === undefined) throw VErr('No data got returned. Always return an Array of items!');
        if (!Array.isArray(res)) throw VErr('Always an Array of items has to be returned!');
        res = normalizeItems(res);
        for (const it of res) {
          if (it.json === undefined) throw VErr('All returned items have to contain a property named "json"!');
          if (typeof it.json !== 'object' || it.json === null) throw VErr('The json-property has to be an object!');
          if (it.binary !== undefined && !isObj(it.binary)) throw VErr('The binary-property has to be an object!');
        }
        return finish(res);
      }
      if (flavor === 'functionItem') {
        const out = [];
        for (let i = 0; i < n; i++) out.push(await runFunctionItem(f, S, F, i));
        return finish(out);
      }
      if (mode === 'runOnceForEachItem') {
        const out = [];
        for (let i = 0; i < n; i++) {
          RT.setIndex(i);
          let res;
          try {
            res = await f.apply(thisObj(S), scopeArgs(S, true, flavor));
          } catch (e) {
            if (e && typeof e === 'object') e.itemIndex = i;
            throw e;
          }
          if (res === undefined || res === null) continue;
          const item = validateEach(res, i);
          const o = { json: item.json, pairedItem: { item: i } };
          if (item.binary) o.binary = item.binary;
          if (item.error !== undefined) o.error = item.error;
          out.push(o);
        }
        return finish(out);
      }
      RT.setIndex(0);
      const res = await f.apply(thisObj(S), scopeArgs(S, false, flavor));
      return finish(validateAll(res));
    } catch (e) {
      return JSON.stringify({ error: errInfo(e, e && typeof e === 'object' && typeof e.itemIndex === 'number' ? e.itemIndex : undefined) });
    }
  };

  // continueOnFail in each-item mode (Code, Function Item) needs per-item errors.
  RT.runCodeItem = async function (id, i, flavor) {
    staticData = {};
    const f = codeFns[id];
    const S = RT.S;
    RT.setIndex(i);
    try {
      if (flavor === 'functionItem') return finish([await runFunctionItem(f, S, RT.getFrame(), i)]);
      const res = await f.apply(thisObj(S), scopeArgs(S, true, flavor));
      if (res === undefined || res === null) return JSON.stringify({ items: [], staticData });
      const item = validateEach(res, i);
      const o = { json: item.json, pairedItem: { item: i } };
      if (item.binary) o.binary = item.binary;
      return finish([o]);
    } catch (e) {
      return JSON.stringify({ error: errInfo(e, i) });
    }
  };
}
