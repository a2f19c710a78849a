import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_DATA_HOME: join(home, '.local', 'share'),
    LANG: 'C.UTF-8',
    NO_COLOR: '1',
    JOBSPRINT_KEYRING: 'file',
  };
  return { home, env, cleanup: () => rmSync(home, { recursive: true, force: true }) };
}
