import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { isSupportedNodeType, runWorkflow } from '../../../src/core/engine/index.js';

import { CORPUS_DIR } from '../../helpers/shared.js';
export const CORPUS = process.env.N8N_CORPUS_DIR ?? CORPUS_DIR;

export function listJson(dir: string): string[] {
  // A missing folder fails the suite (readdirSync throws) rather than leaving nothing to test.
  return readdirSync(path.join(CORPUS, dir)).filter((f) => f.endsWith('.json')).sort();
}

export function loadJson(dir: string, file: string): any {
  return JSON.parse(readFileSync(path.join(CORPUS, dir, file), 'utf8'));
}

/** Node types of enabled nodes that the engine lacks (sticky notes count as supported). */
export function missingTypes(wf: any): string[] {
  return [...new Set<string>((wf.nodes ?? []).filter((n: any) => !n.disabled && !isSupportedNodeType(n.type)).map((n: any) => n.type))];
}

export function pinJson(items: any[]): any[] {
  return items.map((i) => (i && typeof i === 'object' && 'json' in i ? i.json : i));
}

const FIXED_NOW = Date.parse('2024-01-15T12:00:00Z');

/** Runs an n8n-fixtures workflow with its pinData removed (optionally overriding settings). */
export async function runFixture(file: string, settingsOverride?: Record<string, unknown>) {
  const wf = loadJson('n8n-fixtures', file);
  const pin = wf.pinData ?? {};
  const def = { ...wf, pinData: undefined, settings: { ...(wf.settings ?? {}), ...(settingsOverride ?? {}) } };
  const res = await runWorkflow(def, { now: () => FIXED_NOW });
  return { wf, pin, res };
}
