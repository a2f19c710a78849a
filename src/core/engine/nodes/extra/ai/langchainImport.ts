/**
 * Import-time mapping of n8n's most common LangChain pattern — a Basic LLM Chain
 * (chainLlm) fed by an OpenAI chat model (lmChatOpenAi) — to the Jobsprint chat
 * completion node. Anything else from the LangChain package is reported as unsupported.
 */
import type { IConnection, IDataObject, INode, WorkflowDefinition } from '../../../types.js';
import { CHAT_COMPLETION_TYPE } from './chatCompletion.js';

const LC = '@n8n/n8n-nodes-langchain.';
const CHAIN = `${LC}chainLlm`;
const OPENAI_MODEL = `${LC}lmChatOpenAi`;

export interface LangChainMapping {
  workflow: WorkflowDefinition;
  mapped: string[];
  unsupported: Array<{ node: string; type: string; reason: string }>;
}

function modelName(p: IDataObject): string {
  const m = p.model as unknown;
  if (m && typeof m === 'object') return String((m as IDataObject).value ?? 'gpt-4o-mini');
  return String(m ?? 'gpt-4o-mini');
}

/** Nodes that feed `target` through a given ai_* connection type. */
function aiSources(wf: WorkflowDefinition, target: string, type: string): string[] {
  const out: string[] = [];
  for (const [src, types] of Object.entries(wf.connections ?? {})) {
    for (const targets of (types as Record<string, Array<IConnection[] | null>>)[type] ?? []) {
      if ((targets ?? []).some((c) => c?.node === target)) out.push(src);
    }
  }
  return out;
}

export function mapLangChainNodes(input: WorkflowDefinition): LangChainMapping {
  const wf: WorkflowDefinition = structuredClone(input);
  const mapped: string[] = [];
  const unsupported: LangChainMapping['unsupported'] = [];
  const remove = new Set<string>();

  for (const node of wf.nodes) {
    if (node.type !== CHAIN || node.disabled) continue;
    const models = aiSources(wf, node.name, 'ai_languageModel');
    const model = wf.nodes.find((n) => n.name === models[0]);
    const p = node.parameters ?? {};
    const reason =
      models.length !== 1 ? 'needs exactly one chat model' :
      model?.type !== OPENAI_MODEL ? `chat model "${model?.type}" is not supported (only OpenAI-compatible lmChatOpenAi)` :
      p.hasOutputParser ? 'output parsers are not supported' :
      aiSources(wf, node.name, 'ai_outputParser').length ? 'output parsers are not supported' : '';
    if (reason) {
      unsupported.push({ node: node.name, type: node.type, reason });
      continue;
    }
    const mp = (model!.parameters ?? {}) as IDataObject;
    const mo = (mp.options ?? {}) as IDataObject;
    const messages = (((p.messages as IDataObject)?.messageValues ?? []) as IDataObject[]).map((m) => ({
      role: m.type === 'AIMessagePromptTemplate' ? 'assistant' : m.type === 'HumanMessagePromptTemplate' ? 'user' : 'system',
      content: m.message ?? '',
    }));
    const prompt = p.promptType === 'define' || (p.text !== undefined && p.promptType !== 'auto') ? p.text : '={{ $json.chatInput }}';
    const replacement: INode = {
      id: node.id,
      name: node.name,
      type: CHAT_COMPLETION_TYPE,
      typeVersion: 1,
      position: node.position,
      parameters: {
        model: modelName(mp),
        prompt: prompt ?? '',
        messages: { values: messages },
        ...(mo.temperature !== undefined ? { temperature: mo.temperature } : {}),
        ...(mo.maxTokens !== undefined ? { maxTokens: mo.maxTokens } : {}),
        ...(mo.baseURL ? { baseUrl: mo.baseURL } : {}),
        ...(mo.responseFormat === 'json_object' ? { jsonMode: true } : {}),
        ...(mo.timeout ? { timeout: mo.timeout } : {}),
      },
      credentials: model!.credentials?.openAiApi ? { openAiApi: model!.credentials.openAiApi } : undefined,
    };
    for (const k of ['retryOnFail', 'maxTries', 'waitBetweenTries', 'onError', 'continueOnFail', 'alwaysOutputData', 'executeOnce', 'notes'] as const) {
      if (node[k] !== undefined) (replacement as any)[k] = node[k];
    }
    Object.assign(node, replacement);
    for (const k of Object.keys(node)) if (!(k in replacement)) delete (node as any)[k];
    remove.add(model!.name);
    mapped.push(node.name);
  }

  // A model node still used by an unmapped chain stays (and stays unsupported).
  for (const u of unsupported) for (const m of aiSources(wf, u.node, 'ai_languageModel')) remove.delete(m);
  wf.nodes = wf.nodes.filter((n) => !remove.has(n.name));
  for (const name of remove) delete wf.connections[name];
  for (const n of wf.nodes) {
    if (n.type.startsWith(LC) && !remove.has(n.name) && !unsupported.some((u) => u.node === n.name)) {
      unsupported.push({ node: n.name, type: n.type, reason: 'LangChain nodes other than a basic LLM chain on an OpenAI-compatible model are not supported' });
    }
  }
  return { workflow: wf, mapped, unsupported };
}
