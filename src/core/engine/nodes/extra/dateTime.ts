import { DateTime, Duration, type DurationLikeObject } from 'luxon';
import type { IDataObject, INodeExecutionData, NodeExecuteContext, NodeType, RunOptions } from '../../types.js';
import type { ExecContext } from '../../runner/context.js';
import { setPath } from '../shared/path.js';
import { nodeError, typeVersion } from './util.js';
import { deepCopy } from '../shared/copy.js';

const MOMENT_TOKENS = /\[[^\]]*\]|YYYY|YY|Q|MMMM|MMM|MM|Mo|M|DDDD|DDD|Do|DD|D|dddd|ddd|dd|d|E|e|WW|W|ww|w|HH|H|hh|h|kk|k|mm|m|ss|s|SSS|SS|S|A|a|ZZ|Z|X|x/g;

function ordinal(n: number): string {
  const s = ['th', 'st', 'nd', 'rd'];
  const v = n % 100;
  return n + (s[(v - 20) % 10] || s[v] || s[0]);
}

/** Formats with moment.js tokens (DateTime v1 uses moment), rendered from a Luxon date. */
export function formatMoment(d: DateTime, format: string): string {
  if (!format) return d.toISO() ?? '';
  const pad = (n: number, l = 2) => String(n).padStart(l, '0');
  return format.replace(MOMENT_TOKENS, (t) => {
    switch (t) {
      case 'YYYY': return String(d.year);
      case 'YY': return pad(d.year % 100);
      case 'Q': return String(d.quarter);
      case 'MMMM': return d.toFormat('LLLL');
      case 'MMM': return d.toFormat('LLL');
      case 'MM': return pad(d.month);
      case 'Mo': return ordinal(d.month);
      case 'M': return String(d.month);
      case 'DDDD': return pad(d.ordinal, 3);
      case 'DDD': return String(d.ordinal);
      case 'Do': return ordinal(d.day);
      case 'DD': return pad(d.day);
      case 'D': return String(d.day);
      case 'dddd': return d.toFormat('cccc');
      case 'ddd': return d.toFormat('ccc');
      case 'dd': return d.toFormat('ccc').slice(0, 2);
      case 'd': return String(d.weekday % 7);
      case 'E': return String(d.weekday);
      case 'e': return String(d.weekday % 7);
      case 'WW': case 'ww': return pad(d.weekNumber);
      case 'W': case 'w': return String(d.weekNumber);
      case 'HH': return pad(d.hour);
      case 'H': return String(d.hour);
      case 'hh': return pad(d.hour % 12 || 12);
      case 'h': return String(d.hour % 12 || 12);
      case 'kk': return pad(d.hour || 24);
      case 'k': return String(d.hour || 24);
      case 'mm': return pad(d.minute);
      case 'm': return String(d.minute);
      case 'ss': return pad(d.second);
      case 's': return String(d.second);
      case 'SSS': return pad(d.millisecond, 3);
      case 'SS': return pad(Math.floor(d.millisecond / 10));
      case 'S': return String(Math.floor(d.millisecond / 100));
      case 'A': return d.hour < 12 ? 'AM' : 'PM';
      case 'a': return d.hour < 12 ? 'am' : 'pm';
      case 'ZZ': return d.toFormat('ZZZ');
      case 'Z': return d.toFormat('ZZ');
      case 'X': return String(Math.floor(d.toSeconds()));
      case 'x': return String(d.toMillis());
      default: return t.slice(1, -1);
    }
  });
}

/** moment's lenient parsing of the inputs n8n passes around: ISO strings, RFC 2822, epoch numbers. */
function parseLoose(value: unknown, zone?: string): DateTime {
  const opts = zone ? { zone } : {};
  if (typeof value === 'number') return DateTime.fromMillis(value, opts);
  const s = String(value ?? '').trim();
  let d = DateTime.fromISO(s, opts);
  if (!d.isValid) d = DateTime.fromRFC2822(s, opts);
  if (!d.isValid) d = DateTime.fromHTTP(s, opts);
  if (!d.isValid) d = DateTime.fromSQL(s, opts);
  if (!d.isValid) {
    const js = new Date(s);
    if (!Number.isNaN(js.getTime())) d = DateTime.fromJSDate(js, opts);
  }
  return d;
}

/** moment-style input format (DD/MM/YYYY) to Luxon (dd/MM/yyyy) for parsing. */
function momentToLuxon(format: string): string {
  const map: Record<string, string> = { YYYY: 'yyyy', YY: 'yy', DD: 'dd', D: 'd', Do: 'd', dddd: 'cccc', ddd: 'ccc', A: 'a', a: 'a', X: 'X', x: 'x', ZZ: 'ZZZ', Z: 'ZZ' };
  return format.replace(MOMENT_TOKENS, (t) => (t.startsWith('[') ? `'${t.slice(1, -1)}'` : map[t] ?? t));
}

