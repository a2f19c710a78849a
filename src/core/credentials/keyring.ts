import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configDir } from '../config.js';
import { UsageError } from '../errors.js';

/**
 * Where `jobsprint keys init` keeps a developer machine's KEKs: the OS keychain through
 * @napi-rs/keyring, or — when there is none (headless Linux, containers) or
 * JOBSPRINT_KEYRING=file — a 0600 file in the config directory. The stored value uses the
 * same `id:base64,…` text as JOBSPRINT_ENCRYPTION_KEYS.
 */
export type LocalStoreKind = 'keychain' | 'file';

export interface LocalKeyStore {
  readonly kind: LocalStoreKind;
  /** Human description of where the keys are (never the keys). */
  readonly location: string;
  read(): Promise<string | undefined>;
  write(value: string): Promise<void>;
  remove(): Promise<boolean>;
}

const SERVICE = 'jobsprint';

function account(profile: string): string {
  return profile === 'default' ? 'encryption-keys' : `encryption-keys:${profile}`;
}

export function keyFilePath(env: NodeJS.ProcessEnv, profile: string): string {
  return join(configDir(env), profile === 'default' ? 'encryption-keys' : `encryption-keys.${profile}`);
}

export class FileKeyStore implements LocalKeyStore {
  readonly kind = 'file' as const;
  constructor(readonly location: string) {}

  async read(): Promise<string | undefined> {
    if (!existsSync(this.location)) return undefined;
    const mode = statSync(this.location).mode & 0o777;
    // Like ssh with a private key: a key file others can read is refused, not silently used.
    if (mode & 0o077) {
      throw new UsageError(`key file ${this.location} is readable by other users (mode ${mode.toString(8)})`, {
        hint: `run: chmod 600 ${this.location}`,
      });
    }
    const text = readFileSync(this.location, 'utf8').trim();
    return text || undefined;
  }

  async write(value: string): Promise<void> {
    const dir = join(this.location, '..');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = `${this.location}.${process.pid}.tmp`;
    writeFileSync(tmp, value + '\n', { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, this.location);
  }

  async remove(): Promise<boolean> {
    if (!existsSync(this.location)) return false;
    unlinkSync(this.location);
    return true;
  }
}

class KeychainStore implements LocalKeyStore {
  readonly kind = 'keychain' as const;
  readonly location: string;
  constructor(private readonly entry: import('@napi-rs/keyring').AsyncEntry, acct: string) {
    this.location = `OS keychain (service ${SERVICE}, account ${acct})`;
  }
  async read(): Promise<string | undefined> {
    return (await this.entry.getPassword()) ?? undefined;
  }
  async write(value: string): Promise<void> {
    await this.entry.setPassword(value);
  }
  async remove(): Promise<boolean> {
    return this.entry.deleteCredential();
  }
}

/** One look at a machine's local key store (see openLocalKeys). */
export interface LocalKeys {
  /** Where the keys are, or, when none are stored, where `keys init` writes them. */
  store: LocalKeyStore;
  /** The stored `id:base64,…` text; undefined when nothing is stored. */
  text?: string;
  /** Set when the keychain was wanted but unusable, so `store` is the file: one line for the user. */
  warning?: string;
}

/**
 * Read the keys saved by `keys init` and find the store to write to, reading the OS keychain
 * at most once (a keychain read can prompt the user or cost a D-Bus round trip): the file
 * first (cheap), then the keychain. If the keychain cannot be used the file store is returned
 * with `warning` saying why. JOBSPRINT_KEYRING=file skips the keychain (tests, CI).
 */
export async function openLocalKeys(env: NodeJS.ProcessEnv, profile: string): Promise<LocalKeys> {
  const file = new FileKeyStore(keyFilePath(env, profile));
  const fromFile = await file.read();
  if (fromFile) return { store: file, text: fromFile };
  if (env.JOBSPRINT_KEYRING === 'file') return { store: file };
  try {
    const { AsyncEntry } = await import('@napi-rs/keyring');
    const entry = new AsyncEntry(SERVICE, account(profile));
    const text = (await entry.getPassword()) || undefined;
    return { store: new KeychainStore(entry, account(profile)), text };
  } catch (err) {
    const reason = ((err as Error)?.message ?? String(err)).split('\n')[0];
    return {
      store: file,
      warning: `OS keychain unavailable (${reason}); keys stored in ${file.location} (mode 0600)`,
    };
  }
}

/** The keys saved by `keys init`, or undefined when none are (an unusable keychain holds none). */
export async function readLocalKeys(env: NodeJS.ProcessEnv, profile: string): Promise<{ text: string; store: LocalKeyStore } | undefined> {
  const local = await openLocalKeys(env, profile);
  return local.text ? { text: local.text, store: local.store } : undefined;
}
