/**
 * AES-CTR backup encryption as Aerospike's io_proxy.c does it: the key is the SHA-256 of the
 * private key's DER encoding (or of the base64-decoded bytes of --encryption-key-env), cut to 16
 * bytes for aes128; a file starts with its 16-byte IV encrypted with AES-ECB, and the data that
 * follows is AES-CTR with the counter starting at IV + 1 (128-bit big-endian).
 */
import { createCipheriv, createDecipheriv, createHash, createPrivateKey, randomBytes, type Cipher } from 'node:crypto';
import { readFileSync } from 'node:fs';

export type EncryptionMode = 'aes128' | 'aes256';

export const IV_BYTES = 16;

/** Reads a PEM private key file into the bytes Aerospike hashes (i2d_PrivateKey: PKCS#1 for RSA, SEC1 for EC). */
export function readKeyFile(path: string): Buffer {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`could not open private key file "${path}": ${(e as Error).message}`);
  }
  return derOfPem(pem);
}

function derOfPem(pem: string): Buffer {
  let key;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw new Error('unable to parse private key, make sure the key is in PEM format');
  }
  if (key.asymmetricKeyType === 'rsa') return key.export({ format: 'der', type: 'pkcs1' });
  if (key.asymmetricKeyType === 'ec') return key.export({ format: 'der', type: 'sec1' });
  return key.export({ format: 'der', type: 'pkcs8' });
}

/** Reads --encryption-key-env: the variable holds the key bytes in base64. */
export function readKeyEnv(name: string, env: NodeJS.ProcessEnv = process.env): Buffer {
  const v = env[name];
  if (v === undefined) throw new Error(`no environment variable "${name}" found`);
  const t = v.trim();
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(t) || t.length % 4 !== 0) throw new Error(`unable to decode environment variable "${name}" as base64`);
  return Buffer.from(t, 'base64');
}

function aesKey(mode: EncryptionMode, keyMaterial: Buffer): Buffer {
  const digest = createHash('sha256').update(keyMaterial).digest();
  return mode === 'aes128' ? digest.subarray(0, 16) : digest;
}

/** counter + n as a 128-bit big-endian integer. */
export function ctrAdd(counter: Buffer, n: bigint): Buffer {
  const v = (BigInt('0x' + counter.toString('hex')) + n) & ((1n << 128n) - 1n);
  return Buffer.from(v.toString(16).padStart(32, '0'), 'hex');
}

export interface Encryptor {
  /** the IV (plain), kept by the state file so an appended file continues the key stream */
  iv: Buffer;
  /** bytes to put at the very start of a new file */
  header: Buffer;
  update(chunk: Buffer): Buffer;
}

/**
 * Starts encrypting a file. With `resume`, continues a key stream after `offset` data bytes of a
 * file that began with `resume.iv`.
 */
export function createEncryptor(mode: EncryptionMode, keyMaterial: Buffer, resume?: { iv: Buffer; offset: number }): Encryptor {
  const key = aesKey(mode, keyMaterial);
  const algo = mode === 'aes128' ? 'aes-128' : 'aes-256';
  let iv: Buffer;
  if (resume) iv = resume.iv;
  else {
    iv = Buffer.allocUnsafe(IV_BYTES);
    // most significant 32 bits: the time, the rest random (io_proxy.c _gen_iv)
    iv.writeUInt32BE(Math.floor(Date.now() / 1000) >>> 0, 0);
    randomBytes(12).copy(iv, 4);
  }
  const ecb = createCipheriv(`${algo}-ecb`, key, null);
  ecb.setAutoPadding(false);
  const header = Buffer.concat([ecb.update(iv), ecb.final()]);
  const offset = resume?.offset ?? 0;
  const ctr: Cipher = createCipheriv(`${algo}-ctr`, key, ctrAdd(iv, 1n + BigInt(Math.floor(offset / 16))));
  if (offset % 16 !== 0) ctr.update(Buffer.alloc(offset % 16)); // skip into the current block
  return { iv, header, update: (chunk) => ctr.update(chunk) };
}

export interface Decryptor {
  update(chunk: Buffer): Buffer;
}

/** Starts decrypting a file whose first 16 bytes (the encrypted IV) are `header`. */
export function createDecryptor(mode: EncryptionMode, keyMaterial: Buffer, header: Buffer): Decryptor {
  const key = aesKey(mode, keyMaterial);
  const algo = mode === 'aes128' ? 'aes-128' : 'aes-256';
  const ecb = createDecipheriv(`${algo}-ecb`, key, null);
  ecb.setAutoPadding(false);
  const iv = Buffer.concat([ecb.update(header), ecb.final()]);
  const ctr = createDecipheriv(`${algo}-ctr`, key, ctrAdd(iv, 1n));
  return { update: (chunk) => ctr.update(chunk) };
}
