import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { homeEnv } from '../helpers/env.js';

/**
 * A temporary HOME with no Jobsprint settings at all: the embedded database, the in-process
 * queue and bus. Nothing of the developer's environment leaks in.
 */
export interface EmbeddedEnv {
  home: string;
  env: NodeJS.ProcessEnv;
  cleanup(): void;
}

export function createEmbeddedEnv(): EmbeddedEnv {
  const home = mkdtempSync(join(tmpdir(), 'jobsprint-embedded-'));
  const env = homeEnv(home);
  return { home, env, cleanup: () => rmSync(home, { recursive: true, force: true }) };
}
