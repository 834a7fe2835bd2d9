import { createHash, createHmac, createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject, sign, timingSafeEqual, verify } from 'node:crypto';
import { canonicalJson, sha256Hex } from '../internal/canonical.js';
import { ConfigError, ValidationError } from '../errors.js';

/** `prev` of a chain's first checkpoint, and `hash` of a genesis checkpoint (the chain before its first event). */
export const NO_CHECKPOINT = '0'.repeat(64);

/**
 * A signed statement about one writer's chain, itself a link of a chain of checkpoints (`prev` is
 * the {@link checkpointId} of the one before):
 * - `genesis` — the chain starts here (`seq` 0); `replaces` names chains it took over from;
 * - `head` — the chain had reached `seq` with `hash` (by count or by time);
 * - `close` — the writer closed the chain at `seq`: an event after it needs a `resume`;
 * - `resume` — a writer opened the chain again at `seq` (after a close or a crash);
 * - `seal` — retention: the chain up to `seq` was verified and may be pruned (kept in `seals.jsonl`,
 *   not in the chain of checkpoints; `verify` starts at the latest seal whose events are gone).
 *
 * Signed with Ed25519 (`alg: 'ed25519'`, `kid` = the public key's fingerprint) so that an auditor
 * verifies it with the public key alone; `hmac-sha256` (a key derived from `audit.secret`) is for
 * development: whoever holds the secret can forge it.
 */
export interface Checkpoint {
  v: 2;
  kind: 'genesis' | 'head' | 'close' | 'resume' | 'seal';
  instance: string;
  seq: number;
  hash: string;
  ts: string;
  prev: string;
  replaces?: string[];
  alg: 'ed25519' | 'hmac-sha256';
  kid: string;
  sig: string;
}

/** What signs checkpoints: build one with {@link checkpointSigner}. */
export interface CheckpointSigner {
  readonly alg: Checkpoint['alg'];
  readonly kid: string;
  sign(payload: string): string;
}

/** How an auditor checks signatures: the public key (Ed25519) or, for a development trail, the HMAC key. */
export interface CheckpointKeys {
  /** Ed25519 public key (PEM, or a KeyObject): `dancu audit keygen` writes it. */
  publicKey?: string | Buffer | KeyObject;
  /** HMAC key of a development trail: `deriveAuditKeys(secret, keyId).checkpoint`. */
  hmacKey?: Buffer;
}

const badKey = (path: string, message: string, fix: string) => new ConfigError([{ path, received: 'key', message, fix }]);

/** Ed25519 key pair as PEM (`dancu audit keygen`). */
export function generateAuditKeyPair(): { privateKey: string; publicKey: string; kid: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(), kid: keyFingerprint(publicKey) };
}

/** Fingerprint of a public key: the first 16 bytes of SHA-256 over its DER (SPKI), hex. */
export function keyFingerprint(publicKey: KeyObject): string {
  if (!(publicKey instanceof KeyObject) || publicKey.type !== 'public') throw new ValidationError('ERR_INPUT_INVALID', 'publicKey', 'invalid_argument', 'must be a public KeyObject (crypto.createPublicKey)');
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 32);
}

function ed25519Key(key: string | Buffer | KeyObject, type: 'private' | 'public', path: string): KeyObject {
  let k: KeyObject;
  try {
    k = typeof key === 'object' && !Buffer.isBuffer(key) && (key as KeyObject).type !== undefined
      ? (key as KeyObject).type === 'private' && type === 'public' ? createPublicKey(key as KeyObject) : (key as KeyObject)
      : type === 'private' ? createPrivateKey(key as string | Buffer) : createPublicKey(key as string | Buffer);
  } catch {
    throw badKey(path, `is not a ${type} key in PEM`, `make a key pair with "dancu audit keygen" and pass the ${type} key`);
  }
  if (k.asymmetricKeyType !== 'ed25519' || k.type !== type) throw badKey(path, `must be an Ed25519 ${type} key (got ${k.asymmetricKeyType ?? 'a secret key'} ${k.type})`, 'make a key pair with "dancu audit keygen"');
  return k;
}

/**
 * A signer for checkpoints: `{ privateKey }` (Ed25519 PEM, the production setting), or
 * `{ hmacKey, kid }` (development: `deriveAuditKeys(secret, keyId).checkpoint`).
 */
export function checkpointSigner(key: { privateKey: string | Buffer | KeyObject } | { hmacKey: Buffer; kid: string }): CheckpointSigner {
  if (typeof key !== 'object' || key === null) throw badKey('audit.signingKey', 'must be { privateKey } or { hmacKey, kid }', 'pass the Ed25519 private key from "dancu audit keygen"');
  if ('privateKey' in key) {
    const priv = ed25519Key(key.privateKey, 'private', 'audit.signingKey');
    const kid = keyFingerprint(createPublicKey(priv));
    return Object.freeze({ alg: 'ed25519' as const, kid, sign: (payload: string) => sign(null, Buffer.from(payload), priv).toString('base64') });
  }
  if (!Buffer.isBuffer(key.hmacKey) || key.hmacKey.length < 32 || typeof key.kid !== 'string' || key.kid === '') {
    throw badKey('audit.secret', 'an HMAC checkpoint key is ≥ 32 bytes with a key id', 'use deriveAuditKeys(secret, keyId).checkpoint');
  }
  const hmacKey = Buffer.from(key.hmacKey);
  return Object.freeze({ alg: 'hmac-sha256' as const, kid: key.kid, sign: (payload: string) => createHmac('sha256', hmacKey).update(payload).digest('base64') });
}

