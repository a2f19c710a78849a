import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWorkflow } from '../../src/core/engine/index.js';
import { mapLangChainNodes } from '../../src/core/engine/nodes/extra/index.js';
import type { INode, RunOptions, WorkflowDefinition } from '../../src/core/engine/types.js';
import { sendJson, startServer } from './helpers.js';

function wf(node: Partial<INode> & { type: string }): WorkflowDefinition {
  return {
    nodes: [
      { name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, parameters: {}, position: [0, 0] },
      { name: 'N', typeVersion: 1, position: [200, 0], parameters: {}, ...node } as INode,
    ],
    connections: { Start: { main: [[{ node: 'N', type: 'main', index: 0 }]] } },
  };
}

async function run(node: Partial<INode> & { type: string }, input: RunOptions['input'] = [{ json: {} }], options: RunOptions = {}) {
  const res = await runWorkflow(wf(node), { input, ...options });
  const task = res.runData.N?.[0];
  return { res, out: task?.data?.main ?? [], error: task?.error };
}

describe('xml, markdown, html', () => {
  it('xml converts both ways with n8n parser defaults', async () => {
    const { out } = await run({ type: 'n8n-nodes-base.xml', parameters: { options: {} } }, [{ json: { data: '<a id="1"><b>x</b><b>y</b></a>' } }]);
    expect(out[0]![0].json).toEqual({ a: { id: '1', b: ['x', 'y'] } });
    const back = await run({ type: 'n8n-nodes-base.xml', parameters: { mode: 'jsonToxml', options: { headless: true } } }, [{ json: { a: { b: 'x' } } }]);
    expect(back.out[0]![0].json.data).toBe('<a>\n  <b>x</b>\n</a>');
  });

  it('markdown converts both ways', async () => {
    const toHtml = await run({ type: 'n8n-nodes-base.markdown', parameters: { mode: 'markdownToHtml', markdown: '# Hi\n\n**b**', options: {} } });
    expect(toHtml.out[0]![0].json.data).toBe('<h1 id="hi">Hi</h1>\n<p><strong>b</strong></p>');
    const toMd = await run({ type: 'n8n-nodes-base.markdown', parameters: { html: '<h1>Hi</h1><p><b>b</b></p>', destinationKey: 'md', options: {} } });
    expect(toMd.out[0]![0].json.md).toBe('# Hi\n\n**b**');
  });

  it('html extracts by CSS selector and builds tables', async () => {
    const page = '<ul><li class="p"><a href="/1"> One </a></li><li class="p"><a href="/2">Two</a></li></ul>';
    const { out } = await run(
      {
        type: 'n8n-nodes-base.html', typeVersion: 1.2,
        parameters: { operation: 'extractHtmlContent', extractionValues: { values: [{ key: 'titles', cssSelector: 'li.p a', returnArray: true }, { key: 'first', cssSelector: 'li.p a', returnValue: 'attribute', attribute: 'href' }] }, options: {} },
      },
      [{ json: { data: page } }],
    );
    expect(out[0]![0].json).toEqual({ titles: ['One', 'Two'], first: '/1' });
    const table = await run({ type: 'n8n-nodes-base.html', typeVersion: 1.2, parameters: { operation: 'convertToHtmlTable', options: { customStyling: true } } }, [{ json: { a: 1 } }, { json: { a: '<2>' } }]);
    expect(table.out[0]![0].json.table).toBe('<table><thead><tr><th>a</th></tr></thead><tbody><tr><td>1</td></tr><tr><td>&lt;2&gt;</td></tr></tbody></table>');
  });
});

