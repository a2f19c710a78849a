import type { IDataObject, NodeType } from '../../types.js';
import { setPath } from '../shared/path.js';
import { perItem } from './util.js';
import { deepCopy } from '../shared/copy.js';

const MD_OPTION_KEYS = new Set(['bulletMarker', 'codeFence', 'codeBlockStyle', 'emDelimiter', 'strongDelimiter', 'maxConsecutiveNewlines', 'keepDataImages', 'useInlineLinks', 'useLinkReferenceDefinitions', 'textReplace', 'ignore', 'blockElements']);

/** Markdown ⇄ HTML: showdown for Markdown→HTML, node-html-markdown for HTML→Markdown (n8n's choices). */
export const markdownNode: NodeType = {
  type: 'n8n-nodes-base.markdown',
  versions: [1],
  async execute(ctx) {
    const items = ctx.getInputData();
    const mode = ctx.getNodeParameter('mode', 0, 'htmlToMarkdown') as string;
    const out = await perItem(ctx, items, async (item, i) => {
      const destination = ctx.getNodeParameter('destinationKey', i, 'data') as string;
      const options = (ctx.getNodeParameter('options', i, {}) ?? {}) as IDataObject;
      let result: string;
      if (mode === 'markdownToHtml') {
        const showdown = (await import('showdown')).default;
        const converter = new showdown.Converter();
        for (const [k, v] of Object.entries(options)) converter.setOption(k, v);
        result = converter.makeHtml(String(ctx.getNodeParameter('markdown', i, '') ?? ''));
      } else {
        const { NodeHtmlMarkdown } = await import('node-html-markdown');
        const opts: IDataObject = {};
        for (const [k, v] of Object.entries(options)) {
          if (!MD_OPTION_KEYS.has(k)) continue;
          opts[k] = ['ignore', 'blockElements'].includes(k) && typeof v === 'string' ? v.split(',').map((s) => s.trim()) : v;
        }
        result = NodeHtmlMarkdown.translate(String(ctx.getNodeParameter('html', i, '') ?? ''), opts as any);
      }
      const json = deepCopy(item.json);
      setPath(json, destination, result);
      return { json, binary: item.binary, pairedItem: { item: i } };
    });
    return [out];
  },
};
