/**
 * n8n 1.123's real output for public workflows (golden/public): every node's runs, outputs
 * and items must match exactly (json and pairedItem); clock-derived values are compared by key only.
 */
import { describe, it, expect } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { runWorkflow } from '../../src/core/engine/index.js';
import { CORPUS, listJson, loadJson, missingTypes } from './helpers/corpus.js';

const files = listJson('golden/public');

/** Nodes whose values come from the clock (see golden/public/manifest.tsv). */
function clockNodes(file: string): Set<string> {
  const manifest = path.join(CORPUS, 'golden/public/manifest.tsv');
  if (!existsSync(manifest)) return new Set();
  const row = readFileSync(manifest, 'utf8').split('\n').find((l) => l.startsWith(file + '\t'));
  if (!row || !row.includes('$now')) return new Set();
  const wf = loadJson('public', file);
  // every node after the trigger in 0226 derives from $now/$today
  return new Set(wf.nodes.filter((n: any) => !/Trigger$|\.start$/.test(n.type)).map((n: any) => n.name));
}

function shape(json: unknown): unknown {
  if (json && typeof json === 'object' && !Array.isArray(json)) return Object.keys(json).sort();
  return typeof json;
}

describe('golden outputs of n8n 1.123', () => {
  it('has golden files', () => expect(files.length).toBeGreaterThan(0));
  for (const file of files) {
    const wf = loadJson('public', file);
    const missing = missingTypes(wf);
    if (missing.length) {
      it.skip(`${file} — missing node types: ${missing.join(', ')}`, () => {});
      continue;
    }
    it(file, async () => {
      const golden = loadJson('golden/public', file).data.resultData.runData;
      const res = await runWorkflow({ ...wf, pinData: undefined }, { executionId: 'golden' });
      expect(res.status, res.error?.message).toBe('success');
      const clock = clockNodes(file);
      expect(Object.keys(res.runData).sort()).toEqual(Object.keys(golden).sort());
      for (const [node, runs] of Object.entries<any[]>(golden)) {
        const mine = res.runData[node];
        const project = (rs: any[]) =>
          rs.map((r) =>
            (r.data?.main ?? []).map((out: any[] | null) =>
              (out ?? []).map((i: any) => ({ json: clock.has(node) ? shape(i.json) : i.json, pairedItem: i.pairedItem })),
            ),
          );
        expect(project(mine), `node "${node}"`).toEqual(project(runs));
      }
    });
  }
});
