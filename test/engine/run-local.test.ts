/** runLocal: table / JSON output, exit codes, validation errors (exitCode 2). */
import { describe, it, expect } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { runLocal } from '../../src/commands/run-local.js';
import { codeWorkflow } from './helpers/wf.js';

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
