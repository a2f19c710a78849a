/**
 * Host-side expression compiler: splits n8n templates ('=...{{ code }}...') into chunks
 * the way n8n's splitExpression does (first '}}' closes, '\{{' escapes), and turns them
 * into a function body that runs inside the sandbox with only the $-variables it uses.
 */

export type ParsedExpression = { kind: 'literal'; value: string } | { kind: 'code'; body: string };

const VARS: Record<string, string> = {
  $json: '__S.json()',
  $data: '__S.json()',
  $binary: '__S.binary()',
  $input: '__S.input()',
  $: '__S.$',
  $node: '__S.node()',
  $items: '__S.items',
  $item: '__S.item',
  $now: '__S.now()',
  $today: '__S.today()',
  $workflow: '__S.workflow()',
  $execution: '__S.execution()',
  $env: '__S.env()',
  $vars: '__S.vars()',
  $secrets: '__S.secrets()',
  $parameter: '__S.parameter()',
  $prevNode: '__S.prevNode()',
  $runIndex: '__S.runIndex()',
  $itemIndex: '__S.itemIndex()',
  $position: '__S.itemIndex()',
  $nodeVersion: '__S.nodeVersion()',
  $nodeId: '__S.nodeId()',
  $webhookId: '__S.webhookId()',
  $jmespath: '__S.jmespath',
  $if: '__S.if',
  $ifEmpty: '__S.ifEmpty',
  $max: '__S.max',
  $min: '__S.min',
  $fromAI: '__S.fromAI',
  $fromai: '__S.fromAI',
  $fromAi: '__S.fromAI',
  $evaluateExpression: '__S.evaluateExpression',
  $getWorkflowStaticData: '__S.getStaticData',
};

/** Extension method names (kept in sync with runtime-ext.ts; unknown names are harmless). */
export const EXTENSION_NAMES = [
  'isEmpty', 'isNotEmpty', 'length', 'toNumber', 'toFloat', 'toInt', 'toWholeNumber', 'toBoolean', 'toDate', 'toDateTime',
  'toTitleCase', 'toSentenceCase', 'toSnakeCase', 'removeTags', 'removeMarkdown', 'extractEmail', 'extractUrl',
  'extractDomain', 'extractUrlPath', 'isEmail', 'isUrl', 'isDomain', 'isNumeric', 'hash', 'base64Encode', 'base64Decode',
  'urlEncode', 'urlDecode', 'quote', 'replaceSpecialChars', 'parseJson', 'toJsonString', 'round', 'floor', 'ceil', 'abs',
  'isEven', 'isOdd', 'isInteger', 'format', 'first', 'last', 'sum', 'average', 'max', 'min', 'compact', 'pluck',
  'randomItem', 'unique', 'removeDuplicates', 'chunk', 'difference', 'intersection', 'union', 'append', 'merge',
  'smartJoin', 'renameKeys', 'hasField', 'removeField', 'removeFieldsContaining', 'keepFieldsContaining', 'keys',
  'values', 'plus', 'minus', 'beginningOf', 'endOfMonth', 'extract', 'isBetween', 'isDst', 'isWeekend', 'isInLast',
  'diffTo',
];
const EXT_SET = new Set(EXTENSION_NAMES);
const EXT_CALL = /\.(\s*)([A-Za-z_][\w]*)(\s*)\(/g;

/**
 * Rewrites `.name(` → `.__x_name(` for extension names, outside string literals and comments.
 */
export function rewriteExtensionCalls(code: string): string {
  if (!code.includes('(')) return code;
  let out = '';
  let i = 0;
  let seg = 0;
  const n = code.length;
  const flush = (end: number) => {
    out += code.slice(seg, end).replace(EXT_CALL, (m, a: string, name: string, b: string) => (EXT_SET.has(name) ? `.${a}__x_${name}${b}(` : m));
    seg = end;
  };
  const tplDepth: number[] = [];
  let braceDepth = 0;
  while (i < n) {
    const c = code[i];
    if (c === '"' || c === "'") {
      flush(i);
      let j = i + 1;
      while (j < n && code[j] !== c && code[j] !== '\n') j += code[j] === '\\' ? 2 : 1;
      out += code.slice(i, j + 1);
      i = seg = j + 1;
      continue;
    }
    if (c === '`' || (c === '}' && tplDepth.length && tplDepth[tplDepth.length - 1] === braceDepth)) {
      flush(i);
      if (c === '}') tplDepth.pop();
      let j = i + 1;
      while (j < n && code[j] !== '`' && !(code[j] === '$' && code[j + 1] === '{')) j += code[j] === '\\' ? 2 : 1;
      if (code[j] === '$') {
        tplDepth.push(braceDepth);
        out += code.slice(i, j + 2);
        i = seg = j + 2;
      } else {
        out += code.slice(i, j + 1);
        i = seg = j + 1;
      }
      continue;
    }
    if (c === '/' && code[i + 1] === '/') {
      flush(i);
      let j = code.indexOf('\n', i);
      if (j < 0) j = n;
      out += code.slice(i, j);
      i = seg = j;
      continue;
    }
    if (c === '/' && code[i + 1] === '*') {
      flush(i);
      let j = code.indexOf('*/', i + 2);
      j = j < 0 ? n : j + 2;
      out += code.slice(i, j);
      i = seg = j;
      continue;
    }
    if (c === '{') braceDepth++;
    else if (c === '}') braceDepth--;
    i++;
  }
  flush(n);
  return out;
}

interface Chunk {
  type: 'text' | 'code';
  text: string;
}

/** n8n splitExpression semantics. */
export function splitTemplate(tpl: string): Chunk[] {
  const chunks: Chunk[] = [];
  let buf = '';
  let i = 0;
  let mode: 'open' | 'close' = 'open';
  while (i < tpl.length) {
    const token = mode === 'open' ? '{{' : '}}';
    const at = tpl.indexOf(token, i);
    if (at < 0) {
      buf += tpl.slice(i);
      if (mode === 'open') chunks.push({ type: 'text', text: buf });
      else chunks.push({ type: 'text', text: '{{' + buf }); // unclosed: literal
      buf = '';
      i = tpl.length;
      break;
    }
    // count backslashes before the bracket (escape)
    let bs = 0;
    while (at - bs - 1 >= i && tpl[at - bs - 1] === '\\') bs++;
    if (bs > 0 && mode === 'open') {
      buf += tpl.slice(i, at - bs) + (bs === 1 ? '' : '\\') + token;
      i = at + 2;
      continue;
    }
    buf += tpl.slice(i, at);
    chunks.push({ type: mode === 'open' ? 'text' : 'code', text: buf });
    buf = '';
    mode = mode === 'open' ? 'close' : 'open';
    i = at + 2;
  }
  if (buf) chunks.push({ type: 'text', text: buf });
  return chunks.filter((c) => c.type === 'code' || c.text !== '');
}

function declarations(code: string, extra: readonly string[] = []): string {
  const seen = new Set<string>(extra);
  let decl = extra.map((name) => `var ${name} = __S.extra(${JSON.stringify(name)});\n`).join('');
  const re = /(?<![\w$.])\$[A-Za-z_0-9]*/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(code))) {
    const name = m[0];
    if (seen.has(name)) continue;
    seen.add(name);
    const v = VARS[name];
    if (v) decl += `var ${name} = ${v};\n`;
  }
  return decl;
}

