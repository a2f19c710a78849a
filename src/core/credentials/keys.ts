import { randomBytes } from 'node:crypto';
import type { Config } from '../config.js';
import { ServiceUnavailableError, ValidationError } from '../errors.js';
import { readLocalKeys } from './keyring.js';

/**
 * Key-encryption keys (KEKs). Configured as `id:base64,id:base64,…` — the first is the
 * active key (new credentials and rotation target), the rest can still decrypt. Sources, in
 * order: JOBSPRINT_ENCRYPTION_KEYS, JOBSPRINT_ENCRYPTION_KEYS_FILE, then the keys `jobsprint
 * keys init` stored in the OS keychain or the 0600 key file. When the environment names keys
 * it is the whole configuration: keys in the local store are then ignored, so removing an
 * old key from the environment really removes it.
 */
export type KeySource = 'env' | 'env-file' | 'keychain' | 'file';

export interface Kek {
  id: string;
  key: Buffer;
  source: KeySource;
}

export const KEY_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$|^[A-Za-z0-9_-]+={0,2}$/;

export class KeySet {
  private readonly byId: Map<string, Kek>;
  constructor(readonly keys: Kek[]) {
    if (!keys.length) throw new Error('a KeySet needs at least one key');
    this.byId = new Map(keys.map((k) => [k.id, k]));
  }
  get active(): Kek {
    return this.keys[0]!;
  }
  get(id: string): Kek | undefined {
    return this.byId.get(id);
  }
  get ids(): string[] {
    return this.keys.map((k) => k.id);
  }
}

export function noKeysError(): ServiceUnavailableError {
  return new ServiceUnavailableError('encryption keys', 'no encryption key configured', {
    hint: 'set JOBSPRINT_ENCRYPTION_KEYS=<id>:<base64 of 32 bytes> (or JOBSPRINT_ENCRYPTION_KEYS_FILE), or run `jobsprint keys init` on a developer machine',
  });
}

/** Parse the `id:base64,…` text. Errors name the key id or position, never key material. */
export function parseKeys(text: string, source: KeySource): Kek[] {
  const entries = text
    .split(/[,\s]+/)
    .map((s) => s.trim())
    .filter(Boolean);
  const keys: Kek[] = [];
  entries.forEach((entry, i) => {
    const colon = entry.indexOf(':');
    const where = `encryption key #${i + 1} (${describeSource(source)})`;
    if (colon <= 0) throw new ValidationError(`${where} has no id`, { hint: 'write keys as id:base64, e.g. k1:<base64 of 32 random bytes>' });
    const id = entry.slice(0, colon);
    const material = entry.slice(colon + 1);
    if (!KEY_ID_PATTERN.test(id)) {
      throw new ValidationError(`${where}: invalid key id`, { hint: 'ids are 1-100 letters, digits, ".", "_" or "-"' });
    }
    const bytes = BASE64.test(material) ? Buffer.from(material, material.includes('-') || material.includes('_') ? 'base64url' : 'base64') : null;
    if (!bytes || bytes.length !== 32) {
      throw new ValidationError(`encryption key ${id} (${describeSource(source)}) is not 32 bytes of base64`, {
        hint: 'generate one with `openssl rand -base64 32`',
      });
    }
    if (keys.some((k) => k.id === id)) throw new ValidationError(`encryption key id ${id} appears twice (${describeSource(source)})`);
    keys.push({ id, key: bytes, source });
  });
  return keys;
}

export function formatKeys(keys: Array<{ id: string; key: Buffer }>): string {
  return keys.map((k) => `${k.id}:${k.key.toString('base64')}`).join(',');
}

export function generateKek(id: string): { id: string; key: Buffer } {
  if (!KEY_ID_PATTERN.test(id)) throw new ValidationError(`invalid key id "${id}"`, { hint: 'ids are 1-100 letters, digits, ".", "_" or "-"' });
  return { id, key: randomBytes(32) };
}

/** A fresh id that sorts after the existing ones: k1, k2, … */
export function nextKeyId(existing: string[]): string {
  let n = 1;
  for (const id of existing) {
    const m = /^k(\d+)$/.exec(id);
    if (m) n = Math.max(n, Number(m[1]) + 1);
  }
  return `k${n}`;
}

function describeSource(source: KeySource): string {
  switch (source) {
    case 'env':
      return 'JOBSPRINT_ENCRYPTION_KEYS';
    case 'env-file':
      return 'JOBSPRINT_ENCRYPTION_KEYS_FILE';
    case 'keychain':
      return 'OS keychain';
    case 'file':
      return 'key file';
  }
}

export interface KeyInfo {
  id: string;
  active: boolean;
  source: KeySource;
  /** Where it came from, for `keys list`. */
  location: string;
}

/** The keys, where they came from, and the KeySet credential operations use. */
type Loaded = { keys: Kek[]; location: string; set: KeySet } | null;

const loadedCache = new WeakMap<Config, Promise<Loaded>>();

/**
 * The configured keys, or null when none is configured anywhere. Read once per Config (so at
 * most one keychain read per process): `keys list`, `doctor` and every credential operation of
 * a run share it. Neither a failure nor "none configured" is remembered, so a long-running
 * process picks up keys configured after it started.
 */
export function loadKeys(config: Config): Promise<Loaded> {
  const cached = loadedCache.get(config);
  if (cached) return cached;
  const p = readKeys(config);
  loadedCache.set(config, p);
  const forget = () => {
    if (loadedCache.get(config) === p) loadedCache.delete(config);
  };
  p.then((loaded) => loaded ?? forget(), forget);
  return p;
}

/** After `keys init|add|remove` changed the local store: the next loadKeys reads it again. */
export function forgetLoadedKeys(config: Config): void {
  loadedCache.delete(config);
}

async function readKeys(config: Config): Promise<Loaded> {
  const r = config.resolved('encryption_keys');
  if (r.value) {
    const source: KeySource = r.source === 'env-file' ? 'env-file' : 'env';
    const location = source === 'env-file' ? `JOBSPRINT_ENCRYPTION_KEYS_FILE (${config.env.JOBSPRINT_ENCRYPTION_KEYS_FILE})` : 'JOBSPRINT_ENCRYPTION_KEYS';
    const keys = parseKeys(r.value, source);
    return keys.length ? { keys, location, set: new KeySet(keys) } : null;
  }
  const local = await readLocalKeys(config.env, config.profile);
  if (!local) return null;
  const keys = parseKeys(local.text, local.store.kind);
  return keys.length ? { keys, location: local.store.location, set: new KeySet(keys) } : null;
}

/** The key set for this configuration (loaded once per Config, see loadKeys); exit 6 when there is none. */
export async function keySet(config: Config): Promise<KeySet> {
  const loaded = await loadKeys(config);
  if (!loaded) throw noKeysError();
  return loaded.set;
}

export async function listKeys(config: Config): Promise<KeyInfo[]> {
  const loaded = await loadKeys(config);
  if (!loaded) throw noKeysError();
  return loaded.keys.map((k, i) => ({ id: k.id, active: i === 0, source: k.source, location: loaded.location }));
}
