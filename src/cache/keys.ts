import { createHmac, createSecretKey, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';
import { hiddenTag } from '../internal/hidden-tag.js';
import { secretBytes } from '../internal/options.js';

/**
 * Keys derived from the configured cache secret with HKDF-SHA256, one per use, bound to the key
 * id: rotating the secret (new `keyId`) makes every old entry unreachable, and nothing derived for
 * one use (cache keys) can decrypt another (values at rest).
 */
export interface CacheKeys {
  keyId: string;
  /** A KeyObject: imported once, not on every HMAC. */
  hmac: KeyObject;
  aes: Buffer;
}

export function deriveCacheKeys(secret: string | Buffer | undefined, keyId: string): CacheKeys {
  const ikm = secret === undefined ? randomBytes(32) : secretBytes(secret);
  const derive = (info: string) => Buffer.from(hkdfSync('sha256', ikm, Buffer.from(`dancu-cache:${keyId}`), info, 32));
  return { keyId, hmac: createSecretKey(derive('key')), aes: derive('value') };
}

function mac(keys: CacheKeys, parts: readonly string[]): Buffer {
  return createHmac('sha256', keys.hmac).update(parts.join('\u001f')).digest();
}

/**
 * The subject of a citizen's entries (72 bits of HMAC(ID number), 12 base64url characters) groups
 * them so they can be invalidated together, and reveals nothing of the ID. The key of one cached
 * answer is the subject followed by 72 bits of SHA-256 over the rest of that HMAC (184 bits no key
 * shows) and the operation and normalised input: keys of one citizen share their prefix, and
 * nothing about the name or date can be tested without the secret. One HMAC per call, not two.
 */
export function subjectKey(keys: CacheKeys, idNumber: string): string {
  return mac(keys, ['s', idNumber]).subarray(0, 9).toString('base64url');
}

/** Length of a subject (9 bytes in base64url); a key's first `SUBJECT_CHARS` characters are its subject. */
export const SUBJECT_CHARS = 12;

export function entryKey(keys: CacheKeys, idNumber: string, parts: readonly string[]): { key: string; subject: string; citizen: string } {
  const full = mac(keys, ['s', idNumber]);
  const subject = full.toString('base64url', 0, 9);
  const hidden = full.toString('base64url', 9);
  return { key: subject + hiddenTag(hidden, parts, 12), subject, citizen: hidden };
}
