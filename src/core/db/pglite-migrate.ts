import type pg from 'pg';
import type { Config } from '../config.js';
import { applyMigrations, dropEmptyMigrationsTable, migrationFailed, readMigrationStatus, type MigratePlan, type MigrationFile, type MigrationStatus } from './migrate.js';

/**
 * Migrations for the embedded database. PGlite speaks the PostgreSQL protocol to a pg.Client
 * (see embedded.ts), so node-pg-migrate itself runs here, over that client: the same files, the
 * same `-- Up Migration` / `-- Down Migration` parsing, the same `jobsprint_migrations` rows
 * (id, name, run_on). `db status` reads one table layout whichever backend it looks at.
 * The caller holds the data-directory lock, so no other process can migrate concurrently.
 */
export type EmbeddedMigrateOptions = MigratePlan;

export async function runEmbeddedMigrations(client: pg.ClientBase, opts: EmbeddedMigrateOptions): Promise<MigrationFile[]> {
  try {
    // One process owns the data directory (the lock file); an advisory lock adds nothing.
    const ran = await applyMigrations({ dbClient: client }, opts, { lock: false });
    await dropEmptyMigrationsTable(client, opts);
    return ran;
  } catch (err) {
    throw migrationFailed(err);
  }
}

export function embeddedMigrationStatus(client: pg.ClientBase, dir?: string): Promise<MigrationStatus[]> {
  return readMigrationStatus(client, dir);
}

/**
 * Bring the embedded database up to date on open. Checking the table first keeps the common
 * case (nothing to do) to one query instead of a full node-pg-migrate run.
 */
export async function autoMigrate(client: pg.ClientBase, dir?: string): Promise<MigrationFile[]> {
  const status = await embeddedMigrationStatus(client, dir);
  if (status.every((s) => s.applied)) return [];
  return runEmbeddedMigrations(client, { direction: 'up', dir });
}

/** `db migrate` / `db rollback` on the embedded database (opened without auto-migrating). */
export async function migrateEmbedded(config: Config, opts: EmbeddedMigrateOptions): Promise<MigrationFile[]> {
  const { openEmbedded } = await import('./embedded.js');
  const db = await openEmbedded(config, { migrate: false });
  try {
    return await db.withClient((client) => runEmbeddedMigrations(client, opts));
  } finally {
    await db.close();
  }
}

/** `db status` on the embedded database. */
export async function embeddedStatus(config: Config): Promise<MigrationStatus[]> {
  const { openEmbedded } = await import('./embedded.js');
  const db = await openEmbedded(config, { migrate: false });
  try {
    return await db.withClient((client) => embeddedMigrationStatus(client));
  } finally {
    await db.close();
  }
}
