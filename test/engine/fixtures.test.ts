/**
 * n8n's own node test workflows: run with pinData removed and compare every pinned
 * node's output with its pinData (as n8n's testWorkflows helper does: all runs, output 0).
 */
import { describe, it, expect } from 'vitest';
import { listJson, loadJson, missingTypes, pinJson, runFixture } from './helpers/corpus.js';

const DIR = 'n8n-fixtures';
const files = listJson(DIR);
describe('n8n node fixtures (pinData = expected output)', () => {
  it('finds the fixture corpus', () => {
    expect(files.length).toBeGreaterThan(30);
  });
  for (const file of files) {
    const wf = loadJson(DIR, file);
    const pinned = Object.keys(wf.pinData ?? {});
    const missing = missingTypes(wf);
    if (missing.length) {
      it.skip(`${file} — missing node types: ${missing.join(', ')}`, () => {});
      continue;
    }
    if (!pinned.length) {
      it(`${file} runs without error (no pinData to compare)`, async () => {
        const { res } = await runFixture(file);
        expect(res.error?.message ?? null).toBeNull();
      });
      continue;
    }
    it(file, async () => {
      const { pin, res } = await runFixture(file);
      for (const node of pinned) {
        const runs = res.runData[node];
        const actual = (runs ?? []).map((r) => (r.data?.main?.[0] ?? []).map((i) => i.json));
        expect({ node, runs: actual }, `node "${node}" (execution error: ${res.error?.message ?? 'none'})`).toEqual({ node, runs: [pinJson(pin[node])] });
        const withPaired = pin[node].filter((i: any) => i && typeof i === 'object' && 'pairedItem' in i);
        if (withPaired.length === pin[node].length && withPaired.length) {
          const paired = (runs?.[0]?.data?.main?.[0] ?? []).map((i) => i.pairedItem);
          expect(paired, `pairedItem of "${node}"`).toEqual(pin[node].map((i: any) => i.pairedItem));
        }
      }
    });
  }
});
