import { describe, expect, it } from 'vitest';
import { formatPath, validateWorkflow } from '../../src/core/workflows/schema.js';
import { parseJson } from '../../src/core/workflows/sources.js';

const node = (name: string, extra: Record<string, unknown> = {}) => ({
  id: `id-${name}`,
  name,
  type: 'n8n-nodes-base.noOp',
  typeVersion: 1,
  position: [0, 0],
  parameters: {},
  ...extra,
});

const errorsOf = (doc: unknown) => validateWorkflow(doc).errors.map((e) => `${e.path}: ${e.message}`);

describe('the n8n workflow validator', () => {
  it('accepts a minimal workflow and unknown extra fields', () => {
    expect(errorsOf({ nodes: [node('A')], connections: {}, somethingNew: { x: 1 } })).toEqual([]);
  });

  it('requires nodes', () => {
    expect(errorsOf({ connections: {} })).toEqual(['nodes: missing: a workflow needs a "nodes" array']);
    expect(errorsOf({ nodes: {} })).toEqual(['nodes: must be an array, got a object']);
    expect(errorsOf({ nodes: [] })).toEqual(['nodes: the workflow has no nodes']);
    expect(errorsOf([{ nodes: [] }])[0]).toMatch(/^: a workflow must be a JSON object, got an array/);
  });

  it('names duplicate node names with their JSON path', () => {
    expect(errorsOf({ nodes: [node('Start'), node('Set'), node('X'), node('Set', { id: 'other' })], connections: {} })).toEqual([
      'nodes[3].name: duplicate node name "Set" (also nodes[1])',
    ]);
  });

  it('rejects connections from or to nodes that do not exist', () => {
    const errs = errorsOf({
      nodes: [node('A'), node('B')],
      connections: { A: { main: [[{ node: 'B', type: 'main', index: 0 }, { node: 'Ghost', type: 'main', index: 0 }]] }, Gone: { main: [[]] } },
    });
    expect(errs).toEqual(['connections.A.main[0][1].node: connection to missing node "Ghost"', 'connections.Gone: connection from missing node "Gone"']);
  });

  it('rejects a typeVersion n8n never shipped for a core node, and malformed ones anywhere', () => {
    expect(errorsOf({ nodes: [node('S', { type: 'n8n-nodes-base.set', typeVersion: 9 })] })).toEqual([
      'nodes[0].typeVersion: unknown typeVersion 9 for n8n-nodes-base.set (n8n has 1, 2, 3, 3.1, 3.2, 3.3, 3.4)',
    ]);
    expect(errorsOf({ nodes: [node('S', { typeVersion: '1' })] })).toEqual(['nodes[0].typeVersion: must be a positive number, got "1"']);
    expect(errorsOf({ nodes: [node('S', { typeVersion: undefined })] })).toEqual(['nodes[0].typeVersion: missing: every node needs a typeVersion']);
    // A node type we do not track keeps any well-formed version (community nodes, newer n8n).
    expect(errorsOf({ nodes: [node('S', { type: 'n8n-nodes-community.thing', typeVersion: 7.5 })] })).toEqual([]);
  });

  it('checks the node fields of n8n format', () => {
    const errs = errorsOf({
      nodes: [
        node('A', {
          position: [1],
          parameters: [],
          disabled: 'yes',
          onError: 'explode',
          maxTries: -1,
          credentials: { httpBasicAuth: { id: 5, name: 'x' }, oldStyle: 'named credential', bad: 3 },
          notes: 1,
        }),
        { name: 'B', typeVersion: 1 },
      ],
    });
    expect(errs).toEqual([
      'nodes[0].position: must be [x, y] with two numbers',
      'nodes[0].parameters: must be an object, got an array',
      'nodes[0].disabled: must be true or false, got "yes"',
      'nodes[0].maxTries: must be a number >= 0, got -1',
      'nodes[0].notes: must be a string, got a number',
      'nodes[0].onError: must be one of stopWorkflow, continueRegularOutput, continueErrorOutput, got "explode"',
      'nodes[0].credentials.httpBasicAuth.id: must be a string or null',
      'nodes[0].credentials.bad: must be {"id": …, "name": …}',
      'nodes[1].type: missing: every node needs a type',
    ]);
  });

  it('checks top-level fields: name, active, settings, tags, pinData', () => {
    const errs = errorsOf({ name: 5, active: 'no', settings: [], tags: ['ok', { name: 'fine', id: '1' }, { id: 'x' }], pinData: { A: {} }, nodes: [node('A')] });
    expect(errs).toEqual([
      'name: must be a string, got a number',
      'active: must be true or false, got a string',
      'settings: must be an object, got an array',
      'tags[2]: a tag must be a name or an object with a "name"',
      'pinData.A: must be an array of items, got a object',
    ]);
    expect(validateWorkflow({ nodes: [node('A')], pinData: { Deleted: [] } }).warnings).toEqual([{ path: 'pinData.Deleted', message: 'pinned data for missing node "Deleted"' }]);
  });

  it('rejects text PostgreSQL cannot store in jsonb', () => {
    expect(errorsOf({ nodes: [node('A', { parameters: { v: 'a\u0000b' } })] })).toEqual([
      'nodes[0].parameters.v: contains a \\u0000 character, which PostgreSQL cannot store in JSON; remove it',
    ]);
  });

  it('warns, without failing, about node types the engine does not run', () => {
    const r = validateWorkflow({ nodes: [node('Slack', { type: 'n8n-nodes-base.slack', typeVersion: 2.2 })] }, { isSupportedNodeType: (t) => t !== 'n8n-nodes-base.slack' });
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([{ path: 'nodes[0].type', message: 'node type n8n-nodes-base.slack is not supported by the engine yet; executions stop at this node' }]);
  });

  it('formats JSON paths like JavaScript', () => {
    expect(formatPath(['connections', 'My node', 'main', 0, 2, 'node'])).toBe('connections["My node"].main[0][2].node');
    expect(formatPath([])).toBe('');
  });

  it('reports invalid JSON with line and column', () => {
    expect(parseJson('{\n  "nodes": [,]\n}')).toEqual({ error: expect.stringMatching(/^invalid JSON at line 2, column 13: /) });
    expect(parseJson('')).toEqual({ error: 'invalid JSON: the input is empty' });
    expect(parseJson('\uFEFF{"nodes": []}')).toEqual({ value: { nodes: [] } });
  });
});

describe('invalid JSON', () => {
  it.each([
    ['{\n  "nodes": [,]\n}', 2, 13, 'unexpected ","'],
    ['{"a": 1,}', 1, 9, 'unexpected "}"'],
    ['{"a": tru}', 1, 10, 'unexpected "}"'],
    ['{"a": [1, 2', 1, 12, 'unexpected end of input'],
    ['{"a": 01}', 1, 8, 'unexpected "1"'],
    ['{"a": "x\\q"}', 1, 10, 'unexpected "q"'],
    ['{} {}', 1, 4, 'unexpected "{"'],
    ["{'a': 1}", 1, 2, `unexpected "'"`],
  ])('%j → line %i, column %i', (text, line, col, what) => {
    expect(parseJson(text)).toEqual({ error: `invalid JSON at line ${line}, column ${col}: ${what}` });
  });
});
