import { describe, expect, it } from 'vitest';
import { runWorkflow } from '../../src/core/engine/index.js';
import type { IDataObject } from '../../src/core/engine/types.js';
import { fixture } from './helpers.js';

/** n8n's own node tests: pinData holds the expected output; run without it and compare. */
const FIXTURES = [
  'Aggregate__workflow.aggregate.json',
  'SplitOut__workflow.splitOut.json',
  'Summarize__workflow.summarize.json',
  'Sort__workflow.sort.json',
  'Limit__workflow.limit.json',
  'RemoveDuplicates__workflow.removeDuplicates.json',
];

describe('n8n fixtures for transformation nodes', () => {
  for (const name of FIXTURES) {
    it(name, async () => {
      const wf = fixture(name);
      const expected = wf.pinData ?? {};
      delete wf.pinData;
      const result = await runWorkflow(wf);
      expect(result.error).toBeUndefined();
      expect(result.status).toBe('success');
      for (const [node, items] of Object.entries(expected)) {
        const runs = result.runData[node];
        expect(runs, `node ${node} ran`).toBeDefined();
        const actual = (runs[runs.length - 1].data?.main[0] ?? []).map((i) => i.json);
        expect(actual, node).toEqual(items.map((i) => ((i as IDataObject).json ?? i)));
      }
    });
  }
});
