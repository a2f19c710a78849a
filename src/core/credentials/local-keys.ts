import type { Config } from '../config.js';
import { ConflictError, NotFoundError, UsageError } from '../errors.js';
import { formatKeys, generateKek, nextKeyId, parseKeys, type Kek } from './keys.js';
import { openLocalKeyStore, readLocalKeys } from './keyring.js';

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

async function stored(config: Config): Promise<{ keys: Kek[]; location: string } | undefined> {
  const local = await readLocalKeys(config.env, config.profile);
  if (!local) return undefined;
  return { keys: parseKeys(local.text, local.store.kind), location: local.store.location };
}

export async function initLocalKeys(config: Config, opts: { id?: string } = {}): Promise<LocalKeyResult> {
  const existing = await stored(config);
  if (existing) {
    throw new ConflictError(`encryption keys already initialised in ${existing.location}`, {
      hint: 'use `jobsprint keys add` to make a new active key, then `jobsprint credentials rotate-key`',
    });
  }
  const kek = generateKek(opts.id ?? 'k1');
  const { store, warning } = await openLocalKeyStore(config.env, config.profile);
  await store.write(formatKeys([kek]));
  return { id: kek.id, location: store.location, warning, shadowed: shadowed(config), ids: [kek.id] };
}

/** A new key, first in the list: it becomes the active key. */
export async function addLocalKey(config: Config, opts: { id?: string } = {}): Promise<LocalKeyResult> {
  const existing = await stored(config);
  if (!existing) throw new NotFoundError('no stored encryption keys', { hint: 'run `jobsprint keys init` first' });
  const id = opts.id ?? nextKeyId(existing.keys.map((k) => k.id));
  if (existing.keys.some((k) => k.id === id)) throw new ConflictError(`key ${id} already exists`, { hint: 'choose another --id' });
  const keys = [generateKek(id), ...existing.keys];
  const local = (await readLocalKeys(config.env, config.profile))!;
  await local.store.write(formatKeys(keys));
  return { id, location: local.store.location, shadowed: shadowed(config), ids: keys.map((k) => k.id) };
}

/** Remove a key the caller has checked no credential uses any more. The active key cannot go. */
export async function removeLocalKey(config: Config, id: string): Promise<LocalKeyResult> {
  const local = await readLocalKeys(config.env, config.profile);
  const keys = local ? parseKeys(local.text, local.store.kind) : [];
  if (!local || !keys.some((k) => k.id === id)) throw new NotFoundError(`key ${id} is not in the local key store`, { hint: 'see `jobsprint keys list`' });
  if (keys[0]!.id === id) {
    throw new UsageError(`key ${id} is the active key`, { hint: 'add a new key with `jobsprint keys add` and rotate first' });
  }
  const rest = keys.filter((k) => k.id !== id);
  await local.store.write(formatKeys(rest));
  return { id, location: local.store.location, shadowed: shadowed(config), ids: rest.map((k) => k.id) };
}
