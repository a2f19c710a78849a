import type { TestProject } from 'vitest/node';
import { adminUrl, dbUrl } from './urls.js';

/**
 * Migrate one template database per test run; every test file then clones it
 * (CREATE DATABASE … TEMPLATE), which takes milliseconds instead of a migration per file.
 */
export default async function setup(project: TestProject) {
  const { default: pg } = await import('pg');
  const { runMigrations } = await import('../../src/core/db/migrate.js');
  const template = `jobsprint_tpl_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${template}`);
  await runMigrations({ url: dbUrl(template), direction: 'up' });
  await admin.query(`ALTER DATABASE ${template} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`);
  await admin.end();
  project.provide('templateDb', template);

  return async () => {
    const c = new pg.Client({ connectionString: adminUrl() });
    await c.connect();
    await c.query(`ALTER DATABASE ${template} WITH IS_TEMPLATE false`);
    await c.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
    await c.end();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    templateDb: string;
  }
}
