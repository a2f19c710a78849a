/** runLocal: table / JSON output, exit codes, validation errors (exitCode 2); `jobsprint run --local` end to end. */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { runLocal } from '../../src/commands/run-local.js';
import { codeWorkflow } from './helpers/wf.js';
import { json, runCli } from '../helpers/cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'jobsprint-runlocal-'));
function file(name: string, content: unknown): string {
  const p = path.join(dir, name);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
}
function sink() {
  let text = '';
  const stdout = new Writable({ write(chunk, _enc, cb) { text += chunk.toString(); cb(); } });
  return { stdout, text: () => text };
}

describe('runLocal', () => {
  it('prints a tab-separated per-node table and exits 0', async () => {
    const s = sink();
    const code = await runLocal({ file: file('ok.json', codeWorkflow('return $input.all().map(i => ({ json: { v: i.json.v * 2 } }))')), input: '[{"v":1},{"v":2}]', json: false, stdout: s.stdout });
    expect(code).toBe(0);
    const lines = s.text().trim().split('\n').map((l) => l.split('\t'));
    expect(lines[0]).toEqual(['node', 'status', 'items', 'duration']);
    expect(lines[1].slice(0, 3)).toEqual(['Trigger', 'success', '2 → 2']);
    expect(lines[2].slice(0, 3)).toEqual(['Code', 'success', '2 → 2']);
    expect(lines[2][3]).toMatch(/^\d+ms$/);
  });

  it('prints {status, runData} shaped like n8n with --json; input from @file', async () => {
    const s = sink();
    const input = file('in.json', { v: 21 });
    const code = await runLocal({ file: file('ok2.json', codeWorkflow('return [{ json: { v: $input.first().json.v * 2 } }]')), input: `@${input}`, json: true, stdout: s.stdout });
    expect(code).toBe(0);
    const parsed = JSON.parse(s.text());
    expect(parsed.status).toBe('success');
    const task = parsed.runData.Code[0];
    expect(task.data.main[0]).toEqual([{ json: { v: 42 }, pairedItem: { item: 0 } }]);
    expect(task.source).toEqual([{ previousNode: 'Trigger' }]);
    expect(typeof task.startTime).toBe('number');
    expect(typeof task.executionTime).toBe('number');
    expect(task.executionStatus).toBe('success');
  });

  it('returns 1 when the execution fails', async () => {
    const s = sink();
    const code = await runLocal({ file: file('fail.json', codeWorkflow("throw new Error('nope')")), json: false, stdout: s.stdout });
    expect(code).toBe(1);
    expect(s.text()).toMatch(/Code\terror/);
    expect(s.text()).toMatch(/nope/);
  });

  it('throws exitCode 2 naming unsupported node types', async () => {
    const wf = codeWorkflow('return []');
    wf.nodes.push({ name: 'AI', type: '@n8n/n8n-nodes-langchain.agent', typeVersion: 1, parameters: {}, position: [0, 0] });
    await expect(runLocal({ file: file('bad.json', wf), json: false, stdout: sink().stdout })).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringContaining('@n8n/n8n-nodes-langchain.agent'),
    });
    await expect(runLocal({ file: file('broken.json', '{ not json'), json: false, stdout: sink().stdout })).rejects.toMatchObject({ exitCode: 2 });
    await expect(runLocal({ file: file('ok3.json', codeWorkflow('return []')), input: 'not json', json: false, stdout: sink().stdout })).rejects.toMatchObject({ exitCode: 2 });
  });

  it('applies pinData only with usePinData', async () => {
    const wf: any = codeWorkflow('return [{ json: { real: true } }]');
    wf.pinData = { Code: [{ json: { pinned: true } }] };
    const f = file('pin.json', wf);
    const a = sink();
    await runLocal({ file: f, json: true, stdout: a.stdout });
    expect(JSON.parse(a.text()).runData.Code[0].data.main[0][0].json).toEqual({ real: true });
    const b = sink();
    await runLocal({ file: f, json: true, usePinData: true, stdout: b.stdout });
    expect(JSON.parse(b.text()).runData.Code[0].data.main[0][0].json).toEqual({ pinned: true });
  });
});

/** The built binary (run `npx tsc -p tsconfig.build.json` first), as a user runs it: no database or broker. */
describe('jobsprint run <file> --local', () => {
  let server: Server;
  let url = '';
  const env = { PATH: process.env.PATH, HOME: mkdtempSync(path.join(tmpdir(), 'jobsprint-home-')), NO_COLOR: '1' };
  beforeAll(async () => {
    server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"pong":true}'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ping`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });
  const httpWf = () =>
    file('http.json', {
      nodes: [
        { name: 'T', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, parameters: {}, position: [0, 0] },
        { name: 'HTTP', type: 'n8n-nodes-base.httpRequest', typeVersion: 4.2, parameters: { url, options: {} }, position: [200, 0] },
      ],
      connections: { T: { main: [[{ node: 'HTTP', type: 'main', index: 0 }]] } },
    });

  it('runs the file with --input and prints one JSON document with --json', async () => {
    const f = file('cli-ok.json', codeWorkflow('return [{ json: { v: $input.first().json.v * 2 } }]'));
    const r = await runCli(['run', f, '--local', '--json', '--input', '{"v":21}'], { env });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(json(r).runData.Code[0].data.main[0]).toEqual([{ json: { v: 42 }, pairedItem: { item: 0 } }]);
  });

  it('applies JOBSPRINT_HTTP_DENY_NETWORKS to outbound requests', async () => {
    const f = httpWf();
    const open = await runCli(['run', f, '--local', '--json'], { env });
    expect(open.code, open.stderr).toBe(0);
    expect(json(open).runData.HTTP[0].data.main[0][0].json).toEqual({ pong: true });

    const denied = await runCli(['run', f, '--local', '--json'], { env: { ...env, JOBSPRINT_HTTP_DENY_NETWORKS: '127.0.0.0/8' } });
    expect(denied.code).toBe(1);
    expect(json(denied).error.message).toMatch(/127\.0\.0\.1 was blocked/);
  });

  it('exits 2 for a bad deny-list entry or a flag that only queued runs take', async () => {
    const f = file('cli-ok2.json', codeWorkflow('return []'));
    const bad = await runCli(['run', f, '--local'], { env: { ...env, JOBSPRINT_HTTP_DENY_NETWORKS: '10.0.0.0/99' } });
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/^error: Invalid entry "10\.0\.0\.0\/99" in http_deny_networks/);
    const count = await runCli(['run', f, '--local', '--count', '2'], { env });
    expect(count.code).toBe(2);
    expect(count.stderr).toMatch(/--count/);
  });
});