describe('crypto and dateTime', () => {
  it('hashes, signs with HMAC (also over binary input) and generates UUIDs', async () => {
    const hash = await run({ type: 'n8n-nodes-base.crypto', parameters: { action: 'hash', type: 'SHA256', value: 'abc', dataPropertyName: 'h' } });
    expect(hash.out[0]![0].json.h).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    const body = Buffer.from('{"a":1}');
    const hmac = await run(
      { type: 'n8n-nodes-base.crypto', typeVersion: 2, parameters: { action: 'hmac', binaryData: true, binaryPropertyName: 'data', type: 'SHA256', secret: 's3cret', encoding: 'hex', dataPropertyName: 'sig' } },
      [{ json: { keep: true }, binary: { data: { data: body.toString('base64'), mimeType: 'application/json' } } }],
    );
    expect(hmac.out[0]![0].json).toEqual({ keep: true, sig: createHmac('sha256', 's3cret').update(body).digest('hex') });
    const uuid = await run({ type: 'n8n-nodes-base.crypto', parameters: { action: 'generate', encodingType: 'uuid' } });
    expect(uuid.out[0]![0].json.data).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('dateTime v1 formats with moment tokens and v2 formats with Luxon tokens', async () => {
    const v1 = await run({ type: 'n8n-nodes-base.dateTime', parameters: { value: '2024-03-05T10:00:00Z', toFormat: 'MMMM Do YYYY, HH:mm', options: { toTimezone: 'UTC' } } });
    expect(v1.out[0]![0].json.data).toBe('March 5th 2024, 10:00');
    const calc = await run({ type: 'n8n-nodes-base.dateTime', parameters: { value: '2024-03-05T10:00:00Z', action: 'calculate', duration: 12, timeUnit: 'hours', options: {} } });
    expect(calc.out[0]![0].json.data).toBe('2024-03-05T22:00:00.000Z');
    const v2 = await run({ type: 'n8n-nodes-base.dateTime', typeVersion: 2, parameters: { operation: 'formatDate', date: '2024-03-05T10:00:00Z', format: 'custom', customFormat: 'dd-MM-yyyy', options: { timezone: 'UTC' } } }, [{ json: { x: 1 } }]);
    expect(v2.out[0]![0].json).toEqual({ x: 1, formattedDate: '05-03-2024' });
  });
});

describe('AI chat completion', () => {
  let srv: Awaited<ReturnType<typeof startServer>>;
  beforeAll(async () => {
    srv = await startServer((req, res) => {
      if (req.headers.authorization !== 'Bearer sk-test-ai-key') return sendJson(res, 401, { error: { message: 'bad key sk-test-ai-key' } });
      const body = JSON.parse(req.body.toString());
      const json = body.response_format?.type === 'json_object';
      sendJson(res, 200, { model: body.model, choices: [{ finish_reason: 'stop', message: { role: 'assistant', content: json ? '{"answer":42}' : `echo: ${body.messages.at(-1).content}` } }], usage: { total_tokens: 3 } });
    });
  });
  afterAll(async () => srv.close());
  const creds = (apiKey: string): RunOptions['credentials'] => ({ getCredentials: async () => ({ apiKey, url: `${srv.url}/v1` }) });

  it('maps a LangChain basic chain on lmChatOpenAi and runs it against an OpenAI-compatible endpoint', async () => {
    const n8n: WorkflowDefinition = {
      nodes: [
        { name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, parameters: {}, position: [0, 0] },
        { name: 'Chain', type: '@n8n/n8n-nodes-langchain.chainLlm', typeVersion: 1.4, position: [200, 0], parameters: { promptType: 'define', text: '=Say {{ $json.word }}', messages: { messageValues: [{ message: 'Be brief' }] } } },
        { name: 'Model', type: '@n8n/n8n-nodes-langchain.lmChatOpenAi', typeVersion: 1, position: [200, 200], parameters: { model: { __rl: true, value: 'gpt-4o-mini', mode: 'list' }, options: { temperature: 0.2 } }, credentials: { openAiApi: { id: '1', name: 'OpenAI' } } },
      ],
      connections: { Start: { main: [[{ node: 'Chain', type: 'main', index: 0 }]] }, Model: { ai_languageModel: [[{ node: 'Chain', type: 'ai_languageModel', index: 0 }]] } },
    };
    const mapped = mapLangChainNodes(n8n);
    expect(mapped.unsupported).toEqual([]);
    expect(mapped.workflow.nodes.map((n) => n.type)).toEqual(['n8n-nodes-base.manualTrigger', 'jobsprint-nodes-base.chatCompletion']);
    const res = await runWorkflow(mapped.workflow, { input: [{ json: { word: 'hi' } }], credentials: creds('sk-test-ai-key') });
    expect(res.status).toBe('success');
    expect(res.runData.Chain[0].data!.main[0]![0].json.text).toBe('echo: Say hi');
  });

  it('names unsupported LangChain nodes, and keeps the API key out of errors', async () => {
    const agent: WorkflowDefinition = { nodes: [{ name: 'Agent', type: '@n8n/n8n-nodes-langchain.agent', typeVersion: 1, parameters: {}, position: [0, 0] }], connections: {} };
    expect(mapLangChainNodes(agent).unsupported.map((u) => u.node)).toEqual(['Agent']);
    const { res } = await run({ type: 'jobsprint-nodes-base.chatCompletion', parameters: { model: 'm', prompt: 'x', jsonMode: true } }, [{ json: {} }], { credentials: creds('sk-test-ai-key') });
    expect(res.runData.N[0].data!.main[0]![0].json.text).toEqual({ answer: 42 });
    const bad = await run({ type: 'jobsprint-nodes-base.chatCompletion', parameters: { model: 'm', prompt: 'x' } }, [{ json: {} }], { credentials: creds('sk-wrong-key-123') });
    expect(bad.res.status).toBe('error');
    expect(JSON.stringify(bad.res)).not.toContain('sk-wrong-key-123');
  });
});
