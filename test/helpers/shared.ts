import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The team's read-only shared/ folder (seed schema, n8n corpus). CI clones the repository with
 * a copy of shared/ beside it, so it is found relative to the checkout; JOBSPRINT_SHARED_DIR
 * overrides, and the development machine's /work/shared is the last resort.
 */
export const SHARED_DIR: string = (() => {
  const candidates = [process.env.JOBSPRINT_SHARED_DIR, fileURLToPath(new URL('../../../shared', import.meta.url)), '/work/shared'];
  for (const c of candidates) if (c && existsSync(`${c}/n8n-corpus`)) return c;
  throw new Error('shared/ not found beside the checkout (set JOBSPRINT_SHARED_DIR)');
})();

export const CORPUS_DIR = `${SHARED_DIR}/n8n-corpus`;
