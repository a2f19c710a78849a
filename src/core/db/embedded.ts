import type { Config } from '../config.js';
import { ServiceUnavailableError } from '../errors.js';
import type { Db } from './types.js';

/** The embedded PGlite backend (used when JOBSPRINT_DATABASE_URL is unset). */
export async function openEmbedded(_config: Config): Promise<Db> {
  throw new ServiceUnavailableError('PostgreSQL', 'no database configured', {
    hint: 'set JOBSPRINT_DATABASE_URL to a PostgreSQL URL',
  });
}
