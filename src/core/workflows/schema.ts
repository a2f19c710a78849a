import { knownTypeVersions } from './node-versions.js';

/**
 * The n8n workflow format, checked by hand-written code rather than a JSON-schema library:
 * most of the rules that matter (unique names, connections naming existing nodes, known
 * typeVersions) are cross-field checks a schema cannot express, and the hand-written form
 * gives each problem a JSON path a user can find in the file (`nodes[3].name`).
 * Everything not checked here is kept as given: the stored definition is the document itself.
 */
export interface Problem {
  /** JSON path inside the document, e.g. `nodes[3].name` or `connections["Set"].main[0][1].node`. */
  path: string;
  message: string;
}

export interface ValidationReport {
  errors: Problem[];
  warnings: Problem[];
}

export interface ValidateOptions {
  /** Whether the engine can run a node type; unsupported types are warnings, not errors. */
  isSupportedNodeType?: (type: string) => boolean;
}

const ON_ERROR = ['stopWorkflow', 'continueRegularOutput', 'continueErrorOutput'];
const BOOLEAN_NODE_FIELDS = ['disabled', 'retryOnFail', 'alwaysOutputData', 'executeOnce', 'continueOnFail', 'notesInFlow'];
const NUMBER_NODE_FIELDS = ['maxTries', 'waitBetweenTries'];
const STRING_NODE_FIELDS = ['notes', 'webhookId'];
// Column widths of workflows / workflow_nodes: a longer value could not be stored.
const MAX_WORKFLOW_NAME = 255;
const MAX_NODE_NAME = 255;
const MAX_NODE_TYPE = 100;
const MAX_NODE_ID = 100;

type Path = Array<string | number>;

