/** The operator's SSRF deny-list setting (http_deny_networks) and the client built from it. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { httpClientFromConfig, parseDenyNetworks, runWorkflow, type WorkflowDefinition } from '../../src/core/engine/index.js';
import { DEFAULT_DENIED_HOSTS, DEFAULT_DENIED_NETWORKS } from '../../src/core/engine/http/deny-list.js';

let server: Server;
let base = '';
beforeAll(async () => {
  server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

function httpWorkflow(url: string): WorkflowDefinition {
  return {
    nodes: [
      { name: 'T', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, parameters: {}, position: [0, 0] },
      { name: 'HTTP', type: 'n8n-nodes-base.httpRequest', typeVersion: 4.2, parameters: { url, options: { timeout: 3000 } }, position: [200, 0] },
    ],
    connections: { T: { main: [[{ node: 'HTTP', type: 'main', index: 0 }]] } },
  };
}

describe('parseDenyNetworks', () => {
  it('is the defaults (link-local, cloud metadata) when unset or empty', () => {
    for (const v of [undefined, '', ' , ']) expect(parseDenyNetworks(v)).toEqual({ networks: DEFAULT_DENIED_NETWORKS, hosts: DEFAULT_DENIED_HOSTS });
  });

  it('adds networks, single addresses and host names (comma or space separated) to the defaults', () => {
    const { networks, hosts } = parseDenyNetworks('10.0.0.0/8, 192.168.1.7 fd00::/8,[fd12::1] db.internal,*.svc.cluster.local');
    expect(networks).toEqual([...DEFAULT_DENIED_NETWORKS, '10.0.0.0/8', '192.168.1.7', 'fd00::/8', 'fd12::1']);
    expect(hosts).toEqual([...DEFAULT_DENIED_HOSTS, 'db.internal', '*.svc.cluster.local']);
  });

  it('rejects a bad entry with exit code 2, naming the setting and the entry', () => {
    for (const bad of ['10.0.0.0/33', 'http://x.test/', 'bad_host!', '1.2.3.4/x']) {
      let err: any;
      try {
        parseDenyNetworks(`10.0.0.0/8,${bad}`);
      } catch (e) {
        err = e;
      }
      expect(err?.exitCode, bad).toBe(2);
      expect(err.message).toContain(`"${bad}"`);
      expect(err.message).toContain('JOBSPRINT_HTTP_DENY_NETWORKS');
    }
  });
});

describe('httpClientFromConfig', () => {
  it('blocks the operator’s networks and host names, and keeps blocking the defaults', async () => {
    const client = httpClientFromConfig('127.0.0.0/8, *.corp.invalid');
    try {
      const local = await runWorkflow(httpWorkflow(`${base}/x`), { httpClient: client });
      expect(local.status).toBe('error');
      expect(local.error?.message).toMatch(/127\.0\.0\.1 was blocked: the address is in the denied network 127\.0\.0\.0\/8/);
      const byName = await runWorkflow(httpWorkflow('http://api.corp.invalid/x'), { httpClient: client });
      expect(byName.error?.message).toMatch(/api\.corp\.invalid was blocked: the host name is on the deny-list/);
      const metadata = await runWorkflow(httpWorkflow('http://169.254.169.254/latest/meta-data/'), { httpClient: client });
      expect(metadata.error?.message).toContain('169.254.169.254 was blocked');
    } finally {
      await client.close();
    }
  });

  it('without extra entries, ordinary addresses stay reachable', async () => {
    const client = httpClientFromConfig(undefined);
    try {
      const res = await runWorkflow(httpWorkflow(`${base}/x`), { httpClient: client });
      expect(res.status, JSON.stringify(res.error)).toBe('success');
      expect(res.runData.HTTP[0].data!.main[0]![0].json).toEqual({ ok: true });
    } finally {
      await client.close();
    }
  });
});
