import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { homeEnv } from '../helpers/env.js';
import { Config } from '../../src/core/config.js';

/** A fake OS keychain (@napi-rs/keyring's sync Entry) that counts reads. */
const keychain = vi.hoisted(() => ({ items: new Map<string, string>(), reads: 0 }));

vi.mock('@napi-rs/keyring', () => ({
  Entry: class {
    private readonly key: string;
    constructor(service: string, account: string) {
      this.key = `${service}/${account}`;
    }
    getPassword() {
      keychain.reads++;
      return keychain.items.get(this.key) ?? null;
    }
    setPassword(v: string) {
      keychain.items.set(this.key, v);
    }
    deletePassword() {
      return keychain.items.delete(this.key);
    }
  },
}));

const { TokenStore } = await import('../../src/core/auth/token-store.js');

let home: string;
const config = () => {
  const env: NodeJS.ProcessEnv = { ...homeEnv(home), DBUS_SESSION_BUS_ADDRESS: 'unix:path=/fake' };
  delete env.JOBSPRINT_KEYRING;
  return new Config(env);
};

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'jobsprint-token-'));
  keychain.items.clear();
  keychain.reads = 0;
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

describe('token store in the OS keychain', () => {
  it('logout (read, then remove) reads the keychain once, and reports what it removed', async () => {
    const store = new TokenStore(config());
    expect(await store.save('jsp_token')).toMatchObject({ source: 'keychain' });
    keychain.reads = 0;
    expect(await store.read()).toMatchObject({ token: 'jsp_token', source: 'keychain' });
    expect(await store.remove()).toEqual(['keychain']);
    expect(keychain.reads).toBe(1);
    expect(await store.remove()).toEqual([]);
    expect(await store.read()).toBeNull();
  });
});
