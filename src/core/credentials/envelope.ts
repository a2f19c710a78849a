import { createCipheriv, createDecipheriv, randomFillSync } from 'node:crypto';
import { JobsprintError, ServiceUnavailableError } from '../errors.js';
import type { KeySet } from './keys.js';

/**
 * The `encrypted_data` envelope, format version 1:
 *
 *   offset  size  field
 *   0       1     format version (0x01)
 *   1       12    wrap nonce     \
 *   13      16    wrap tag        } the data key, AES-256-GCM under the KEK named by key_id
 *   29      32    wrapped key    /
 *   61      12    data nonce     \
 *   73      16    data tag        } the secret JSON, AES-256-GCM under the data key
 *   89      n     ciphertext     /
 *
 * Each credential has its own random 256-bit data key. Additional authenticated data binds
 * the payload to (version, credential id, owner id) and the wrapped key additionally to the
 * KEK id, so copying encrypted_data to another row, changing key_id, or editing any byte
 * fails authentication. Rotation rewrites only bytes 1–60 (rewrap); the payload is untouched.
 */
export const ENVELOPE_VERSION = 1;
const NONCE = 12;
const TAG = 16;
const DEK = 32;
const WRAP_NONCE_AT = 1;
const WRAP_TAG_AT = WRAP_NONCE_AT + NONCE;
const WRAPPED_AT = WRAP_TAG_AT + TAG;
const DATA_NONCE_AT = WRAPPED_AT + DEK;
const DATA_TAG_AT = DATA_NONCE_AT + NONCE;
export const HEADER_BYTES = DATA_TAG_AT + TAG; // 89
/** Where the encrypted payload starts; everything before it is version + wrapped data key. */
export const PAYLOAD_OFFSET = DATA_NONCE_AT;

export interface EnvelopeBinding {
  credentialId: string;
  userId: string;
}

/** Decryption failed: tampered, truncated, moved to another row, or an unknown format. */
export class CredentialDecryptError extends JobsprintError {
  override readonly code: string = 'decrypt_failed';
  constructor(credentialId: string, reason: string) {
    super(`cannot decrypt credential ${credentialId}: ${reason}`, {
      hint: `re-enter its data with \`jobsprint credentials update ${credentialId} --replace --data-stdin\``,
    });
  }
}

/** The credential's KEK is not in the configured key set. Exit 6, like no key at all. */
export function missingKeyError(credentialId: string, keyId: string | null): ServiceUnavailableError {
  return new ServiceUnavailableError('encryption keys', `cannot decrypt credential ${credentialId}: key ${keyId ?? '(none)'} not configured`, {
    hint: `add key ${keyId ?? '(none)'} back to JOBSPRINT_ENCRYPTION_KEYS (or _FILE), or re-enter the data with \`jobsprint credentials update ${credentialId} --replace --data-stdin\``,
  });
}

/**
 * Random bytes from a pooled CSPRNG buffer: one randomFillSync per 4 KiB instead of one
 * syscall-sized call per nonce and key (a single small randomBytes call costs more than the
 * AES-GCM operation it feeds). Handed-out bytes are copied and wiped from the pool.
 */
const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
let poolAt = POOL_BYTES;
function randomBytes(n: number): Buffer {
  if (poolAt + n > POOL_BYTES) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const out = Buffer.from(pool.subarray(poolAt, poolAt + n));
  pool.fill(0, poolAt, poolAt + n);
  poolAt += n;
  return out;
}

function payloadAad(b: EnvelopeBinding): Buffer {
  return Buffer.from(`jobsprint/credential/v${ENVELOPE_VERSION}/${b.credentialId}/${b.userId}`, 'utf8');
}

function wrapAad(b: EnvelopeBinding, keyId: string): Buffer {
  return Buffer.from(`jobsprint/data-key/v${ENVELOPE_VERSION}/${keyId}/${b.credentialId}/${b.userId}`, 'utf8');
}

function gcmEncrypt(key: Buffer, plaintext: Buffer, aad: Buffer): { nonce: Buffer; tag: Buffer; ct: Buffer } {
  const nonce = randomBytes(NONCE);
  const c = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG });
  c.setAAD(aad);
  const ct = Buffer.concat([c.update(plaintext), c.final()]);
  return { nonce, tag: c.getAuthTag(), ct };
}

