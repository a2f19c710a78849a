#!/usr/bin/env node
// Startup time of the CLI against bare node: median wall time of N runs each, JSON on stdout.
// Target (issue: Foundation): `jobsprint --version` / `node -e 0` <= 1.5.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const runs = Number(process.env.BENCH_RUNS ?? (process.argv.includes('--quick') ? 5 : 20));
const bin = fileURLToPath(new URL('../bin/jobsprint', import.meta.url));
const cases = {
  node: [process.execPath, ['-e', '0']],
  version: [process.execPath, [bin, '--version']],
  help: [process.execPath, [bin, '--help']],
};

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const results = {};
for (const [name, [cmd, args]] of Object.entries(cases)) {
  spawnSync(cmd, args); // warm the file cache
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { env: { ...process.env, NO_COLOR: '1' } });
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (r.status !== 0) throw new Error(`${name} exited ${r.status}: ${r.stderr}`);
  }
  results[name] = { median_ms: +median(times).toFixed(1), min_ms: +Math.min(...times).toFixed(1) };
}
const ratio = +(results.version.median_ms / results.node.median_ms).toFixed(2);
console.log(
  JSON.stringify(
    {
      bench: 'startup',
      runs,
      node_e_0: results.node,
      jobsprint_version: results.version,
      jobsprint_help: results.help,
      ratio_version_to_node: ratio,
      ratio_help_to_node: +(results.help.median_ms / results.node.median_ms).toFixed(2),
      target_ratio: 1.5,
      meets_target: ratio <= 1.5,
    },
    null,
    2,
  ),
);
