import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { homeEnv } from '../helpers/env.js';
import { Config } from '../../src/core/config.js';

/**
 * A fake OS keychain (@napi-rs/keyring's AsyncEntry) that counts its reads: each read may be a
 * D-Bus round trip or an unlock prompt, so one operation must read it at most once.
 */
const keychain = vi.hoisted(() => ({
  items: new Map<string, string>(),
  reads: 0,
  writes: 0,
  broken: false,
}));

vi.mock('@napi-rs/keyring', () => ({
  AsyncEntry: class {
    constructor(
      private readonly service: string,
      private readonly account: string,
    ) {}
    private get key() {
      return `${this.service}/${this.account}`;
    }
    async getPassword() {
      keychain.reads++;
      if (keychain.broken) throw new Error('no secret service');
      return keychain.items.get(this.key) ?? null;
    }
    async setPassword(v: string) {
      keychain.writes++;
      keychain.items.set(this.key, v);
    }
    async deleteCredential() {
      return keychain.items.delete(this.key);
    }
  },
}));

const { initLocalKeys, addLocalKey, removeLocalKey } = await import('../../src/core/credentials/local-keys.js');
const { keySet, listKeys, loadKeys } = await import('../../src/core/credentials/keys.js');

let home: string;
const config = () => {
  const env: NodeJS.ProcessEnv = { ...homeEnv(home) };
  delete env.JOBSPRINT_KEYRING; // use the (fake) keychain
  return new Config(env);
};

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'jobsprint-keys-'));
  keychain.items.clear();
  keychain.reads = 0;
  keychain.writes = 0;
  keychain.broken = false;
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

/** Keychain reads made by fn. */
async function reads(fn: () => Promise<unknown>): Promise<number> {
  const before = keychain.reads;
  await fn();
  return keychain.reads - before;
}

describe('local key store: one keychain read per operation', () => {
  it('keys init reads the keychain once (to find existing keys and to probe it) and writes there', async () => {
    let r: Awaited<ReturnType<typeof initLocalKeys>> | undefined;
    expect(await reads(async () => (r = await initLocalKeys(config())))).toBe(1);
    expect(r).toMatchObject({ id: 'k1', location: 'OS keychain (service jobsprint, account encryption-keys)', ids: ['k1'], shadowed: false });
    expect(r!.warning).toBeUndefined();
    expect(keychain.writes).toBe(1);
    // A second init finds them, with one read again.
    expect(await reads(() => expect(initLocalKeys(config())).rejects.toMatchObject({ exitCode: 5 }))).toBe(1);
  });

  it('keys add and keys remove read the keychain once each', async () => {
    await initLocalKeys(config());
    expect(await reads(() => addLocalKey(config()))).toBe(1);
    expect(await reads(() => removeLocalKey(config(), 'k1'))).toBe(1);
    const c = config();
    expect((await listKeys(c)).map((k) => [k.id, k.active, k.source])).toEqual([['k2', true, 'keychain']]);
  });

  it('one Config reads the keychain once for keys list, doctor and every credential operation', async () => {
    await initLocalKeys(config());
    const c = config();
    expect(
      await reads(async () => {
        await listKeys(c);
        await loadKeys(c);
        await keySet(c);
        await keySet(c);
      }),
    ).toBe(1);
    // keys add in the same process: what it wrote is what this Config loads next.
    await addLocalKey(c);
    expect((await keySet(c)).ids).toEqual(['k2', 'k1']);
    expect((await listKeys(c)).map((k) => k.id)).toEqual(['k2', 'k1']);
  });

  it('"no keys" is not remembered: keys initialised later are found by the same process', async () => {
    const c = config();
    await expect(keySet(c)).rejects.toMatchObject({ exitCode: 6 });
    await initLocalKeys(config());
    expect((await keySet(c)).ids).toEqual(['k1']);
  });

  it('falls back to the 0600 file, with one warning, when the keychain cannot be read', async () => {
    keychain.broken = true;
    let r: Awaited<ReturnType<typeof initLocalKeys>> | undefined;
    expect(await reads(async () => (r = await initLocalKeys(config())))).toBe(1);
    const file = join(home, '.config', 'jobsprint', 'encryption-keys');
    expect(r).toMatchObject({ id: 'k1', location: file });
    expect(r!.warning).toBe(`OS keychain unavailable (no secret service); keys stored in ${file} (mode 0600)`);
    // Keys in the file are found without asking the keychain.
    expect(await reads(() => addLocalKey(config()))).toBe(0);
  });
});