/** Returns null when authentication fails; node's own error text never leaves this file. */
function gcmDecrypt(key: Buffer, nonce: Buffer, tag: Buffer, ct: Buffer, aad: Buffer): Buffer | null {
  try {
    const d = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG });
    d.setAAD(aad);
    d.setAuthTag(tag);
    return Buffer.concat([d.update(ct), d.final()]);
  } catch {
    return null;
  }
}

function wrapDataKey(kek: Buffer, dek: Buffer, aad: Buffer): Buffer {
  const w = gcmEncrypt(kek, dek, aad);
  return Buffer.concat([w.nonce, w.tag, w.ct]);
}

/** Encrypt a credential's data under the active KEK. Returns the envelope and the KEK id. */
export function sealCredential(keys: KeySet, binding: EnvelopeBinding, data: unknown): { envelope: Buffer; keyId: string } {
  const kek = keys.active;
  const dek = randomBytes(DEK);
  try {
    const payload = gcmEncrypt(dek, Buffer.from(JSON.stringify(data), 'utf8'), payloadAad(binding));
    const wrapped = wrapDataKey(kek.key, dek, wrapAad(binding, kek.id));
    const envelope = Buffer.concat([Buffer.from([ENVELOPE_VERSION]), wrapped, payload.nonce, payload.tag, payload.ct]);
    return { envelope, keyId: kek.id };
  } finally {
    dek.fill(0);
  }
}

function checkShape(credentialId: string, envelope: Buffer): void {
  if (envelope.length < 1) throw new CredentialDecryptError(credentialId, 'stored data is empty');
  if (envelope[0] !== ENVELOPE_VERSION) {
    throw new CredentialDecryptError(credentialId, `unknown envelope format version ${envelope[0]}`);
  }
  if (envelope.length < HEADER_BYTES) throw new CredentialDecryptError(credentialId, 'stored data is truncated');
}

function unwrapDataKey(keys: KeySet, binding: EnvelopeBinding, keyId: string | null, envelope: Buffer): Buffer {
  checkShape(binding.credentialId, envelope);
  const kek = keyId ? keys.get(keyId) : undefined;
  if (!kek) throw missingKeyError(binding.credentialId, keyId);
  const dek = gcmDecrypt(
    kek.key,
    envelope.subarray(WRAP_NONCE_AT, WRAP_TAG_AT),
    envelope.subarray(WRAP_TAG_AT, WRAPPED_AT),
    envelope.subarray(WRAPPED_AT, DATA_NONCE_AT),
    wrapAad(binding, keyId!),
  );
  if (!dek) throw tampered(binding.credentialId);
  return dek;
}

function tampered(credentialId: string): CredentialDecryptError {
  return new CredentialDecryptError(
    credentialId,
    'integrity check failed (the stored data was modified, belongs to another credential, or key_id was changed)',
  );
}

/** Decrypt a credential's data. Throws CredentialDecryptError or the missing-key error, never a crypto error. */
export function openCredential(keys: KeySet, binding: EnvelopeBinding, keyId: string | null, envelope: Buffer): unknown {
  const dek = unwrapDataKey(keys, binding, keyId, envelope);
  try {
    const plain = gcmDecrypt(
      dek,
      envelope.subarray(DATA_NONCE_AT, DATA_TAG_AT),
      envelope.subarray(DATA_TAG_AT, HEADER_BYTES),
      envelope.subarray(HEADER_BYTES),
      payloadAad(binding),
    );
    if (!plain) throw tampered(binding.credentialId);
    try {
      return JSON.parse(plain.toString('utf8'));
    } catch {
      throw new CredentialDecryptError(binding.credentialId, 'decrypted data is not JSON');
    } finally {
      plain.fill(0);
    }
  } finally {
    dek.fill(0);
  }
}

/**
 * Re-wrap the data key under another KEK (rotation). Only the wrap section changes; the
 * payload bytes are copied unchanged, so the secret itself is never decrypted.
 */
export function rewrapCredential(
  keys: KeySet,
  binding: EnvelopeBinding,
  fromKeyId: string | null,
  toKeyId: string,
  envelope: Buffer,
): Buffer {
  const target = keys.get(toKeyId);
  if (!target) throw new ServiceUnavailableError('encryption keys', `key ${toKeyId} not configured`);
  const dek = unwrapDataKey(keys, binding, fromKeyId, envelope);
  try {
    const wrapped = wrapDataKey(target.key, dek, wrapAad(binding, toKeyId));
    return Buffer.concat([envelope.subarray(0, 1), wrapped, envelope.subarray(PAYLOAD_OFFSET)]);
  } finally {
    dek.fill(0);
  }
}
