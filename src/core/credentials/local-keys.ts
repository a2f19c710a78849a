import type { Config } from '../config.js';
import { ConflictError, NotFoundError, UsageError } from '../errors.js';
import { forgetLoadedKeys, formatKeys, generateKek, nextKeyId, parseKeys, type Kek } from './keys.js';
import { openLocalKeys, readLocalKeys, type LocalKeyStore } from './keyring.js';

/**
 * `jobsprint keys init|add|remove`: manage a developer machine's KEKs in the OS keychain (or
 * the 0600 fallback file). Servers get their keys from JOBSPRINT_ENCRYPTION_KEYS(_FILE) instead.
 */
export interface LocalKeyResult {
  id: string;
  location: string;
  /** The keychain could not be used; the file store was. */
  warning?: string;
  /** JOBSPRINT_ENCRYPTION_KEYS(_FILE) is set and overrides the stored keys. */
  shadowed: boolean;
  ids: string[];
}

function shadowed(config: Config): boolean {
  return !!config.resolved('encryption_keys').value;
}

/** The stored keys and their store, from one read of the local store. */
async function stored(config: Config): Promise<{ keys: Kek[]; store: LocalKeyStore } | undefined> {
  const local = await readLocalKeys(config.env, config.profile);
  if (!local) return undefined;
  return { keys: parseKeys(local.text, local.store.kind), store: local.store };
}

async function save(config: Config, store: LocalKeyStore, keys: Array<{ id: string; key: Buffer }>): Promise<void> {
  await store.write(formatKeys(keys));
  // This process's cached key set no longer matches what is stored.
  forgetLoadedKeys(config);
}

export async function initLocalKeys(config: Config, opts: { id?: string } = {}): Promise<LocalKeyResult> {
  // One read: it both finds existing keys and probes the keychain for the write.
  const local = await openLocalKeys(config.env, config.profile);
  if (local.text) {
    throw new ConflictError(`encryption keys already initialised in ${local.store.location}`, {
      hint: 'use `jobsprint keys add` to make a new active key, then `jobsprint credentials rotate-key`',
    });
  }
  const kek = generateKek(opts.id ?? 'k1');
  await save(config, local.store, [kek]);
  return { id: kek.id, location: local.store.location, warning: local.warning, shadowed: shadowed(config), ids: [kek.id] };
}

/** A new key, first in the list: it becomes the active key. */
export async function addLocalKey(config: Config, opts: { id?: string } = {}): Promise<LocalKeyResult> {
  const existing = await stored(config);
  if (!existing) throw new NotFoundError('no stored encryption keys', { hint: 'run `jobsprint keys init` first' });
  const id = opts.id ?? nextKeyId(existing.keys.map((k) => k.id));
  if (existing.keys.some((k) => k.id === id)) throw new ConflictError(`key ${id} already exists`, { hint: 'choose another --id' });
  const keys = [generateKek(id), ...existing.keys];
  await save(config, existing.store, keys);
  return { id, location: existing.store.location, shadowed: shadowed(config), ids: keys.map((k) => k.id) };
}

/** Remove a key the caller has checked no credential uses any more. The active key cannot go. */
export async function removeLocalKey(config: Config, id: string): Promise<LocalKeyResult> {
  const existing = await stored(config);
  if (!existing || !existing.keys.some((k) => k.id === id)) {
    throw new NotFoundError(`key ${id} is not in the local key store`, { hint: 'see `jobsprint keys list`' });
  }
  if (existing.keys[0]!.id === id) {
    throw new UsageError(`key ${id} is the active key`, { hint: 'add a new key with `jobsprint keys add` and rotate first' });
  }
  const rest = existing.keys.filter((k) => k.id !== id);
  await save(config, existing.store, rest);
  return { id, location: existing.store.location, shadowed: shadowed(config), ids: rest.map((k) => k.id) };
}