/** n8n's default timezone (GENERIC_TIMEZONE unset). */
const DEFAULT_TIMEZONE = 'America/New_York';

/** The run options of the execution behind a node context (the engine's ExecContext has them). */
const runOptionsOf = (ctx: NodeExecuteContext): RunOptions | undefined => (ctx as Partial<Pick<ExecContext, 'ex'>>).ex?.options;

/**
 * The timezone of the run, with the precedence the expression engine uses for $now/$today
 * (runner/context.ts): RunOptions.timezone, then the workflow's settings.timezone, then n8n's
 * default. Nodes that compute times (Date & Time, Schedule Trigger) use it so their output
 * agrees with the expressions of the same run.
 */
export function runTimezone(ctx: NodeExecuteContext): string {
  const settings = ctx.workflowDefinition.settings?.timezone as string | undefined;
  return (runOptionsOf(ctx)?.timezone ?? settings ?? DEFAULT_TIMEZONE) || DEFAULT_TIMEZONE;
}

/** Current time of the run in ms: RunOptions.now (a fixed clock for tests), as $now uses it, else the system clock. */
export function runNow(ctx: NodeExecuteContext): number {
  const now = runOptionsOf(ctx)?.now;
  return now ? now() : Date.now();
}

function executeV1(ctx: NodeExecuteContext): INodeExecutionData[] {
  const items = ctx.getInputData();
  const out: INodeExecutionData[] = [];
  for (let i = 0; i < items.length; i++) {
    const action = ctx.getNodeParameter('action', i, 'format') as string;
    const value = ctx.getNodeParameter('value', i, undefined);
    const field = ctx.getNodeParameter('dataPropertyName', i, 'data') as string;
    const options = (ctx.getNodeParameter('options', i, {}) ?? {}) as IDataObject;
    if (value === undefined) {
      out.push({ ...items[i], pairedItem: { item: i } });
      continue;
    }
    let result: unknown;
    if (action === 'format') {
      const toFormat = ctx.getNodeParameter('toFormat', i, '') as string;
      let d: DateTime;
      const fromZone = (options.fromTimezone as string) || (options.toTimezone ? runTimezone(ctx) : undefined);
      if (Number.isInteger(value)) d = DateTime.fromSeconds(value as number, fromZone ? { zone: fromZone } : {});
      else if (options.fromFormat) d = DateTime.fromFormat(String(value), momentToLuxon(String(options.fromFormat)), fromZone ? { zone: fromZone } : {});
      else d = parseLoose(value, fromZone);
      if (!d.isValid) throw nodeError(ctx.node, 'The date input format could not be recognized. Please set the "From Format" field', { itemIndex: i });
      if (options.toTimezone || options.fromTimezone) d = d.setZone((options.toTimezone as string) || runTimezone(ctx));
      else d = d.setZone('system');
      result = formatMoment(d, toFormat);
    } else {
      const operation = ctx.getNodeParameter('operation', i, 'add') as string;
      const duration = Number(ctx.getNodeParameter('duration', i, 0));
      const unit = ctx.getNodeParameter('timeUnit', i, 'days') as string;
      let d = options.fromFormat ? DateTime.fromFormat(String(value), momentToLuxon(String(options.fromFormat))) : parseLoose(value);
      if (!d.isValid) throw nodeError(ctx.node, 'The date input format could not be recognized. Please set the "From Format" field', { itemIndex: i });
      const delta = { [unit]: duration } as DurationLikeObject;
      d = operation === 'subtract' ? d.minus(delta) : d.plus(delta);
      result = d.toUTC().toISO();
    }
    const json = deepCopy(items[i].json);
    setPath(json, field, result);
    out.push({ json, binary: items[i].binary, pairedItem: { item: i } });
  }
  return out;
}

function parseV2(ctx: NodeExecuteContext, value: unknown, zone: string | undefined, fromFormat?: string): DateTime {
  if (value === null || value === undefined || value === '') throw nodeError(ctx.node, 'Invalid date type');
  let d: DateTime;
  if (typeof value === 'number' || (!Number.isNaN(Number(value)) && !fromFormat)) {
    const ts = Number(value);
    d = ts < 1e12 ? DateTime.fromSeconds(ts) : DateTime.fromMillis(ts);
  } else if (fromFormat) d = DateTime.fromFormat(String(value), fromFormat);
  else d = parseLoose(value);
  if (!d.isValid) throw nodeError(ctx.node, `Invalid date format: ${String(value)}`, { description: d.invalidExplanation ?? undefined });
  return zone ? d.setZone(zone) : d;
}

