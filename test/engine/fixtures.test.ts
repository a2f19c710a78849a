/**
 * n8n's own node test workflows (every file of the n8n-fixtures corpus, each run once): run
 * with pinData removed; the run must succeed, and every pinned node's output must equal its
 * pinData (as n8n's testWorkflows helper does: all runs, output 0), pairedItem included when
 * the pinData records it.
 */
import { describe, it, expect } from 'vitest';
import { listJson, loadJson, missingTypes, pinJson, runFixture } from './helpers/corpus.js';

const DIR = 'n8n-fixtures';
const files = listJson(DIR);

/** Fixtures of the transformation nodes: these must be in the corpus and runnable, never skipped. */
const REQUIRED = [
  'Aggregate__workflow.aggregate.json',
  'SplitOut__workflow.splitOut.json',
  'Summarize__workflow.summarize.json',
  'Sort__workflow.sort.json',
  'Limit__workflow.limit.json',
  'RemoveDuplicates__workflow.removeDuplicates.json',
];

describe('n8n node fixtures (pinData = expected output)', () => {
  it('finds the fixture corpus, with the transformation nodes’ fixtures runnable', () => {
    expect(files.length).toBeGreaterThan(30);
    for (const file of REQUIRED) {
      expect(files, file).toContain(file);
      expect(missingTypes(loadJson(DIR, file)), file).toEqual([]);
    }
  });
  for (const file of files) {
    const wf = loadJson(DIR, file);
    const pinned = Object.keys(wf.pinData ?? {});
    const missing = missingTypes(wf);
    if (missing.length) {
      it.skip(`${file} — missing node types: ${missing.join(', ')}`, () => {});
      continue;
    }
    it(pinned.length ? file : `${file} runs without error (no pinData to compare)`, async () => {
      const { pin, res } = await runFixture(file);
      expect(res.error?.message ?? null).toBeNull();
      expect(res.status).toBe('success');
      for (const node of pinned) {
        const runs = res.runData[node];
        const actual = (runs ?? []).map((r) => (r.data?.main?.[0] ?? []).map((i) => i.json));
        expect({ node, runs: actual }, `node "${node}"`).toEqual({ node, runs: [pinJson(pin[node])] });
        const withPaired = pin[node].filter((i: any) => i && typeof i === 'object' && 'pairedItem' in i);
        if (withPaired.length === pin[node].length && withPaired.length) {
          const paired = (runs?.[0]?.data?.main?.[0] ?? []).map((i) => i.pairedItem);
          expect(paired, `pairedItem of "${node}"`).toEqual(pin[node].map((i: any) => i.pairedItem));
        }
      }
    });
  }
});
