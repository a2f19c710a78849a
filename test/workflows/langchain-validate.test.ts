import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestEnv, type TestEnv } from '../helpers/env.js';
import { runCli } from '../helpers/cli.js';

/** n8n's most common AI pattern: a Basic LLM Chain fed by an OpenAI chat model, plus an agent we cannot run. */
function aiWorkflow(withAgent: boolean) {
  const nodes: any[] = [
    { id: '1', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
    { id: '2', name: 'Chain', type: '@n8n/n8n-nodes-langchain.chainLlm', typeVersion: 1.5, position: [200, 0], parameters: { promptType: 'define', text: '=Say hi to {{ $json.name }}' } },
    {
      id: '3',
      name: 'Model',
      type: '@n8n/n8n-nodes-langchain.lmChatOpenAi',
      typeVersion: 1,
      position: [200, 200],
      parameters: { model: 'gpt-4o-mini', options: {} },
      credentials: { openAiApi: { id: 'x', name: 'OpenAI' } },
    },
  ];
  const connections: any = {
    Start: { main: [[{ node: 'Chain', type: 'main', index: 0 }]] },
    Model: { ai_languageModel: [[{ node: 'Chain', type: 'ai_languageModel', index: 0 }]] },
  };
  if (withAgent) {
    nodes.push({ id: '4', name: 'Agent', type: '@n8n/n8n-nodes-langchain.agent', typeVersion: 1.7, position: [400, 0], parameters: {} });
    connections.Chain = { main: [[{ node: 'Agent', type: 'main', index: 0 }]] };
  }
  return { name: 'AI', nodes, connections };
}

let t: TestEnv;
beforeAll(async () => {
  t = await createTestEnv({ redis: false, amqp: false });
});
afterAll(async () => {
  await t?.cleanup();
});

describe('workflows validate with LangChain nodes', () => {
  it('accepts the chain + OpenAI chat model pattern that the engine maps to its chat node', async () => {
    const f = join(t.home, 'chain.json');
    writeFileSync(f, JSON.stringify(aiWorkflow(false)));
    const r = await runCli(['workflows', 'validate', f, '--json'], { env: t.env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toMatch(/not supported/);
  });

  it('names each LangChain node it cannot run, with the reason', async () => {
    const f = join(t.home, 'agent.json');
    writeFileSync(f, JSON.stringify(aiWorkflow(true)));
    const r = await runCli(['workflows', 'validate', f], { env: t.env });
    expect(r.code, r.stderr).toBe(0); // warnings, not errors: the workflow still imports
    const text = r.stdout + r.stderr;
    expect(text).toMatch(/Agent.*@n8n\/n8n-nodes-langchain\.agent.*not supported/);
    expect(text).not.toMatch(/"Chain".*not supported/);
  });
});
