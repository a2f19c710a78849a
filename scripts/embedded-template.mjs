#!/usr/bin/env node
// Build step: a freshly initialised PGlite data directory, packed, so the embedded database's
// first open loads it instead of running initdb (the slowest part of a first `quickstart`).
// It holds no Jobsprint schema: migrations still run on first open. Skipped when the template
// already matches the installed PGlite version.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const out = new URL('../dist/pglite-template.tar.gz', import.meta.url);
const stamp = new URL('../dist/pglite-template.version', import.meta.url);
const require = createRequire(import.meta.url);
const version = JSON.parse(readFileSync(join(dirname(require.resolve('@electric-sql/pglite')), '..', 'package.json'), 'utf8')).version;

if (existsSync(out) && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === version) process.exit(0);
const { PGlite } = await import('@electric-sql/pglite');
const started = Date.now();
const db = await PGlite.create();
const blob = await db.dumpDataDir('gzip');
await db.close();
mkdirSync(new URL('../dist/', import.meta.url), { recursive: true });
writeFileSync(out, Buffer.from(await blob.arrayBuffer()));
writeFileSync(stamp, version + '\n');
process.stderr.write(`embedded database template for PGlite ${version} written in ${Date.now() - started} ms\n`);
