import type { Writable } from 'node:stream';
import { Chalk, type ChalkInstance } from 'chalk';

/** Colour is decided here and nowhere else: chalk itself ignores NO_COLOR. */
export function colorEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv, noColorFlag: boolean): boolean {
  if (noColorFlag) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return !!stream.isTTY;
}

export interface Column<T> {
  key: string;
  header?: string;
  /** Human rendering; JSON always uses the raw value under `key`. */
  format?: (row: T) => string;
}

export interface OutputOptions {
  json: boolean;
  /** Colour on stdout. */
  color: boolean;
  /** Colour on stderr (decided separately: one stream may be a terminal and the other not). */
  colorErr?: boolean;
  stdout?: Writable & { isTTY?: boolean };
  stderr?: Writable & { isTTY?: boolean };
}

/** The one renderer: table on a TTY, tab-separated lines otherwise, one JSON document with --json. */
export class Output {
  readonly json: boolean;
  readonly c: ChalkInstance;
  readonly stdout: Writable & { isTTY?: boolean };
  readonly stderr: Writable & { isTTY?: boolean };
  private readonly errColor: ChalkInstance;

  constructor(opts: OutputOptions) {
    this.json = opts.json;
    this.stdout = opts.stdout ?? process.stdout;
    this.stderr = opts.stderr ?? process.stderr;
    this.c = new Chalk({ level: opts.color ? 1 : 0 });
    this.errColor = new Chalk({ level: (opts.colorErr ?? opts.color) ? 1 : 0 });
  }

  get isTTY(): boolean {
    return !!this.stdout.isTTY;
  }

  write(text: string): void {
    this.stdout.write(text.endsWith('\n') ? text : text + '\n');
  }

  /** Exactly one JSON document. */
  printJson(doc: unknown): void {
    this.stdout.write(JSON.stringify(doc, jsonReplacer, this.isTTY ? 2 : 0) + '\n');
  }

  /** One JSON object per line (streams: logs --follow). */
  jsonLine(doc: unknown): void {
    this.stdout.write(JSON.stringify(doc, jsonReplacer) + '\n');
  }

  /** A list: JSON array of rows, or a table / TSV of the chosen columns. */
  async list<T extends object>(rows: T[], columns: Column<T>[]): Promise<void> {
    if (this.json) return this.printJson(rows);
    const cells = rows.map((r) => columns.map((col) => cell(col.format ? col.format(r) : (r as Record<string, unknown>)[col.key])));
    const headers = columns.map((col) => col.header ?? col.key.toUpperCase());
    if (this.isTTY) {
      const { default: Table } = await import('cli-table3');
      const table = new Table({ head: headers.map((h) => this.c.bold(h)), style: { head: [], border: [] } });
      for (const row of cells) table.push(row);
      this.write(rows.length ? table.toString() : this.c.dim('(none)'));
    } else {
      for (const row of cells) this.write(row.map((v) => v.replace(/[\t\n]/g, ' ')).join('\t'));
    }
  }

  /** A single record: JSON object, or `field<TAB>value` lines / a two-column table. */
  async record<T extends object>(obj: T, fields?: Column<T>[]): Promise<void> {
    if (this.json) return this.printJson(obj);
    const cols = fields ?? Object.keys(obj).map((key) => ({ key }) as Column<T>);
    const pairs = cols.map((col) => [col.header ?? col.key, cell(col.format ? col.format(obj) : (obj as Record<string, unknown>)[col.key])]);
    if (this.isTTY) {
      const width = Math.max(...pairs.map(([k]) => k!.length));
      for (const [k, v] of pairs) this.write(`${this.c.bold(k!.padEnd(width))}  ${v}`);
    } else {
      for (const [k, v] of pairs) this.write(`${k}\t${v!.replace(/[\t\n]/g, ' ')}`);
    }
  }

  /** A human sentence on stdout; with --json the caller prints `data` instead. */
  done(message: string, data?: unknown): void {
    if (this.json) this.printJson(data ?? { ok: true });
    else this.write(message);
  }

  /** Notices go to stderr so stdout stays parseable. */
  warn(message: string): void {
    this.stderr.write(`${this.errColor.yellow('warning:')} ${message}\n`);
  }

  info(message: string): void {
    this.stderr.write(`${message}\n`);
  }

  error(message: string, hint?: string): void {
    this.stderr.write(`${this.errColor.red('error:')} ${message}${hint ? ` (${hint})` : ''}\n`);
  }
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map((x) => cell(x)).join(',');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Uint8Array) return undefined;
  return value;
}