/** `['nodes', 3, 'name']` → `nodes[3].name`; keys that are not identifiers are quoted. */
export function formatPath(path: Path): string {
  let s = '';
  for (const p of path) {
    if (typeof p === 'number') s += `[${p}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(p)) s += s ? `.${p}` : p;
    else s += `[${JSON.stringify(p)}]`;
  }
  return s;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return `a ${typeof v}`;
}

export function validateWorkflow(doc: unknown, opts: ValidateOptions = {}): ValidationReport {
  const errors: Problem[] = [];
  const warnings: Problem[] = [];
  const err = (path: Path, message: string) => errors.push({ path: formatPath(path), message });
  const warn = (path: Path, message: string) => warnings.push({ path: formatPath(path), message });

  if (!isObject(doc)) {
    err([], `a workflow must be a JSON object, got ${describe(doc)}`);
    return { errors, warnings };
  }

  checkTopLevel(doc, err);

  const nodes = doc.nodes;
  if (nodes === undefined) {
    err(['nodes'], 'missing: a workflow needs a "nodes" array');
    return { errors, warnings };
  }
  if (!Array.isArray(nodes)) {
    err(['nodes'], `must be an array, got ${describe(nodes)}`);
    return { errors, warnings };
  }
  if (nodes.length === 0) err(['nodes'], 'the workflow has no nodes');

  const names = new Map<string, number>();
  const ids = new Map<string, number>();
  nodes.forEach((node, i) => {
    const at: Path = ['nodes', i];
    if (!isObject(node)) return err(at, `a node must be an object, got ${describe(node)}`);
    checkNode(node, at, err, warn, opts);
    if (typeof node.name === 'string' && node.name !== '') {
      const first = names.get(node.name);
      if (first !== undefined) err([...at, 'name'], `duplicate node name ${JSON.stringify(node.name)} (also nodes[${first}])`);
      else names.set(node.name, i);
    }
    // workflow_nodes keys rows by the node's id, or its name when it has none.
    if (typeof node.id === 'string' && node.id !== '') {
      const first = ids.get(node.id);
      if (first !== undefined) err([...at, 'id'], `duplicate node id ${JSON.stringify(node.id)} (also nodes[${first}])`);
      else ids.set(node.id, i);
    }
  });
  // Nodes without an id are keyed by name: that must not collide with another node's id.
  nodes.forEach((node, i) => {
    if (!isObject(node) || (typeof node.id === 'string' && node.id !== '') || typeof node.name !== 'string') return;
    const other = ids.get(node.name);
    if (other !== undefined && other !== i) err(['nodes', i, 'name'], `node name ${JSON.stringify(node.name)} is also the id of nodes[${other}]; give this node an id`);
  });

  checkConnections(doc.connections, names, err);
  checkPinData(doc.pinData, names, err, warn);
  const nul = findNul(doc, []);
  if (nul) err(nul, 'contains a \\u0000 character, which PostgreSQL cannot store in JSON; remove it');
  return { errors, warnings };
}

/** The path of the first string or key holding U+0000 (jsonb rejects it). */
function findNul(v: unknown, path: Path): Path | null {
  if (typeof v === 'string') return v.includes('\u0000') ? path : null;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const p = findNul(v[i], [...path, i]);
      if (p) return p;
    }
  } else if (isObject(v)) {
    for (const [k, x] of Object.entries(v)) {
      if (k.includes('\u0000')) return [...path, k];
      const p = findNul(x, [...path, k]);
      if (p) return p;
    }
  }
  return null;
}

type Report = (path: Path, message: string) => void;

function checkTopLevel(doc: Record<string, unknown>, err: Report): void {
  if (doc.name !== undefined) {
    if (typeof doc.name !== 'string') err(['name'], `must be a string, got ${describe(doc.name)}`);
    else if (doc.name.length > MAX_WORKFLOW_NAME) err(['name'], `is ${doc.name.length} characters; the limit is ${MAX_WORKFLOW_NAME}`);
  }
  if (doc.id !== undefined && doc.id !== null && typeof doc.id !== 'string' && typeof doc.id !== 'number') {
    err(['id'], `must be a string or a number, got ${describe(doc.id)}`);
  }
  if (doc.active !== undefined && typeof doc.active !== 'boolean') err(['active'], `must be true or false, got ${describe(doc.active)}`);
  if (doc.description !== undefined && doc.description !== null && typeof doc.description !== 'string') {
    err(['description'], `must be a string, got ${describe(doc.description)}`);
  }
  for (const key of ['settings', 'meta']) {
    const v = doc[key];
    if (v !== undefined && v !== null && !isObject(v)) err([key], `must be an object, got ${describe(v)}`);
  }
  if (doc.tags !== undefined && doc.tags !== null) {
    if (!Array.isArray(doc.tags)) err(['tags'], `must be an array of tag names or tag objects, got ${describe(doc.tags)}`);
    else
      doc.tags.forEach((t, i) => {
        if (typeof t === 'string') return;
        if (isObject(t) && typeof t.name === 'string' && t.name !== '') return;
        err(['tags', i], 'a tag must be a name or an object with a "name"');
      });
  }
}

function checkNode(node: Record<string, unknown>, at: Path, err: Report, warn: Report, opts: ValidateOptions): void {
  if (typeof node.name !== 'string' || node.name === '') err([...at, 'name'], node.name === undefined ? 'missing: every node needs a name' : 'must be a non-empty string');
  else if (node.name.length > MAX_NODE_NAME) err([...at, 'name'], `is ${node.name.length} characters; the limit is ${MAX_NODE_NAME}`);

  const type = node.type;
  if (typeof type !== 'string' || type === '') err([...at, 'type'], type === undefined ? 'missing: every node needs a type' : 'must be a non-empty string');
  else if (type.length > MAX_NODE_TYPE) err([...at, 'type'], `is ${type.length} characters; the limit is ${MAX_NODE_TYPE}`);

  const tv = node.typeVersion;
  if (tv === undefined) err([...at, 'typeVersion'], 'missing: every node needs a typeVersion');
  else if (typeof tv !== 'number' || !Number.isFinite(tv) || tv <= 0) err([...at, 'typeVersion'], `must be a positive number, got ${JSON.stringify(tv)}`);
  else if (typeof type === 'string') {
    const known = knownTypeVersions(type);
    if (known && !known.includes(tv)) err([...at, 'typeVersion'], `unknown typeVersion ${tv} for ${type} (n8n has ${known.join(', ')})`);
  }
  if (typeof type === 'string' && type !== '' && opts.isSupportedNodeType && !opts.isSupportedNodeType(type)) {
    warn([...at, 'type'], `node type ${type} is not supported by the engine yet; executions stop at this node`);
  }

  if (node.id !== undefined && (typeof node.id !== 'string' || node.id === '')) err([...at, 'id'], 'must be a non-empty string');
  else if (typeof node.id === 'string' && node.id.length > MAX_NODE_ID) err([...at, 'id'], `is ${node.id.length} characters; the limit is ${MAX_NODE_ID}`);

  if (node.position !== undefined) {
    const p = node.position;
    if (!Array.isArray(p) || p.length !== 2 || !p.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      err([...at, 'position'], 'must be [x, y] with two numbers');
    }
  }
  if (node.parameters !== undefined && !isObject(node.parameters)) err([...at, 'parameters'], `must be an object, got ${describe(node.parameters)}`);
  for (const f of BOOLEAN_NODE_FIELDS) {
    if (node[f] !== undefined && typeof node[f] !== 'boolean') err([...at, f], `must be true or false, got ${JSON.stringify(node[f])}`);
  }
  for (const f of NUMBER_NODE_FIELDS) {
    const v = node[f];
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v < 0)) err([...at, f], `must be a number >= 0, got ${JSON.stringify(v)}`);
  }
  for (const f of STRING_NODE_FIELDS) {
    if (node[f] !== undefined && typeof node[f] !== 'string') err([...at, f], `must be a string, got ${describe(node[f])}`);
  }
  if (node.onError !== undefined && !ON_ERROR.includes(node.onError as string)) {
    err([...at, 'onError'], `must be one of ${ON_ERROR.join(', ')}, got ${JSON.stringify(node.onError)}`);
  }
  if (node.credentials !== undefined) {
    if (!isObject(node.credentials)) err([...at, 'credentials'], `must be an object keyed by credential type, got ${describe(node.credentials)}`);
    else
      for (const [credType, ref] of Object.entries(node.credentials)) {
        // Old n8n exports name the credential with a bare string.
        if (typeof ref === 'string') continue;
        if (!isObject(ref) || typeof ref.name !== 'string') err([...at, 'credentials', credType], 'must be {"id": …, "name": …}');
        else if (ref.id !== undefined && ref.id !== null && typeof ref.id !== 'string') err([...at, 'credentials', credType, 'id'], 'must be a string or null');
      }
  }
}

function checkConnections(connections: unknown, names: Map<string, number>, err: Report): void {
  if (connections === undefined) return;
  if (!isObject(connections)) return err(['connections'], `must be an object keyed by node name, got ${describe(connections)}`);
  for (const [source, byType] of Object.entries(connections)) {
    const at: Path = ['connections', source];
    if (!names.has(source)) err(at, `connection from missing node ${JSON.stringify(source)}`);
    if (!isObject(byType)) {
      err(at, `must be an object keyed by connection type (e.g. "main"), got ${describe(byType)}`);
      continue;
    }
    for (const [connType, outputs] of Object.entries(byType)) {
      if (!Array.isArray(outputs)) {
        err([...at, connType], `must be an array of outputs, got ${describe(outputs)}`);
        continue;
      }
      outputs.forEach((targets, out) => {
        if (targets === null) return; // n8n writes null for an output with no connections
        if (!Array.isArray(targets)) return err([...at, connType, out], `must be an array of connections, got ${describe(targets)}`);
        targets.forEach((c, k) => {
          const cAt: Path = [...at, connType, out, k];
          if (!isObject(c)) return err(cAt, `a connection must be an object, got ${describe(c)}`);
          if (typeof c.node !== 'string') err([...cAt, 'node'], 'must name the target node');
          else if (!names.has(c.node)) err([...cAt, 'node'], `connection to missing node ${JSON.stringify(c.node)}`);
          if (c.type !== undefined && typeof c.type !== 'string') err([...cAt, 'type'], 'must be a string such as "main"');
          if (c.index !== undefined && !(Number.isInteger(c.index) && (c.index as number) >= 0)) err([...cAt, 'index'], `must be an input index >= 0, got ${JSON.stringify(c.index)}`);
        });
      });
    }
  }
}

function checkPinData(pinData: unknown, names: Map<string, number>, err: Report, warn: Report): void {
  if (pinData === undefined || pinData === null) return;
  if (!isObject(pinData)) return err(['pinData'], `must be an object keyed by node name, got ${describe(pinData)}`);
  for (const [node, items] of Object.entries(pinData)) {
    if (!Array.isArray(items)) err(['pinData', node], `must be an array of items, got ${describe(items)}`);
    // n8n keeps pinned data of a node that was deleted; it is harmless, so only a warning.
    if (!names.has(node)) warn(['pinData', node], `pinned data for missing node ${JSON.stringify(node)}`);
  }
}
