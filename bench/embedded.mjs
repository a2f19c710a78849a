#!/usr/bin/env node
// Embedded mode timings (run by hand after `npm run build`; prints one JSON document).
// Each step runs in a fresh process, as a user's commands do; wall and CPU time are reported
// because on a loaded machine wall time says little.
//   node bench/embedded.mjs            (default 1 round)
//   node bench/embedded.mjs --rounds 3
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../bin/jobsprint', import.meta.url));
const DIST = new URL('../dist/', import.meta.url).href;
const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1]) || 1;

function envFor(home) {
  return { PATH: process.env.PATH, HOME: home, XDG_DATA_HOME: join(home, 'data'), XDG_CONFIG_HOME: join(home, 'config'), NO_COLOR: '1', JOBSPRINT_KEYRING: 'file' };
}

/** Run node with args; returns wall ms and CPU ms of the child. */
function measure(args, env, input) {
  const t = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S', process.execPath, ...args], { env, input, encoding: 'utf8' });
  const wall = Number(process.hrtime.bigint() - t) / 1e6;
  const [u, s] = r.stderr.trim().split('\n').at(-1).split(' ').map(Number);
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return { wall_ms: Math.round(wall), cpu_ms: Math.round((u + s) * 1000) };
}

const openScript = (template) => `
  const { Config } = await import('${DIST}core/config.js');
  const { openEmbedded } = await import('${DIST}core/db/embedded.js');
  const db = await openEmbedded(new Config(process.env), { useTemplate: ${template} });
  await db.close();`;

const results = [];
for (let i = 0; i < rounds; i++) {
  const homes = [mkdtempSync(join(tmpdir(), 'jobsprint-bench-')), mkdtempSync(join(tmpdir(), 'jobsprint-bench-')), mkdtempSync(join(tmpdir(), 'jobsprint-bench-'))];
  try {
    const row = {};
    row.first_open_initdb = measure(['--input-type=module', '-e', openScript(false)], envFor(homes[0]));
    row.first_open_template = measure(['--input-type=module', '-e', openScript(true)], envFor(homes[1]));
    row.reopen = measure(['--input-type=module', '-e', openScript(true)], envFor(homes[1]));
    const qs = [BIN, 'quickstart', '--email', 'bench@example.com', '--password-stdin'];
    row.quickstart_first = measure(qs, envFor(homes[2]), 'correct horse battery staple');
    row.quickstart_second = measure(qs, envFor(homes[2]), 'correct horse battery staple');
    row.workflows_list = measure([BIN, 'workflows', 'list'], envFor(homes[2]));
    results.push(row);
  } finally {
    for (const h of homes) rmSync(h, { recursive: true, force: true });
  }
}
process.stdout.write(JSON.stringify({ bench: 'embedded', rounds: results, loadavg: (await import('node:os')).loadavg() }, null, 2) + '\n');