function cleanCode(text: string): string {
  let t = text.trim();
  while (t.endsWith(';')) t = t.slice(0, -1).trimEnd();
  return rewriteExtensionCalls(t);
}

const cache = new Map<string, ParsedExpression>();
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/**
 * Parses a parameter value that starts with '='. `extra` names additional variables the
 * expression may read (they shadow the built-in ones of the same name, as n8n's additional keys do).
 */
export function parseExpression(value: string, extra: readonly string[] = []): ParsedExpression {
  const key = extra.length ? `${extra.join(',')}\u0000${value}` : value;
  let p = cache.get(key);
  if (p) return p;
  for (const name of extra) if (!IDENTIFIER.test(name)) throw new Error(`Invalid expression variable name "${name}"`);
  const tpl = value.slice(1);
  const chunks = splitTemplate(tpl);
  const codeChunks = chunks.filter((c) => c.type === 'code');
  if (codeChunks.length === 0) {
    p = { kind: 'literal', value: chunks.map((c) => c.text).join('') };
  } else if (chunks.length === 1 && codeChunks.length === 1) {
    const code = cleanCode(codeChunks[0].text);
    p = { kind: 'code', body: `${declarations(code, extra)}try { return (\n${code || 'undefined'}\n); } catch (e) { return __S.fail(e); }` };
  } else {
    const all = codeChunks.map((c) => cleanCode(c.text));
    // riot-tmpl (n8n) evaluates each chunk on its own: a failing chunk renders as ''
    const parts = chunks.map((c) =>
      c.type === 'text' ? JSON.stringify(c.text) : `__S.str((() => { try { return (\n${cleanCode(c.text) || 'undefined'}\n); } catch (e) { return __S.fail(e); } })())`,
    );
    p = { kind: 'code', body: `${declarations(all.join('\n'), extra)}return ${parts.join(' + ')};` };
  }
  if (cache.size > 20000) cache.clear();
  cache.set(key, p);
  return p;
}

export function isExpression(v: unknown): v is string {
  return typeof v === 'string' && v.charCodeAt(0) === 61; /* '=' */
}

/** Wraps user JavaScript (Code/Function nodes) so stack frames report 'Code:<line>'. */
export function wrapUserCode(code: string, params: string): string {
  return `(async function (${params}) {return (async () => {${rewriteExtensionCalls(code)}\n})();})\n//# sourceURL=Code`;
}
