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

/** HMAC-SHA256 of the parts (unit-separated), base64url: an opaque, fixed-size key. */
export function hmacKey(keys: CacheKeys, parts: readonly string[]): string {
  return createHmac('sha256', keys.hmac).update(parts.join('\u001f')).digest('base64url');
}