/** The text a checkpoint's signature covers: its canonical JSON without `sig`. */
function payloadOf(c: Omit<Checkpoint, 'sig'> & { sig?: string }): string {
  const { sig: _sig, ...rest } = c;
  void _sig;
  return canonicalJson(rest);
}

/** Identity of a checkpoint (what the next one's `prev` holds): SHA-256 of its signed text. */
export function checkpointId(c: Checkpoint): string {
  if (!isCheckpoint(c)) throw new ValidationError('ERR_INPUT_INVALID', 'checkpoint', 'invalid_argument', 'must be a checkpoint');
  return sha256Hex(payloadOf(c));
}

export function signCheckpoint(signer: CheckpointSigner, c: Omit<Checkpoint, 'v' | 'sig' | 'alg' | 'kid'>): Checkpoint {
  const unsigned = { v: 2 as const, ...c, alg: signer.alg, kid: signer.kid };
  return { ...unsigned, sig: signer.sign(payloadOf(unsigned)) };
}

/** The line a checkpoint is stored as. */
export function checkpointLine(c: Checkpoint): string {
  return canonicalJson(c);
}

const HEX64 = /^[0-9a-f]{64}$/;

/** Whether a value is a well-formed checkpoint object. Never throws. */
export function isCheckpoint(v: unknown): v is Checkpoint {
  try {
    return typeof v === 'object' && v !== null && parseCheckpoint(JSON.stringify(v)) !== undefined;
  } catch {
    return false;
  }
}

/** A checkpoint read back from storage, or why not. Never throws. */
export function parseCheckpoint(text: string): Checkpoint | undefined {
  let c: unknown;
  try {
    c = JSON.parse(String(text));
  } catch {
    return undefined;
  }
  if (typeof c !== 'object' || c === null) return undefined;
  const o = c as Record<string, unknown>;
  const ok = o['v'] === 2 && ['genesis', 'head', 'close', 'resume', 'seal'].includes(o['kind'] as string) && typeof o['instance'] === 'string' && Number.isSafeInteger(o['seq']) && (o['seq'] as number) >= 0 &&
    typeof o['hash'] === 'string' && HEX64.test(o['hash']) && typeof o['ts'] === 'string' && typeof o['prev'] === 'string' && HEX64.test(o['prev']) &&
    (o['alg'] === 'ed25519' || o['alg'] === 'hmac-sha256') && typeof o['kid'] === 'string' && typeof o['sig'] === 'string' &&
    (o['replaces'] === undefined || (Array.isArray(o['replaces']) && o['replaces'].every((r) => typeof r === 'string')));
  return ok ? (c as Checkpoint) : undefined;
}

/** Verification keys, checked and prepared once. */
export interface PreparedKeys {
  publicKey?: KeyObject;
  kid?: string;
  hmacKey?: Buffer;
}

export function prepareKeys(keys: CheckpointKeys | undefined): PreparedKeys {
  if (keys === undefined) return {};
  if (typeof keys !== 'object' || keys === null) throw new ValidationError('ERR_INPUT_INVALID', 'keys', 'invalid_argument', 'pass { publicKey } or { hmacKey }');
  const out: PreparedKeys = {};
  if (keys.publicKey !== undefined) {
    try {
      out.publicKey = ed25519Key(keys.publicKey, 'public', 'publicKey');
    } catch {
      throw new ValidationError('ERR_INPUT_INVALID', 'publicKey', 'invalid_argument', 'must be the Ed25519 public key (PEM) that "dancu audit keygen" wrote');
    }
    out.kid = keyFingerprint(out.publicKey);
  }
  if (keys.hmacKey !== undefined) {
    if (!Buffer.isBuffer(keys.hmacKey)) throw new ValidationError('ERR_INPUT_INVALID', 'hmacKey', 'invalid_argument', 'must be a Buffer (deriveAuditKeys(secret, keyId).checkpoint)');
    out.hmacKey = keys.hmacKey;
  }
  return out;
}

/**
 * Check a checkpoint's signature: `ok`, `bad` (forged or altered), `wrong_key` (signed by another
 * key than the one given) or `unchecked` (no key of its kind given).
 */
export function checkSignature(c: Checkpoint, keys: PreparedKeys): 'ok' | 'bad' | 'wrong_key' | 'unchecked' {
  const payload = payloadOf(c);
  if (c.alg === 'ed25519') {
    if (!keys.publicKey) return 'unchecked';
    if (c.kid !== keys.kid) return 'wrong_key';
    try {
      return verify(null, Buffer.from(payload), keys.publicKey, Buffer.from(c.sig, 'base64')) ? 'ok' : 'bad';
    } catch {
      return 'bad';
    }
  }
  if (!keys.hmacKey) return 'unchecked';
  const want = createHmac('sha256', keys.hmacKey).update(payload).digest();
  const got = Buffer.from(c.sig, 'base64');
  return got.length === want.length && timingSafeEqual(got, want) ? 'ok' : 'bad';
}
