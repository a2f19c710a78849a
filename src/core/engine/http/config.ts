/**
 * The outbound HTTP client as the operator configured it: the built-in deny-list
 * (link-local and cloud metadata, always on) plus the entries of the setting
 * `http_deny_networks` (JOBSPRINT_HTTP_DENY_NETWORKS).
 */
import { isIP } from 'node:net';
import type { HttpClient } from '../types.js';
import { EngineValidationError } from '../errors.js';
import { createHttpClient } from './client.js';
import { DEFAULT_DENIED_HOSTS, DEFAULT_DENIED_NETWORKS, parseCidr } from './deny-list.js';

export interface DenyListConfig {
  networks: string[];
  hosts: string[];
}

const HOST_NAME = /^(\*\.)?([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*\.?$/i;

/**
 * Parses the setting: entries separated by commas or white space, each a CIDR network
 * (10.0.0.0/8, fd00::/8), a single IP address, a host name, or '*.domain' for every name
 * below domain. The defaults are always included; there is deliberately no way to remove them.
 */
export function parseDenyNetworks(value: string | undefined): DenyListConfig {
  const networks = [...DEFAULT_DENIED_NETWORKS];
  const hosts = [...DEFAULT_DENIED_HOSTS];
  for (const raw of (value ?? '').split(/[\s,]+/)) {
    const entry = raw.trim();
    if (!entry) continue;
    const addr = entry.split('/')[0].replace(/^\[|\]$/g, '');
    if (isIP(addr)) {
      try {
        networks.push(parseCidr(entry.replace(/^\[([^\]]+)\]/, '$1')).text);
      } catch (e) {
        throw invalid(entry, (e as Error).message);
      }
    } else if (!entry.includes('/') && HOST_NAME.test(entry)) {
      hosts.push(entry.toLowerCase());
    } else {
      throw invalid(entry, 'not a network, IP address or host name');
    }
  }
  return { networks, hosts };
}

function invalid(entry: string, why: string): EngineValidationError {
  return new EngineValidationError(
    `Invalid entry "${entry}" in http_deny_networks (JOBSPRINT_HTTP_DENY_NETWORKS): ${why}. ` +
      'Use comma-separated CIDR networks (10.0.0.0/8), IP addresses, host names or *.domain',
  );
}

/**
 * Builds an outbound HTTP client with the default deny-list plus the operator's entries.
 * Create it once per process and pass it as RunOptions.httpClient to every execution (it owns
 * connection pools); `close()` it on shutdown. Throws EngineValidationError (exit code 2) for a bad entry.
 */
export function httpClientFromConfig(value: string | undefined): HttpClient & { close(): Promise<void> } {
  const { networks, hosts } = parseDenyNetworks(value);
  return createHttpClient({ deniedNetworks: networks, deniedHosts: hosts });
}
