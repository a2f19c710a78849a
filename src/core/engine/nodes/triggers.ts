import { DateTime } from 'luxon';
import type { INodeExecutionData, NodeExecuteContext, NodeType } from '../types.js';
import { runNow, runTimezone } from './extra/dateTime.js';

/** Entry nodes output the items they were started with (the caller's input or one empty item). */
const passThrough = async (ctx: NodeExecuteContext): Promise<INodeExecutionData[][]> => [ctx.getInputData().map((i) => ({ json: i.json, ...(i.binary ? { binary: i.binary } : {}) }))];

const isDefaultItem = (items: INodeExecutionData[]) => items.length === 1 && Object.keys(items[0].json ?? {}).length === 0 && !items[0].binary;

/** What n8n's Schedule Trigger emits for a run, at the run's clock (RunOptions.now) in the run's timezone. */
function scheduleItem(ms: number, tz: string): INodeExecutionData {
  const now = DateTime.fromMillis(ms).setZone(tz);
  return {
    json: {
      timestamp: now.toISO(),
      'Readable date': now.toFormat('MMMM d yyyy, h:mm:ss a'),
      'Readable time': now.toFormat('h:mm:ss a'),
      'Day of week': now.toFormat('cccc'),
      Year: now.toFormat('yyyy'),
      Month: now.toFormat('MMMM'),
      'Day of month': now.toFormat('dd'),
      Hour: now.toFormat('HH'),
      Minute: now.toFormat('mm'),
      Second: now.toFormat('ss'),
      Timezone: `${tz} (UTC${now.toFormat('ZZ')})`,
    },
  };
}

const t = (type: string, extra: Partial<NodeType> = {}): NodeType => ({ type: `n8n-nodes-base.${type}`, trigger: true, inputs: () => 0, execute: passThrough, ...extra });

export const triggerNodes: NodeType[] = [
  t('manualTrigger', { versions: [1] }),
  t('start', { versions: [1] }),
  t('executeWorkflowTrigger', {
    versions: [1, 1.1],
    async execute(ctx) {
      // v1.1: only the declared inputs are passed on (missing ones as null)
      const source = ctx.node.typeVersion >= 1.1 ? ctx.getNodeParameter('inputSource', 0, 'workflowInputs') : 'passthrough';
      if (source === 'passthrough') return passThrough(ctx);
      let fields: string[] = [];
      if (source === 'jsonExample') {
        try {
          fields = Object.keys(JSON.parse(String(ctx.getNodeParameter('jsonExample', 0, '{}'))));
        } catch {
          fields = [];
        }
      } else fields = ((ctx.getNodeParameter('workflowInputs.values', 0, []) ?? []) as Array<{ name?: string }>).map((v) => String(v.name ?? ''));
      return [ctx.getInputData().map((i) => ({ json: Object.fromEntries(fields.map((f) => [f, i.json[f] ?? null])), ...(i.binary ? { binary: i.binary } : {}) }))];
    },
  }),
  t('errorTrigger', { versions: [1] }),
  t('cron', { versions: [1] }),
  t('scheduleTrigger', {
    versions: [1, 1.1, 1.2, 1.3],
    async execute(ctx) {
      const items = ctx.getInputData();
      if (!isDefaultItem(items)) return passThrough(ctx);
      return [[scheduleItem(runNow(ctx), runTimezone(ctx))]];
    },
  }),
  t('webhook', {
    versions: [1, 1.1, 2, 2.1],
    webhookLike: true,
    async execute(ctx) {
      const items = ctx.getInputData();
      if (!isDefaultItem(items)) return passThrough(ctx);
      return [[{ json: { headers: {}, params: {}, query: {}, body: {}, webhookUrl: '', executionMode: 'test' } }]];
    },
  }),
  t('formTrigger', { webhookLike: true }),
];
