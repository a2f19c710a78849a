import { UsageError } from '../errors.js';

/** The largest workflow file accepted (n8n exports with big pinData stay far below it). */
export const MAX_WORKFLOW_FILE_BYTES = 50 * 1024 * 1024;

/** One workflow document read from a file, an array element, or stdin. */
export interface WorkflowSource {
  /** Where it came from, for messages: `dir/a.json`, `all.json[2]`, `stdin`. */
  label: string;
  /** Used as the name when the document has none. */
  fallbackName: string;
  doc: unknown;
}

/** A file or element that could not be read as JSON at all. */
export interface SourceProblem {
  label: string;
  path: string;
  message: string;
}

export interface ReadResult {
  sources: WorkflowSource[];
  problems: SourceProblem[];
}

/**
 * Read workflow documents from files, directories (n8n's `export:workflow --separate` layout:
 * one `*.json` per workflow) and `-` (stdin). A file may hold one workflow or an array of them.
 * Unreadable JSON is reported per file, so a directory import can list every bad file.
 */
export async function readWorkflowSources(inputs: string[], stdin?: NodeJS.ReadableStream): Promise<ReadResult> {
  const { stat, readdir } = await import('node:fs/promises');
  const { join, basename } = await import('node:path');
  if (!inputs.length) throw new UsageError('no input given', { hint: 'name a file, a directory, or - for stdin' });
  const result: ReadResult = { sources: [], problems: [] };
  for (const input of inputs) {
    if (input === '-') {
      if (!stdin) throw new UsageError('stdin is not available');
      addDocument(result, 'stdin', 'Imported workflow', await readStream(stdin, 'stdin'));
      continue;
    }
    const st = await stat(input).catch(() => null);
    if (!st) throw new UsageError(`${input}: no such file or directory`, { hint: 'check the path' });
    if (st.isDirectory()) {
      const files = (await readdir(input, { withFileTypes: true }))
        .filter((e) => e.isFile() && e.name.toLowerCase().endsWith('.json'))
        .map((e) => e.name)
        .sort();
      if (!files.length) throw new UsageError(`${input}: no .json files in this directory`, { hint: 'n8n writes them with `n8n export:workflow --all --separate --output DIR`' });
      for (const f of files) await addFile(result, join(input, f), basename(f));
    } else {
      await addFile(result, input, basename(input));
    }
  }
  return result;
}

async function addFile(result: ReadResult, file: string, base: string): Promise<void> {
  const text = await readWorkflowFile(file).catch((e: Error) => e);
  if (text instanceof Error) {
    result.problems.push({ label: file, path: '', message: text.message });
    return;
  }
  addDocument(result, file, base.replace(/\.json$/i, ''), text);
}

/** Read one file, refusing anything over the size limit before reading it. */
export async function readWorkflowFile(file: string): Promise<string> {
  const { stat, readFile } = await import('node:fs/promises');
  const st = await stat(file);
  if (st.size > MAX_WORKFLOW_FILE_BYTES) throw new Error(tooLarge(st.size));
  return readFile(file, 'utf8');
}

function tooLarge(bytes: number): string {
  return `file is ${(bytes / 1024 / 1024).toFixed(1)} MB; the limit is ${MAX_WORKFLOW_FILE_BYTES / 1024 / 1024} MB`;
}

async function readStream(stream: NodeJS.ReadableStream, label: string): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    size += b.length;
    if (size > MAX_WORKFLOW_FILE_BYTES) throw new UsageError(`${label}: input is over the limit of ${MAX_WORKFLOW_FILE_BYTES / 1024 / 1024} MB`);
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function addDocument(result: ReadResult, label: string, fallbackName: string, text: string): void {
  const parsed = parseJson(text);
  if ('error' in parsed) {
    result.problems.push({ label, path: '', message: parsed.error });
    return;
  }
  const doc = parsed.value;
  if (Array.isArray(doc)) {
    if (!doc.length) result.problems.push({ label, path: '', message: 'the file holds an empty array: no workflows to import' });
    doc.forEach((d, i) => result.sources.push({ label: `${label}[${i}]`, fallbackName: `${fallbackName} ${i + 1}`, doc: d }));
  } else {
    result.sources.push({ label, fallbackName, doc });
  }
}

/** JSON.parse, with a syntax error located as line:column (V8's message may quote the whole input). */
export function parseJson(text: string): { value: unknown } | { error: string } {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (!body.trim()) return { error: 'invalid JSON: the input is empty' };
  try {
    return { value: JSON.parse(body) };
  } catch {
    const at = locateJsonError(body);
    if (at === null) return { error: 'invalid JSON' };
    const before = body.slice(0, at);
    const line = before.split('\n').length;
    const col = at - before.lastIndexOf('\n');
    const what = at >= body.length ? 'unexpected end of input' : `unexpected ${JSON.stringify(body.slice(at, at + 1))}`;
    return { error: `invalid JSON at line ${line}, column ${col}: ${what}` };
  }
}

/** Offset of the first syntax error (RFC 8259), or null if none is found. Only run after JSON.parse failed. */
export function locateJsonError(s: string): number | null {
  let i = 0;
  const ws = () => {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t' || s[i] === '\n' || s[i] === '\r')) i++;
  };
  class Bad extends Error {}
  const fail = (): never => {
    throw new Bad();
  };
  const literal = (word: string) => {
    for (const ch of word) if (s[i++] !== ch) return void (i--, fail());
  };
  const string = () => {
    i++; // opening quote
    for (;;) {
      if (i >= s.length) fail();
      const c = s.charCodeAt(i);
      if (c === 0x22) return void i++;
      if (c < 0x20) fail();
      if (c === 0x5c) {
        i++;
        if (s[i] === 'u') {
          for (let k = 1; k <= 4; k++) if (!/[0-9a-fA-F]/.test(s[i + k] ?? '')) return void ((i += k), fail());
          i += 5;
        } else if ('"\\/bfnrt'.includes(s[i] ?? 'x')) i++;
        else fail();
      } else i++;
    }
  };
  const number = () => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(s.slice(i, i + 400));
    if (!m || !m[0] || m[0] === '-') fail();
    i += m![0].length;
  };
  const value = (): void => {
    ws();
    const c = s[i];
    if (c === '{') {
      i++;
      ws();
      if (s[i] === '}') return void i++;
      for (;;) {
        ws();
        if (s[i] !== '"') fail();
        string();
        ws();
        if (s[i] !== ':') fail();
        i++;
        value();
        ws();
        if (s[i] === ',') i++;
        else if (s[i] === '}') return void i++;
        else fail();
      }
    } else if (c === '[') {
      i++;
      ws();
      if (s[i] === ']') return void i++;
      for (;;) {
        value();
        ws();
        if (s[i] === ',') i++;
        else if (s[i] === ']') return void i++;
        else fail();
      }
    } else if (c === '"') string();
    else if (c === 't') literal('true');
    else if (c === 'f') literal('false');
    else if (c === 'n') literal('null');
    else if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) number();
    else fail();
  };
  try {
    value();
    ws();
    return i < s.length ? i : null;
  } catch (e) {
    return e instanceof Bad ? i : null;
  }
}
