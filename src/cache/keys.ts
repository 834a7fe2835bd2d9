import { createHmac, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Keys derived from the configured cache secret with HKDF-SHA256, one per use, bound to the key
 * id: rotating the secret (new `keyId`) makes every old entry unreachable, and nothing derived for
 * one use (cache keys) can decrypt another (values at rest).
 */
export interface CacheKeys {
  keyId: string;
  hmac: Buffer;
  aes: Buffer;
}

export function deriveCacheKeys(secret: string | Buffer | undefined, keyId: string): CacheKeys {
  const ikm = secret === undefined ? randomBytes(32) : Buffer.isBuffer(secret) ? secret : Buffer.from(secret, 'utf8');
  const derive = (info: string) => Buffer.from(hkdfSync('sha256', ikm, Buffer.from(`dancu-cache:${keyId}`), info, 32));
  return { keyId, hmac: derive('key'), aes: derive('value') };
}

function mac(keys: CacheKeys, parts: readonly string[]): Buffer {
  return createHmac('sha256', keys.hmac).update(parts.join('\u001f')).digest();
}

/**
 * The subject of a citizen's entries (72 bits of HMAC(ID number), 12 base64url characters) groups
 * them so they can be invalidated together, and reveals nothing of the ID. The key of one cached
 * answer is the subject followed by 72 bits of HMAC over the operation and the normalised input:
 * keys of one citizen share their prefix.
 */
export function subjectKey(keys: CacheKeys, idNumber: string): string {
  return mac(keys, ['s', idNumber]).subarray(0, 9).toString('base64url');
}

export function entryKey(keys: CacheKeys, idNumber: string, parts: readonly string[]): { key: string; subject: string } {
  const subject = mac(keys, ['s', idNumber]).subarray(0, 9);
  // One buffer, one encoding: a flat string (a concatenation would keep a rope of two).
  const key = Buffer.concat([subject, mac(keys, [idNumber, ...parts]).subarray(0, 9)]).toString('base64url');
  return { key, subject: subject.toString('base64url') };
}
