import type { IDataObject, INodeExecutionData, NodeExecuteContext, NodeType } from '../../types.js';
import { assertBinaryData, binaryBuffer } from './binary.js';
import { getPath } from '../shared/path.js';
import { nodeError, perItem } from './util.js';

interface Extraction {
  key: string;
  cssSelector: string;
  returnValue?: 'attribute' | 'html' | 'text' | 'value';
  attribute?: string;
  returnArray?: boolean;
  skipSelectors?: string;
}

type Cheerio = typeof import('cheerio');
let cheerioModule: Promise<Cheerio> | undefined;
const loadCheerio = () => (cheerioModule ??= import('cheerio'));

function clean(value: unknown, options: IDataObject): unknown {
  if (typeof value !== 'string') return value;
  let v = value;
  if (options.trimValues !== false) v = v.trim();
  if (options.cleanUpText) v = v.replace(/^\s+|\s+$/g, '').replace(/(\s\s)\s+/g, '$1');
  return v;
}

async function extract(ctx: NodeExecuteContext, items: INodeExecutionData[]): Promise<INodeExecutionData[]> {
  const cheerio = await loadCheerio();
  return perItem(ctx, items, (item, i) => {
    const source = ctx.getNodeParameter('sourceData', i, 'json') as string;
    const field = ctx.getNodeParameter('dataPropertyName', i, 'data') as string;
    const options = (ctx.getNodeParameter('options', i, {}) ?? {}) as IDataObject;
    const values = (ctx.getNodeParameter('extractionValues.values', i, []) ?? []) as Extraction[];
    let html: string;
    if (source === 'binary') html = binaryBuffer(assertBinaryData(ctx.node, item, field, i)).toString('utf8');
    else {
      const v = getPath(item.json, field);
      if (v === undefined) throw nodeError(ctx.node, `No property named "${field}" exists!`, { itemIndex: i });
      html = typeof v === 'string' ? v : JSON.stringify(v);
    }
    const $ = cheerio.load(html);
    const read = (el: any, spec: Extraction): unknown => {
      switch (spec.returnValue ?? 'text') {
        case 'attribute':
          return el.attr(spec.attribute ?? '');
        case 'html':
          return el.html() ?? undefined;
        case 'value':
          return el.val();
        default: {
          if (spec.skipSelectors) {
            const copy = el.clone();
            copy.find(spec.skipSelectors).remove();
            return copy.text();
          }
          return el.text();
        }
      }
    };
    const json: IDataObject = {};
    for (const spec of values) {
      const el = $(spec.cssSelector);
      if (spec.returnArray) {
        const list: unknown[] = [];
        el.each((_n: number, e: any) => {
          list.push(clean(read($(e), spec), options));
        });
        json[spec.key] = list;
      } else json[spec.key] = clean(read(el, spec), options);
    }
    return { json, pairedItem: { item: i } };
  });
}

function escapeHtml(v: unknown): string {
  return String(v).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function toTable(ctx: NodeExecuteContext, items: INodeExecutionData[]): INodeExecutionData[] {
  const options = (ctx.getNodeParameter('options', 0, {}) ?? {}) as IDataObject;
  const columns: string[] = [];
  for (const it of items) for (const k of Object.keys(it.json)) if (!columns.includes(k)) columns.push(k);
  const attr = (a: unknown) => (a ? ` ${a}` : '');
  const head = (c: string) => (options.capitalize ? c.charAt(0).toUpperCase() + c.slice(1) : c);
  const cell = (v: unknown) => (v === undefined || v === null ? '' : typeof v === 'object' ? escapeHtml(JSON.stringify(v)) : escapeHtml(v));
  let table = options.customStyling ? '' : '<style>table { border-collapse: collapse; } td, th { border: 1px solid; padding: 4px; }</style>';
  table += `<table${attr(options.tableAttributes)}>`;
  if (options.caption) table += `<caption>${escapeHtml(options.caption)}</caption>`;
  table += `<thead><tr${attr(options.headerAttributes)}>${columns.map((c) => `<th>${escapeHtml(head(c))}</th>`).join('')}</tr></thead><tbody>`;
  for (const it of items) {
    table += `<tr${attr(options.rowAttributes)}>${columns.map((c) => `<td${attr(options.cellAttributes)}>${cell(it.json[c])}</td>`).join('')}</tr>`;
  }
  table += '</tbody></table>';
  return [{ json: { table }, pairedItem: items.map((_, item) => ({ item })) }];
}

/** HTML: generate from a template with expressions, extract by CSS selector (cheerio), or build a table. */
export const htmlNode: NodeType = {
  type: 'n8n-nodes-base.html',
  versions: [1, 1.1, 1.2],
  async execute(ctx) {
    const items = ctx.getInputData();
    const operation = ctx.getNodeParameter('operation', 0, 'generateHtmlTemplate') as string;
    if (operation === 'extractHtmlContent') return [await extract(ctx, items)];
    if (operation === 'convertToHtmlTable') return [toTable(ctx, items)];
    const out = await perItem(ctx, items, (_item, i) => {
      const raw = (ctx.getNodeParameter('html', i, '', { rawExpressions: true }) as string) || '';
      // The template's {{ }} parts are expressions even without the leading "=".
      const html = raw.includes('{{') ? ctx.evaluateExpression(raw.startsWith('=') ? raw : `=${raw}`, i) : raw;
      return { json: { html: html as string }, pairedItem: { item: i } };
    });
    return [out];
  },
};