const toJson = (d: DateTime) => d.toISO();

function executeV2(ctx: NodeExecuteContext): INodeExecutionData[] {
  const items = ctx.getInputData();
  const operation = ctx.getNodeParameter('operation', 0, 'getCurrentDate') as string;
  const out: INodeExecutionData[] = [];
  for (let i = 0; i < items.length; i++) {
    const options = (ctx.getNodeParameter('options', i, {}) ?? {}) as IDataObject;
    const zone = (options.timezone as string) || runTimezone(ctx);
    let field: string;
    let value: unknown;
    switch (operation) {
      case 'getCurrentDate': {
        field = ctx.getNodeParameter('outputFieldName', i, 'currentDate') as string;
        const now = DateTime.fromMillis(runNow(ctx)).setZone(zone);
        if (!now.isValid) throw nodeError(ctx.node, `The timezone "${zone}" is not valid`, { itemIndex: i });
        value = toJson(ctx.getNodeParameter('includeTime', i, true) ? now : now.startOf('day'));
        break;
      }
      case 'addToDate':
      case 'subtractFromDate': {
        field = ctx.getNodeParameter('outputFieldName', i, 'newDate') as string;
        const d = parseV2(ctx, ctx.getNodeParameter('magnitude', i), options.timezone as string | undefined);
        const unit = ctx.getNodeParameter('timeUnit', i, 'days') as string;
        const delta = { [unit]: Number(ctx.getNodeParameter('duration', i, 0)) } as DurationLikeObject;
        value = toJson(operation === 'addToDate' ? d.plus(delta) : d.minus(delta));
        break;
      }
      case 'formatDate': {
        field = ctx.getNodeParameter('outputFieldName', i, 'formattedDate') as string;
        const format = ctx.getNodeParameter('format', i, 'MM/dd/yyyy') as string;
        const custom = ctx.getNodeParameter('customFormat', i, '') as string;
        const d = parseV2(ctx, ctx.getNodeParameter('date', i), zone, options.fromFormatting as string | undefined);
        value = d.toFormat(format === 'custom' ? custom : format);
        break;
      }
      case 'roundDate': {
        field = ctx.getNodeParameter('outputFieldName', i, 'roundedDate') as string;
        const d = parseV2(ctx, ctx.getNodeParameter('date', i), options.timezone as string | undefined);
        const mode = ctx.getNodeParameter('mode', i, 'roundDown') as string;
        const unit = ctx.getNodeParameter(mode === 'roundDown' ? 'toNearest' : 'to', i, 'day') as any;
        value = toJson(mode === 'roundDown' ? d.startOf(unit) : d.endOf(unit).plus({ milliseconds: 1 }));
        break;
      }
      case 'getTimeBetweenDates': {
        field = ctx.getNodeParameter('outputFieldName', i, 'timeDifference') as string;
        const start = parseV2(ctx, ctx.getNodeParameter('startDate', i), options.timezone as string | undefined);
        const end = parseV2(ctx, ctx.getNodeParameter('endDate', i), options.timezone as string | undefined);
        const units = (ctx.getNodeParameter('units', i, ['day']) as string[]).map((u) => `${u}s`) as any;
        const diff: Duration = end.diff(start, units);
        value = options.isoString ? diff.toISO() : diff.toObject();
        break;
      }
      case 'extractDate': {
        field = ctx.getNodeParameter('outputFieldName', i, 'datePart') as string;
        const d = parseV2(ctx, ctx.getNodeParameter('date', i), options.timezone as string | undefined);
        const part = ctx.getNodeParameter('part', i, 'month') as string;
        value = part === 'week' ? d.weekNumber : (d as any)[part];
        break;
      }
      default:
        throw nodeError(ctx.node, `The operation "${operation}" is not supported`);
    }
    const json = options.includeInputFields === false ? {} : deepCopy(items[i].json);
    json[field] = value;
    out.push({ json, binary: items[i].binary, pairedItem: { item: i } });
  }
  return out;
}

/** Date & Time: v1 (moment-style format/calculate) and v2 (Luxon operations). */
export const dateTimeNode: NodeType = {
  type: 'n8n-nodes-base.dateTime',
  versions: [1, 2],
  async execute(ctx) {
    return [typeVersion(ctx) >= 2 ? executeV2(ctx) : executeV1(ctx)];
  },
};
