import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { ActingAs } from '../../src/core/actor.js';
import type { Core } from '../../src/core/context.js';
import { importWorkflows } from '../../src/core/workflows/import.js';
import { exportWorkflow } from '../../src/core/workflows/browse.js';
import { readWorkflowSources } from '../../src/core/workflows/sources.js';
import { createTestEnv, type TestEnv } from '../helpers/env.js';
import { CORPUS, corpusFiles, createTenant, testCore } from './helpers.js';

let t: TestEnv;
let core: Core;
let ada: ActingAs;
beforeAll(async () => {
  t = await createTestEnv({ amqp: false });
  core = testCore(t);
  ada = await createTenant(t, 'ada');
});
afterAll(async () => {
  await core?.close();
  await t?.cleanup();
});

function allJsonFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return allJsonFiles(p);
    return p.endsWith('.json') ? [p] : [];
  });
}

describe('the shared n8n corpus', () => {
  it('holds workflows (public/, n8n-fixtures/) and n8n run outputs (golden/), nothing else as JSON', () => {
    const workflows = new Set(corpusFiles());
    expect(workflows.size).toBeGreaterThanOrEqual(60);
    for (const f of allJsonFiles(CORPUS)) {
      const doc = JSON.parse(readFileSync(f, 'utf8'));
      if (workflows.has(f)) expect(Array.isArray(doc.nodes), relative(CORPUS, f)).toBe(true);
      else expect(doc.data?.resultData?.runData, `${relative(CORPUS, f)} should be a run output`).toBeTruthy();
    }
  });

  it.each(corpusFiles().map((f) => [relative(CORPUS, f), f]))('%s imports, exports and round-trips deep-equal', async (_label, file) => {
    const original = JSON.parse(readFileSync(file, 'utf8'));
    const result = await importWorkflows(core, ada, await readWorkflowSources([file]));
    expect(result.failed).toEqual([]);
    expect(result.imported).toHaveLength(1);
    const imported = result.imported[0]!;
    expect(imported.node_count).toBe(original.nodes.length);

    const exported = await exportWorkflow(core, ada, imported.id);
    expect(exported.definition).toStrictEqual(original);
    // What a user re-imports is the JSON text, so compare after serialising too.
    expect(JSON.parse(JSON.stringify(exported.definition))).toStrictEqual(original);

    const nodes = await t.pool.query('SELECT node_id, node_name, node_type, position FROM workflow_nodes WHERE workflow_id = $1 ORDER BY position', [imported.id]);
    expect(nodes.rows).toEqual(
      original.nodes.map((n: any, i: number) => ({ node_id: n.id || n.name, node_name: n.name, node_type: n.type, position: i })),
    );
  });

  it('rejects a run output with the JSON path of the missing nodes', async () => {
    const golden = allJsonFiles(join(CORPUS, 'golden'))[0]!;
    await expect(importWorkflows(core, ada, await readWorkflowSources([golden]))).rejects.toThrow(/: nodes: missing/);
  });
});
