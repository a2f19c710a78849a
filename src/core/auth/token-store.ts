import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.js';
import { configDir } from '../config.js';
import { UsageError } from '../errors.js';

/**
 * Where the CLI keeps its session token, like gh: JOBSPRINT_TOKEN (or JOBSPRINT_TOKEN_FILE)
 * overrides everything (CI); otherwise the OS keychain through @napi-rs/keyring; where no
 * keychain is available (headless Linux, CI containers) or JOBSPRINT_KEYRING=file, a 0600 file
 * in the config directory. One token per profile, since profiles point at different databases.
 */
export type TokenSource = 'env' | 'env-file' | 'keychain' | 'file';

export interface StoredToken {
  token: string;
  source: TokenSource;
  /** Human description of where it came from (never the token). */
  location: string;
}

export interface SavedToken {
  source: 'keychain' | 'file';
  location: string;
  /** Set when the keychain was unavailable and the plain file was used instead. */
  warning?: string;
}

const SERVICE = 'jobsprint';

export function tokenFilePath(env: NodeJS.ProcessEnv): string {
  return join(configDir(env), 'tokens.json');
}

export class TokenStore {
  private readonly env: NodeJS.ProcessEnv;
  private readonly profile: string;

  constructor(private readonly config: Config) {
    this.env = config.env;
    this.profile = config.profile;
  }

  /** The token this run acts with, or null when there is none. */
  async read(): Promise<StoredToken | null> {
    const fromConfig = this.config.resolved('token');
    if (fromConfig.value) {
      const source = fromConfig.source === 'env-file' ? 'env-file' : 'env';
      return { token: fromConfig.value.trim(), source, location: source === 'env' ? 'JOBSPRINT_TOKEN' : 'JOBSPRINT_TOKEN_FILE' };
    }
    const kc = await this.keychain();
    if (kc) {
      try {
        const token = kc.getPassword();
        if (token) return { token, source: 'keychain', location: `OS keychain (service ${SERVICE}, account ${this.profile})` };
      } catch {
        // An unreadable keychain is treated like an empty one; the file may still hold a token.
      }
    }
    const file = readTokenFile(this.env);
    const token = file[this.profile];
    if (token) return { token, source: 'file', location: tokenFilePath(this.env) };
    return null;
  }

  async save(token: string): Promise<SavedToken> {
    const kc = await this.keychain();
    if (kc) {
      try {
        kc.setPassword(token);
        // A stale copy in the file would be read if the keychain later became unavailable.
        this.removeFromFile();
        return { source: 'keychain', location: `OS keychain (service ${SERVICE}, account ${this.profile})` };
      } catch {
        // fall through to the file
      }
    }
    const path = tokenFilePath(this.env);
    const file = readTokenFile(this.env);
    file[this.profile] = token;
    writeTokenFile(this.env, file);
    const forced = this.env.JOBSPRINT_KEYRING === 'file';
    return {
      source: 'file',
      location: path,
      warning: forced ? undefined : `no OS keychain available; the token is stored in plain text in ${path} (mode 0600)`,
    };
  }

  /** Forget the stored token (keychain and file). Returns where it was removed from. */
  async remove(): Promise<string[]> {
    const removed: string[] = [];
    const kc = await this.keychain();
    if (kc) {
      try {
        // No read first: deleting says whether there was anything (one keychain access, not two).
        if (kc.deletePassword()) removed.push('keychain');
      } catch {
        // nothing stored there, or no usable keychain
      }
    }
    if (this.removeFromFile()) removed.push('file');
    return removed;
  }

  private removeFromFile(): boolean {
    const file = readTokenFile(this.env);
    if (!(this.profile in file)) return false;
    delete file[this.profile];
    writeTokenFile(this.env, file);
    return true;
  }

  private keychainEntry?: Promise<KeychainEntry | null>;

  private keychain(): Promise<KeychainEntry | null> {
    this.keychainEntry ??= (async () => {
      const mode = this.env.JOBSPRINT_KEYRING;
      if (mode === 'file') return null;
      if (mode && mode !== 'auto' && mode !== 'keychain') {
        throw new UsageError(`JOBSPRINT_KEYRING must be "file", "keychain" or "auto", got "${mode}"`);
      }
      // Without a session bus the Secret Service cannot answer; don't wait for it to fail.
      if (process.platform === 'linux' && !this.env.DBUS_SESSION_BUS_ADDRESS) return null;
      try {
        const { Entry } = await import('@napi-rs/keyring');
        return new Entry(SERVICE, this.profile) as KeychainEntry;
      } catch {
        return null;
      }
    })();
    return this.keychainEntry;
  }
}

interface KeychainEntry {
  getPassword(): string | null | undefined;
  setPassword(password: string): void;
  /** True when a stored password was deleted, false when there was none. */
  deletePassword(): boolean;
}

function readTokenFile(env: NodeJS.ProcessEnv): Record<string, string> {
  const path = tokenFilePath(env);
  if (!existsSync(path)) return {};
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, string>) : {};
  } catch {
    throw new UsageError(`token file ${path} is not valid JSON`, { hint: 'delete it and run `jobsprint login` again' });
  }
}

function writeTokenFile(env: NodeJS.ProcessEnv, content: Record<string, string>): void {
  const path = tokenFilePath(env);
  mkdirSync(configDir(env), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(content, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, path);
  // writeFileSync's mode is filtered by the umask; make sure no one else can read it.
  if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
}
