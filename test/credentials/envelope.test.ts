import { describe, expect, it } from 'vitest';
import { randomBytes, randomUUID } from 'node:crypto';
import {
  CredentialDecryptError,
  HEADER_BYTES,
  PAYLOAD_OFFSET,
  openCredential,
  rewrapCredential,
  sealCredential,
} from '../../src/core/credentials/envelope.js';
import { KeySet, parseKeys, type Kek } from '../../src/core/credentials/keys.js';
import { CREDENTIAL_TYPES, validateCredentialData, maskCredentialData } from '../../src/core/credentials/types.js';
import { ServiceUnavailableError, ValidationError } from '../../src/core/errors.js';

const kek = (id: string): Kek => ({ id, key: randomBytes(32), source: 'env' });
const k1 = kek('k1');
const k2 = kek('k2');
const keys = new KeySet([k1]);
const both = new KeySet([k2, k1]);

const samples: Record<string, Record<string, unknown>> = {
  api_key: { apiKey: 'sk_live_' + randomBytes(12).toString('hex') },
  basic_auth: { user: 'ada', password: 'correct horse battery staple' },
  header_auth: { name: 'X-Api-Key', value: 'hv_' + randomBytes(10).toString('hex') },
  bearer: { token: 'eyJ' + randomBytes(20).toString('base64url') },
  oauth2: {
    clientId: 'client-1',
    clientSecret: 'cs_' + randomBytes(10).toString('hex'),
    accessTokenUrl: 'https://auth.example.com/token',
    scope: 'read write',
    oauthTokenData: { access_token: 'at_' + randomBytes(8).toString('hex'), refresh_token: 'rt_x', expires_at: '2030-01-01T00:00:00Z' },
  },
};

function binding() {
  return { credentialId: randomUUID(), userId: randomUUID() };
}

describe('envelope encryption', () => {
  it.each(CREDENTIAL_TYPES)('round-trips a %s credential', (type) => {
    const data = validateCredentialData(type, samples[type]);
    const b = binding();
    const { envelope, keyId } = sealCredential(keys, b, data);
    expect(keyId).toBe('k1');
    expect(envelope[0]).toBe(1); // format version byte
    expect(envelope.length).toBeGreaterThan(HEADER_BYTES);
    expect(envelope.toString('latin1')).not.toContain(JSON.stringify(data).slice(2, 12));
    expect(openCredential(keys, b, keyId, envelope)).toEqual(data);
  });

  it('uses a fresh data key and nonces for every encryption', () => {
    const b = binding();
    const a = sealCredential(keys, b, samples.bearer).envelope;
    const c = sealCredential(keys, b, samples.bearer).envelope;
    expect(a.subarray(1, 61).equals(c.subarray(1, 61))).toBe(false);
    expect(a.subarray(PAYLOAD_OFFSET).equals(c.subarray(PAYLOAD_OFFSET))).toBe(false);
  });

  const regions: Array<[string, number]> = [
    ['wrap nonce', 1],
    ['wrap tag', 13],
    ['wrapped key', 29],
    ['data nonce', 61],
    ['data tag', 73],
    ['ciphertext', HEADER_BYTES + 3],
  ];
  it.each(regions)('detects one flipped byte in the %s', (_name, offset) => {
    const b = binding();
    const { envelope, keyId } = sealCredential(keys, b, samples.basic_auth);
    const bad = Buffer.from(envelope);
    bad[offset]! ^= 0x01;
    let err: unknown;
    try {
      openCredential(keys, b, keyId, bad);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CredentialDecryptError);
    expect((err as Error).message).toBe(
      `cannot decrypt credential ${b.credentialId}: integrity check failed (the stored data was modified, belongs to another credential, or key_id was changed)`,
    );
    expect((err as Error).message).not.toMatch(/unsupported state|auth|bad decrypt/i);
  });

  it('refuses data moved to another credential or another owner', () => {
    const b = binding();
    const { envelope, keyId } = sealCredential(keys, b, samples.api_key);
    expect(() => openCredential(keys, { ...b, credentialId: randomUUID() }, keyId, envelope)).toThrow(/integrity check failed/);
    expect(() => openCredential(keys, { ...b, userId: randomUUID() }, keyId, envelope)).toThrow(/integrity check failed/);
  });

  it('refuses an envelope whose key_id was changed to another configured key', () => {
    const b = binding();
    const { envelope } = sealCredential(both, b, samples.api_key); // wrapped by k2
    expect(() => openCredential(both, b, 'k1', envelope)).toThrow(/integrity check failed/);
  });

  it('names the missing key instead of failing with a crypto error', () => {
    const b = binding();
    const { envelope } = sealCredential(both, b, samples.api_key);
    let err: unknown;
    try {
      openCredential(keys, b, 'k2', envelope);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ServiceUnavailableError);
    expect((err as ServiceUnavailableError).exitCode).toBe(6);
    expect((err as Error).message).toBe(`cannot decrypt credential ${b.credentialId}: key k2 not configured`);
  });

  it('rejects unknown versions and truncated data', () => {
    const b = binding();
    const { envelope, keyId } = sealCredential(keys, b, samples.api_key);
    const v9 = Buffer.from(envelope);
    v9[0] = 9;
    expect(() => openCredential(keys, b, keyId, v9)).toThrow(/unknown envelope format version 9/);
    expect(() => openCredential(keys, b, keyId, envelope.subarray(0, 40))).toThrow(/truncated/);
    expect(() => openCredential(keys, b, keyId, Buffer.alloc(0))).toThrow(CredentialDecryptError);
  });

  it('rewraps only the data key: the payload bytes stay identical', () => {
    const b = binding();
    const { envelope } = sealCredential(keys, b, samples.oauth2);
    const rewrapped = rewrapCredential(both, b, 'k1', 'k2', envelope);
    expect(rewrapped.subarray(PAYLOAD_OFFSET).equals(envelope.subarray(PAYLOAD_OFFSET))).toBe(true);
    expect(rewrapped.subarray(1, PAYLOAD_OFFSET).equals(envelope.subarray(1, PAYLOAD_OFFSET))).toBe(false);
    // Decryptable with k2 alone: the old key can be dropped.
    expect(openCredential(new KeySet([k2]), b, 'k2', rewrapped)).toEqual(samples.oauth2);
    expect(() => openCredential(both, b, 'k1', rewrapped)).toThrow(/integrity check failed/);
  });
});

