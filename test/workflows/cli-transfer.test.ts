import { describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { runCli, json } from '../helpers/cli.js';
import type { LoggedInUser } from '../helpers/users.js';
import { CORPUS, cliFlow, corpusFiles, expectOneLineError, workflowsCliSuite } from './helpers.js';

const suite = workflowsCliSuite('ada');
const { cli, write } = suite;

async function count(user: LoggedInUser): Promise<number> {
  const r = await suite.t.pool.query('SELECT count(*)::int AS n FROM workflows WHERE user_id = $1', [user.userId]);
  return r.rows[0].n;
}

describe('import and export through the binary', () => {
  it('imports the whole corpus from two directories and exports it back deep-equal', async () => {
    const r = await cli(suite.ada, ['workflows', 'import', join(CORPUS, 'public'), join(CORPUS, 'n8n-fixtures'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const result = json(r);
    const files = corpusFiles();
    expect(result.imported).toHaveLength(files.length);
    expect(result.failed).toEqual([]);

    const out = join(suite.t.home, 'export-all');
    const e = await cli(suite.ada, ['workflows', 'export', '--all', '--out', out, '--json']);
    expect(e.code, e.stderr).toBe(0);
    expect(json(e)).toHaveLength(files.length);
    for (const w of result.imported) {
      const exported = JSON.parse(readFileSync(join(out, `${w.id}.json`), 'utf8'));
      expect(exported, w.source).toStrictEqual(JSON.parse(readFileSync(w.source, 'utf8')));
    }
    // Workflows without a name in the file are named after it.
    const unnamed = result.imported.find((w: any) => basename(w.source) === 'zie619__0009_Process.json');
    expect(unnamed.name).toBe('zie619__0009_Process');
    await suite.t.pool.query('DELETE FROM workflows WHERE user_id = $1', [suite.ada.userId]);
  });

  it('imports an array file and stdin, exports one workflow to a file and to stdout', async () => {
    const arr = write('two.json', [cliFlow('First of two'), cliFlow('Second of two')]);
    let r = await cli(suite.ada, ['workflows', 'import', arr, '--activate', '--tag', 'batch', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(json(r).imported.map((w: any) => [w.name, w.is_active, w.source])).toEqual([
      ['First of two', true, `${arr}[0]`],
      ['Second of two', true, `${arr}[1]`],
    ]);

    r = await cli(suite.ada, ['workflows', 'import', '-'], JSON.stringify(cliFlow('From stdin')));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/imported 1 workflow/);

    const out = join(suite.dir, 'out.json');
    r = await cli(suite.ada, ['workflows', 'export', 'From stdin', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toStrictEqual(cliFlow('From stdin'));
    r = await cli(suite.ada, ['workflows', 'export', 'First of two']);
    expect(JSON.parse(r.stdout)).toStrictEqual({ ...cliFlow('First of two'), tags: [{ name: 'batch' }] });

    r = await cli(suite.ada, ['workflows', 'list', '--tag', 'batch', '--active', '--json']);
    expect(json(r).map((w: any) => w.name).sort()).toEqual(['First of two', 'Second of two']);
  });
});

describe('bad input', () => {
  const bad: Array<[string, unknown, RegExp]> = [
    ['invalid.json', '{"nodes": [', /invalid\.json: invalid JSON at line 1, column 12: unexpected end of input/],
    ['no-nodes.json', { name: 'x', connections: {} }, /no-nodes\.json: nodes: missing/],
    ['empty-nodes.json', { name: 'x', nodes: [] }, /empty-nodes\.json: nodes: the workflow has no nodes/],
    [
      'duplicate.json',
      { nodes: [...cliFlow('d').nodes, { ...cliFlow('d').nodes[1], id: 'n3' }] },
      /duplicate\.json: nodes\[2\]\.name: duplicate node name "Set"/,
    ],
    [
      'missing-target.json',
      { ...cliFlow('m'), connections: { Start: { main: [[{ node: 'Nowhere', type: 'main', index: 0 }]] } } },
      /missing-target\.json: connections\.Start\.main\[0\]\[0\]\.node: connection to missing node "Nowhere"/,
    ],
    [
      'type-version.json',
      { nodes: [{ ...cliFlow('v').nodes[0], typeVersion: 42 }] },
      /type-version\.json: nodes\[0\]\.typeVersion: unknown typeVersion 42 for n8n-nodes-base\.manualTrigger/,
    ],
  ];

  it.each(bad)('%s: exit 2, one line naming the file and JSON path, nothing written', async (name, doc, pattern) => {
    const f = write(name, doc);
    const before = await count(suite.ada);
    const r = await cli(suite.ada, ['workflows', 'import', f]);
    expectOneLineError(r, 2, pattern);
    expect(r.stderr).toMatch(/^error: /);
    expect(await count(suite.ada)).toBe(before);
  });

  it('refuses a file over 50 MB before reading it', async () => {
    const f = join(suite.dir, 'huge.json');
    writeFileSync(f, '');
    truncateSync(f, 50 * 1024 * 1024 + 1);
    const before = await count(suite.ada);
    const r = await cli(suite.ada, ['workflows', 'import', f]);
    expectOneLineError(r, 2, /huge\.json: file is 50\.0 MB; the limit is 50 MB/);
    expect(await count(suite.ada)).toBe(before);
  });

  it('imports a directory all or nothing; --continue-on-error imports the good ones and lists the bad', async () => {
    const d = join(suite.dir, 'mixed');
    mkdirSync(d);
    writeFileSync(join(d, 'a-good.json'), JSON.stringify(cliFlow('Dir good A')));
    writeFileSync(join(d, 'b-bad.json'), JSON.stringify({ ...cliFlow('Dir bad'), nodes: [] }));
    writeFileSync(join(d, 'c-good.json'), JSON.stringify(cliFlow('Dir good C')));
    writeFileSync(join(d, 'notes.txt'), 'ignored');
    const before = await count(suite.ada);
    let r = await cli(suite.ada, ['workflows', 'import', d]);
    expectOneLineError(r, 2, /b-bad\.json: nodes: the workflow has no nodes/);
    expect(await count(suite.ada)).toBe(before);

    r = await cli(suite.ada, ['workflows', 'import', d, '--continue-on-error', '--json']);
    expect(r.code).toBe(2);
    const result = json(r);
    expect(result.imported.map((w: any) => w.name)).toEqual(['Dir good A', 'Dir good C']);
    expect(result.failed).toEqual([expect.objectContaining({ label: join(d, 'b-bad.json'), path: 'nodes', reason: 'nodes: the workflow has no nodes' })]);
    expect(await count(suite.ada)).toBe(before + 2);
  });

  it('validate checks without writing and warns about node types the engine does not run', async () => {
    const f = write('slack.json', {
      ...cliFlow('With slack'),
      nodes: [...cliFlow('x').nodes, { id: 'n9', name: 'Slack', type: 'n8n-nodes-base.slack', typeVersion: 2.2, position: [0, 0], parameters: {} }],
    });
    const before = await count(suite.ada);
    let r = await runCli(['workflows', 'validate', f], { env: suite.t.env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`warning: ${f}: nodes[2].type: node type n8n-nodes-base.slack is not supported by the engine yet`);
    expect(r.stdout).toContain(`ok: ${f} (1 warning)`);
    r = await runCli(['workflows', 'validate', write('dup2.json', bad[3]![1]), '--json'], { env: suite.t.env });
    expect(r.code).toBe(2);
    expect(json(r)).toEqual([expect.objectContaining({ valid: false, errors: [{ path: 'nodes[2].name', message: 'duplicate node name "Set" (also nodes[1])' }] })]);
    expect(await count(suite.ada)).toBe(before);
  });
});

