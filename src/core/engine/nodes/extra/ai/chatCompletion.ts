import type { IDataObject, NodeType } from '../../../types.js';
import { nodeError, perItem } from '../util.js';
import { redact, collectSecrets } from '../httpRequest/transport.js';

export const CHAT_COMPLETION_TYPE = 'jobsprint-nodes-base.chatCompletion';

interface Message {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/**
 * Chat completion against any OpenAI-compatible endpoint. Credential `openAiApi`
 * ({apiKey, url?}); the node's baseUrl parameter overrides the credential's URL.
 * Output: {text} plus the raw choice/usage, like n8n's basic LLM chain ({text}).
 */
export const chatCompletionNode: NodeType = {
  type: CHAT_COMPLETION_TYPE,
  versions: [1],
  async execute(ctx) {
    const items = ctx.getInputData();
    const creds = await ctx.getCredentials('openAiApi');
    const secrets = collectSecrets(creds);
    const out = await perItem(ctx, items, async (_item, i) => {
      const baseUrl = String(ctx.getNodeParameter('baseUrl', i, '') || creds.url || creds.baseUrl || 'https://api.openai.com/v1').replace(/\/+$/, '');
      const model = String(ctx.getNodeParameter('model', i, 'gpt-4o-mini'));
      const messages: Message[] = [];
      const system = ctx.getNodeParameter('systemMessage', i, '') as string;
      if (system) messages.push({ role: 'system', content: system });
      for (const m of (ctx.getNodeParameter('messages.values', i, []) ?? []) as Message[]) {
        if (m?.content !== undefined && m.content !== '') messages.push({ role: m.role ?? 'user', content: String(m.content) });
      }
      const prompt = ctx.getNodeParameter('prompt', i, '') as string;
      if (prompt) messages.push({ role: 'user', content: String(prompt) });
      if (!messages.length) throw nodeError(ctx.node, 'No prompt or messages given', { itemIndex: i, description: 'Set "Prompt" or add at least one message' });
      const body: IDataObject = { model, messages };
      const temperature = ctx.getNodeParameter('temperature', i, undefined);
      if (temperature !== undefined && temperature !== '') body.temperature = Number(temperature);
      const maxTokens = ctx.getNodeParameter('maxTokens', i, undefined);
      if (maxTokens !== undefined && maxTokens !== '' && Number(maxTokens) > 0) body.max_tokens = Number(maxTokens);
      const jsonMode = ctx.getNodeParameter('jsonMode', i, false) === true;
      if (jsonMode) body.response_format = { type: 'json_object' };
      const headers: Record<string, string> = { 'content-type': 'application/json', authorization: `Bearer ${creds.apiKey ?? ''}` };
      if (creds.organizationId) headers['OpenAI-Organization'] = String(creds.organizationId);
      let res: any;
      try {
        res = await ctx.helpers.httpRequest({
          url: `${baseUrl}/chat/completions`, method: 'POST', headers, body, json: true, encoding: 'json', returnFullResponse: true, ignoreHttpStatusErrors: true,
          timeout: Number(ctx.getNodeParameter('timeout', i, 120_000)),
        });
      } catch (err) {
        if (ctx.signal.aborted) throw err;
        throw nodeError(ctx.node, redact(`The chat completion request failed: ${(err as Error).message}`, secrets), { itemIndex: i });
      }
      if (res.statusCode >= 400) {
        const detail = typeof res.body === 'string' ? res.body : JSON.stringify(res.body);
        throw nodeError(ctx.node, `The model endpoint answered HTTP ${res.statusCode}`, { itemIndex: i, description: redact(detail.slice(0, 1000), secrets) });
      }
      const choice = res.body?.choices?.[0];
      const content: string = choice?.message?.content ?? '';
      let text: unknown = content;
      if (jsonMode) {
        try {
          text = JSON.parse(content);
        } catch {
          text = content;
        }
      }
      return { json: { text: text as any, finishReason: choice?.finish_reason, usage: res.body?.usage, model: res.body?.model }, pairedItem: { item: i } };
    });
    return [out];
  },
};