describe('key configuration', () => {
  const b64 = () => randomBytes(32).toString('base64');

  it('parses id:base64 lists, the first being active', () => {
    const ks = new KeySet(parseKeys(`k2:${b64()}, k1:${b64()}`, 'env'));
    expect(ks.active.id).toBe('k2');
    expect(ks.ids).toEqual(['k2', 'k1']);
  });

  it('rejects a key that is not 32 bytes of base64 without echoing it', () => {
    const short = randomBytes(31).toString('base64');
    expect(() => parseKeys(`k1:${short}`, 'env')).toThrow(ValidationError);
    try {
      parseKeys(`k1:${short}`, 'env');
    } catch (e) {
      expect((e as Error).message).toBe('encryption key k1 (JOBSPRINT_ENCRYPTION_KEYS) is not 32 bytes of base64');
      expect((e as Error).message).not.toContain(short);
    }
    expect(() => parseKeys(`k1:not*base64!`, 'env')).toThrow(/not 32 bytes of base64/);
    expect(() => parseKeys(b64(), 'env')).toThrow(/has no id/);
    const dup = b64();
    expect(() => parseKeys(`k1:${dup},k1:${b64()}`, 'env')).toThrow(/appears twice/);
  });
});

describe('credential data', () => {
  it('rejects wrong fields for the type, naming fields but not values', () => {
    expect(() => validateCredentialData('basic_auth', { user: 'a' })).toThrow(/missing field "password" for basic_auth/);
    expect(() => validateCredentialData('bearer', { token: 'x', apiKey: 'hunter2' })).toThrow(/unknown field for bearer: apiKey/);
    expect(() => validateCredentialData('api_key', ['x'])).toThrow(/must be a JSON object/);
    expect(() => validateCredentialData('api_key', { apiKey: 42 })).toThrow(/"apiKey" must be a string/);
  });

  it('masks secret fields to their last four characters, short ones entirely', () => {
    expect(maskCredentialData('basic_auth', { user: 'ada', password: 'abcdefghijklc9f2' })).toEqual({ user: 'ada', password: '••••c9f2' });
    expect(maskCredentialData('bearer', { token: 'short' })).toEqual({ token: '••••' });
  });
});
