// @ts-nocheck
/* eslint-disable */
/**
 * Runs INSIDE the isolate (serialised with Function.prototype.toString): the data
 * proxy behind expressions and Code nodes ($json, $input, $('Node'), paired items...).
 * It may only use isolate globals and the host callbacks in H (plain data in/out).
 */
export function installDataRuntime(G, H, RT) {
  const DateTime = G.luxon.DateTime;
  const runCache = new Map();
  const connCache = new Map();
  let F = null; // current node frame
  let idx = 0; // current item index

  function ExprErr(message, description) {
    const e = new Error(message);
    e.name = 'ExpressionError';
    if (description) e.description = description;
    return e;
  }
  RT.ExprErr = ExprErr;

  function getRun(node, run) {
    const key = node + '\u0000' + run;
    let r = runCache.get(key);
    if (r === undefined) {
      const s = H.getRun(node, run);
      r = s ? JSON.parse(s) : null;
      if (r) runCache.set(key, r);
    }
    return r;
  }
  function runCount(node) {
    return H.runCount(node);
  }
  function connIndex(dest, src) {
    const key = dest + '\u0000' + src;
    let v = connCache.get(key);
    if (v === undefined) {
      v = H.connIndex(dest, src);
      connCache.set(key, v);
    }
    return v;
  }

  RT.setFrame = function (json) {
    F = JSON.parse(json);
    F.items = F.inputs[F.inputIndex] || [];
    if (F.timezone) G.luxon.Settings.defaultZone = F.timezone;
    RT.frame = F;
    RT.S = makeScope();
  };
  RT.getFrame = () => F;
  RT.setIndex = (i) => {
    idx = i;
  };
  RT.getIndex = () => idx;

  function itemAt(i) {
    return F.items[i];
  }

  function nodeOutput(name, branch, run) {
    const count = runCount(name);
    if (count < 0) throw ExprErr(`Referenced node doesn't exist`, `The node '${name}' does not exist in this workflow`);
    if (count === 0)
      throw ExprErr(`Node '${name}' hasn't been executed`, `An expression references this node, but the node is unexecuted. Make sure the node runs before the node referencing it.`);
    if (run === undefined || run === -1) run = count - 1;
    const r = getRun(name, run);
    if (!r) throw ExprErr(`Run ${run} of node "${name}" not found`);
    if (!r.main || !r.main.length || r.main[0] === null) throw ExprErr('No data found from "main" input.');
    if (branch === undefined) {
      const ci = connIndex(F.node.name, name);
      branch = ci >= 0 ? ci : 0;
    }
    if (r.main.length <= branch) throw ExprErr(`Node "${name}" has no branch with index ${branch}.`);
    return r.main[branch] || [];
  }
  RT.nodeOutput = nodeOutput;

  function normPaired(p) {
    return typeof p === 'number' ? { item: p } : p;
  }

  // n8n's getPairedItem: walk pairedItem/source links upwards until the destination node.
  function getPairedItem(dest, sourceData, pairedItem, depth) {
    pairedItem = normPaired(pairedItem);
    if (pairedItem && pairedItem.sourceOverwrite) sourceData = pairedItem.sourceOverwrite;
    let guard = 0;
    while (sourceData && sourceData.previousNode !== dest) {
      if (++guard > 10000) throw ExprErr('Paired item resolution did not terminate');
      const r = getRun(sourceData.previousNode, sourceData.previousNodeRun || 0);
      if (!r) throw ExprErr(`Can't get data for expression`, `Node '${sourceData.previousNode}' has no run data`);
      const out = r.main[sourceData.previousNodeOutput || 0];
      const prevItem = out ? out[pairedItem.item] : undefined;
      if (prevItem === undefined)
        throw ExprErr(`Can't get data for expression`, `Paired item data for item from node '${sourceData.previousNode}' is unavailable.`);
      const pi = prevItem.pairedItem;
      if (pi === undefined || pi === null)
        throw ExprErr(`Paired item data for item from node '${sourceData.previousNode}' is unavailable. Ensure '${sourceData.previousNode}' is providing the required output.`);
      if (Array.isArray(pi)) {
        const results = [];
        for (const p of pi) {
          const pp = normPaired(p);
          const src = r.source[pp.input || 0];
          if (src === undefined) continue;
          try {
            const res = getPairedItem(dest, src, pp, (depth || 0) + 1);
            if (res !== null && res !== undefined) results.push(res);
          } catch (e) {}
        }
        if (results.length === 0)
          throw ExprErr(`Can't get data for expression`, `No path back to node '${dest}' from '${sourceData.previousNode}'.`);
        if (results.length === 1 || results.every((x) => x === results[0])) return results[0];
        throw ExprErr(`Multiple matching items for expression`, `The code here won't work because it uses .item and n8n can't figure out the matching item. (There are multiple possible matches)`);
      }
      const cur = normPaired(pi);
      const inp = cur.input || 0;
      if (inp >= r.source.length) {
        throw ExprErr(`Can't get data for expression`, `No path back to referenced node '${dest}'`);
      }
      sourceData = cur.sourceOverwrite || r.source[inp];
      pairedItem = cur;
    }
    if (!sourceData) throw ExprErr(`Can't get data for expression`, `No path back to referenced node '${dest}'`);
    const r = getRun(sourceData.previousNode, sourceData.previousNodeRun || 0);
    if (!r) throw ExprErr(`Referenced node is unexecuted`, `Node '${dest}' has not been executed`);
    const out = r.main[sourceData.previousNodeOutput || 0] || [];
    if (pairedItem.item >= out.length) throw ExprErr(`Can't get data for expression`, `Invalid pairedItem index into '${dest}'`);
    return out[pairedItem.item];
  }
  RT.getPairedItem = getPairedItem;

  function pairedFor(name, i) {
    const count = runCount(name);
    if (count < 0) throw ExprErr(`Referenced node doesn't exist`, `The node '${name}' does not exist in this workflow`);
    const input = itemAt(i);
    if (!input) throw ExprErr(`Can't get data for expression`, `No input item ${i}`);
    const pi = normPaired(input.pairedItem) || { item: i };
    const src = F.source ? F.source[pi.input || 0] || F.source[0] : null;
    if (!src) {
      if (count === 0) throw ExprErr(`Referenced node is unexecuted`, `Node '${name}' has not been executed`);
      throw ExprErr(`Can't get data for expression`, `No path back to referenced node '${name}'`);
    }
    if (count === 0) throw ExprErr(`Node '${name}' hasn't been executed`, `An expression references this node, but the node is unexecuted.`);
    return getPairedItem(name, src, pi);
  }

  function nodeContext(name) {
    return H.nodeContext ? JSON.parse(H.nodeContext(name) || '{}') : {};
  }

  function selector(name) {
    if (typeof name !== 'string') throw ExprErr(`Node name must be a string`);
    return {
      get item() {
        return pairedFor(name, idx);
      },
      itemMatching(i) {
        return pairedFor(name, i);
      },
      pairedItem(i) {
        return pairedFor(name, i === undefined ? idx : i);
      },
      first(branch, run) {
        const o = nodeOutput(name, branch, run);
        return o[0];
      },
      last(branch, run) {
        const o = nodeOutput(name, branch, run);
        return o[o.length - 1];
      },
      all(branch, run) {
        return nodeOutput(name, branch, run);
      },
      get isExecuted() {
        return runCount(name) > 0;
      },
      get params() {
        return JSON.parse(H.nodeParams(name) || '{}');
      },
      get context() {
        return nodeContext(name);
      },
      get runIndex() {
        return runCount(name) - 1;
      },
    };
  }

  function nodeProxy(getIdx) {
    return new Proxy(
      {},
      {
        get(_t, name) {
          if (typeof name !== 'string') return undefined;
          const count = runCount(name);
          if (count < 0) throw ExprErr(`Referenced node doesn't exist`, `The node '${name}' does not exist in this workflow`);
          return {
            get json() {
              const o = nodeOutput(name);
              const i = getIdx();
              if (o.length === 0) throw ExprErr('No execution data available');
              if (o.length <= i) throw ExprErr(`No data found for item-index: "${i}"`);
              return o[i].json;
            },
            get data() {
              return this.json;
            },
            get binary() {
              const o = nodeOutput(name);
              const it = o[getIdx()];
              return it ? it.binary : undefined;
            },
            get parameter() {
              return JSON.parse(H.nodeParams(name) || '{}');
            },
            get runIndex() {
              return runCount(name) - 1;
            },
            get context() {
              return nodeContext(name);
            },
            get isExecuted() {
              return runCount(name) > 0;
            },
          };
        },
      },
    );
  }

  function inputObj(getIdx) {
    return {
      get item() {
        return itemAt(getIdx());
      },
      all() {
        return F.items;
      },
      first() {
        return F.items[0];
      },
      last() {
        return F.items[F.items.length - 1];
      },
      get params() {
        return F.node.parameters;
      },
      get context() {
        return nodeContext(F.node.name);
      },
    };
  }

  function isEmptyVal(v) {
    return (
      v === undefined ||
      v === null ||
      v === '' ||
      (Array.isArray(v) && v.length === 0) ||
      (typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date) && !(v instanceof DateTime) && Object.keys(v).length === 0)
    );
  }

  function nowDT() {
    const ms = F.fixedNow !== undefined && F.fixedNow !== null ? F.fixedNow : Date.now();
    return DateTime.fromMillis(ms, { zone: F.timezone || 'America/New_York' });
  }

  function makeScope() {
    const getIdx = () => idx;
    const S = {
      json: () => {
        const it = itemAt(idx);
        return it ? it.json : {};
      },
      binary: () => {
        const it = itemAt(idx);
        return (it && it.binary) || {};
      },
      input: () => inputObj(getIdx),
      $: selector,
      node: () => nodeProxy(getIdx),
      items: (name, output, run) => {
        if (name === undefined) return F.items;
        return nodeOutput(name, output || 0, run === undefined ? -1 : run);
      },
      item: (i, run) => {
        const gi = () => i;
        return {
          get $json() {
            const it = itemAt(i);
            return it ? it.json : undefined;
          },
          get $binary() {
            const it = itemAt(i);
            return it ? it.binary : undefined;
          },
          $node: nodeProxy(gi),
          get $parameter() {
            return F.node.parameters;
          },
        };
      },
      now: nowDT,
      today: () => nowDT().startOf('day'),
      workflow: () => F.workflow,
      execution: () => ({
        id: F.executionId,
        mode: F.mode === 'manual' ? 'test' : 'production',
        resumeUrl: '',
        resumeFormUrl: '',
        customData: {
          set() {},
          setAll() {},
          get() {
            return undefined;
          },
          getAll() {
            return {};
          },
        },
      }),
      env: () =>
        new Proxy(F.env, {
          get(t, k) {
            if (typeof k !== 'string') return undefined;
            if (Object.prototype.hasOwnProperty.call(t, k)) return t[k];
            if (k === 'toJSON' || k === 'then') return undefined;
            throw ExprErr(`access to env var "${k}" denied`, 'Only environment variables on the allowlist (envAllowlist) are visible to workflows');
          },
        }),
      vars: () => ({}),
      secrets: () => ({}),
      parameter: () => F.node.parameters,
      prevNode: () => {
        const s = F.source && F.source[0];
        return s ? { name: s.previousNode, outputIndex: s.previousNodeOutput || 0, runIndex: s.previousNodeRun || 0 } : {};
      },
      runIndex: () => F.runIndex,
      itemIndex: () => idx,
      nodeVersion: () => F.node.typeVersion,
      nodeId: () => F.node.id,
      webhookId: () => F.node.webhookId,
      jmespath: (obj, path) => G.jmespath.search(obj, path),
      if: (c, a, b) => (c ? a : b),
      ifEmpty: (v, d) => (isEmptyVal(v) ? d : v),
      max: (...a) => Math.max(...a),
      min: (...a) => Math.min(...a),
      fromAI: (_k, _d, _t, def) => def,
      evaluateExpression: () => {
        throw ExprErr('$evaluateExpression is not supported');
      },
      getStaticData: (type) => RT.getStaticData(type),
      extra: (name) => (RT.extra ? RT.extra[name] : undefined),
      str: (v) => RT.str(v),
      // n8n (riot-tmpl) swallows ordinary JS errors inside {{ }} (value becomes undefined);
      // data-proxy errors, extension errors and resource exhaustion still fail the node.
      fail: (e) => {
        const name = e && e.name;
        if (name === 'ExpressionError' || name === 'ExpressionExtensionError' || name === 'SandboxSizeError' || name === 'SecurityError') throw e;
        if (e instanceof RangeError && /call stack/i.test(String(e.message))) throw e;
        return undefined;
      },
    };
    return S;
  }
}
