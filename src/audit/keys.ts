import { hkdfSync, randomBytes } from 'node:crypto';
import { secretBytes } from '../internal/options.js';
import { expectString, ValidationError } from '../errors.js';

/**
 * Keys of the audit trail, derived from `audit.secret` with HKDF-SHA256 (salt bound to the key id):
 * one for the subject HMAC, one for checkpoint signatures. `dancu audit verify --secret` derives the
 * same checkpoint key. Without a secret: random keys (subjects not comparable across restarts, and
 * checkpoints that no one else could verify are not written).
 */
export function deriveAuditKeys(secret: string | Buffer | undefined, keyId: string): { subject: Buffer; checkpoint: Buffer | undefined } {
  if (secret !== undefined && typeof secret !== 'string' && !Buffer.isBuffer(secret)) throw new ValidationError('ERR_INPUT_INVALID', 'secret', 'invalid_type', 'must be the audit secret (a string or Buffer)');
  expectString(keyId, 'keyId');
  const ikm = secret === undefined ? randomBytes(32) : secretBytes(secret);
  const derive = (info: string) => Buffer.from(hkdfSync('sha256', ikm, Buffer.from(`dancu-audit:${keyId}`), info, 32));
  return { subject: derive('subject'), checkpoint: secret === undefined ? undefined : derive('checkpoint') };
}
