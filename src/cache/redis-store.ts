import { createCipheriv, createDecipheriv, randomBytes, timingSafeEqual } from 'node:crypto';
import { ConfigError } from '../errors.js';
import { checkPrefix, RedisScript, scriptClientOption, type RedisClientLike, type RedisConnection } from '../internal/redis.js';
import { SUBJECT_CHARS } from './keys.js';
import { pack, unpack } from './pack.js';
import type { CachedEntry, CacheStore } from './types.js';

const GET = `return redis.call('GET', KEYS[1])`;
/**
 * KEYS: entry, subject index (one Cluster slot: both are tagged with the subject). ARGV: value,
 * ttl ms, the entry's cache key (the index holds that, not the whole Redis key). The index lives as
 * long as its longest entry.
 */
const SET = `
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
local ttl = redis.call('PTTL', KEYS[2])
if ttl < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[2], ARGV[2]) end
return 1`;
/**
 * KEYS: subject index. ARGV: `<prefix>:c:`, the subject's length. Each member is a cache key; its
 * Redis key (same slot: the subject's tag) is rebuilt as {@link RedisCacheStore.keyOf} builds it.
 */
const INVALIDATE = `
local keys = redis.call('SMEMBERS', KEYS[1])
local n, len = 0, tonumber(ARGV[2])
for _, k in ipairs(keys) do
  n = n + redis.call('DEL', ARGV[1] .. '{' .. string.sub(k, 1, len) .. '}' .. string.sub(k, len + 1))
end
redis.call('DEL', KEYS[1])
return n`;
const ACQUIRE = `if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end return 0`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
const HELD = `return redis.call('EXISTS', KEYS[1])`;

/** How `createClient` hands a store the key it derived (a symbol: no duck-typed public mutator). */
export const BIND_CACHE_KEY = Symbol.for('dancu.cache.bindKey');

/** Options of {@link RedisCacheStore}. */
export interface RedisCacheStoreOptions {
  /** Your ioredis or node-redis client. dancu never closes it. */
  client: RedisClientLike;
  /**
   * 32-byte AES-256-GCM key for values at rest. Usually not set here: the first client given the
   * store binds the key it derives from `cache.secret` (HKDF), and a client with another
   * `cache.secret` is then refused (`ERR_CONFIG_INVALID`). Set here, it is the store's for good and
   * every client uses it.
   */
  encryptionKey?: Buffer;
  /**
   * Key prefix, so several deployments can share one Redis. Default `dancu`. Keys are
   * `<prefix>:c:{<subject>}…` and `<prefix>:s:{<subject>}`: a citizen's entries, locks and index
   * share one Redis Cluster slot, and citizens spread over the masters.
   */
  prefix?: string;
}

/**
 * Shared by every process: values encrypted at rest with AES-256-GCM (the key as associated data,
 * so a value cannot be moved to another key), TTL kept by Redis, and a per-key lock for
 * cross-process single-flight. Keys and subjects are HMACs: Redis never holds an ID number or a name.
 */
export class RedisCacheStore implements CacheStore {
  /** The Redis this store lives in (the client's guard state is kept beside it). */
  readonly redis: RedisConnection;
  readonly #scripts: Record<'get' | 'set' | 'invalidate' | 'acquire' | 'release' | 'held', RedisScript>;
  readonly #prefix: string;
  #aes: Buffer | undefined;
  /** The key came with the constructor: clients do not bind theirs. */
  #ownKey = false;

  constructor(options: RedisCacheStoreOptions) {
    const client = scriptClientOption((options as { client?: unknown } | undefined)?.client);
    const s = (src: string) => new RedisScript(client, src);
    this.#scripts = { get: s(GET), set: s(SET), invalidate: s(INVALIDATE), acquire: s(ACQUIRE), release: s(RELEASE), held: s(HELD) };
    const prefix = checkPrefix(options.prefix);
    this.#prefix = prefix;
    this.redis = { client, prefix, clock: undefined };
    if (options.encryptionKey !== undefined) {
      if (!Buffer.isBuffer(options.encryptionKey) || options.encryptionKey.length !== 32) {
        throw new ConfigError([{ path: 'encryptionKey', received: typeof options.encryptionKey, message: 'must be a 32-byte Buffer (AES-256)', fix: 'pass randomBytes(32) from your secret store, or leave it out and set cache.secret' }]);
      }
      this.#aes = Buffer.from(options.encryptionKey);
      this.#ownKey = true;
    }
  }

  /**
   * Called by `createClient` with the key it derived from `cache.secret`: bound once; the same key
   * again is fine; another key is refused, so two clients with different secrets can never
   * silently turn each other's entries into misses. Not part of the public API.
   */
  [BIND_CACHE_KEY](key: Buffer): void {
    if (this.#ownKey) return;
    if (this.#aes === undefined) this.#aes = Buffer.from(key);
    else if (!timingSafeEqual(this.#aes, key)) {
      throw new ConfigError([{
        path: 'cache.store', received: 'object',
        message: 'this RedisCacheStore is already used by a client with another cache.secret (or key id); one store encrypts with one key',
        fix: 'give every client that shares the store the same cache.secret and keyId, or give each secret its own store and prefix',
      }]);
    }
  }

  /** The Redis key of a cache key (for inspection): tagged with the key's subject, its first 12 characters. */
  keyOf(key: string): string {
    return `${this.#prefix}:c:{${key.slice(0, SUBJECT_CHARS)}}${key.slice(SUBJECT_CHARS)}`;
  }

  #indexOf(subject: string): string {
    return `${this.#prefix}:s:{${subject}}`;
  }

  /** Load the six scripts (SCRIPT LOAD): rejects if Redis does not answer. */
  async ready(): Promise<void> {
    await Promise.all(Object.values(this.#scripts).map((s) => s.load()));
  }

  async get(key: string): Promise<CachedEntry | undefined> {
    const raw = await this.#scripts.get.run([this.keyOf(key)], []);
    if (raw === null || raw === undefined) return undefined;
    try {
      const plain = this.#open(String(raw), key);
      return unpack(plain);
    } catch {
      return undefined; // written with another key (rotation) or tampered with: a miss, never an error
    }
  }

  async set(key: string, subject: string, entry: CachedEntry, ttlMs: number): Promise<void> {
    await this.#scripts.set.run([this.keyOf(key), this.#indexOf(subject)], [this.#seal(pack(entry), key), String(Math.max(1, Math.ceil(ttlMs))), key]);
  }

  async invalidateSubject(subject: string): Promise<number> {
    return Number(await this.#scripts.invalidate.run([this.#indexOf(subject)], [`${this.#prefix}:c:`, String(SUBJECT_CHARS)]));
  }

  /** Not tracked for a shared store (it would need a SCAN of Redis): always `-1`. */
  size(): number {
    return -1;
  }

  async acquire(key: string, ttlMs: number, token: string): Promise<boolean> {
    return Number(await this.#scripts.acquire.run([`${this.keyOf(key)}:lock`], [token, String(Math.ceil(ttlMs))])) === 1;
  }

  async release(key: string, token: string): Promise<void> {
    await this.#scripts.release.run([`${this.keyOf(key)}:lock`], [token]);
  }

  async held(key: string): Promise<boolean> {
    return Number(await this.#scripts.held.run([`${this.keyOf(key)}:lock`], [])) === 1;
  }

  #key(): Buffer {
    if (!this.#aes) throw new ConfigError([{ path: 'cache.secret', received: 'undefined', message: 'this RedisCacheStore has no encryption key', fix: 'pass it to createClient({ cache: { store, secret } }) or give the store an encryptionKey' }]);
    return this.#aes;
  }

  #seal(plain: string, aad: string): string {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.#key(), iv);
    c.setAAD(Buffer.from(aad));
    const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
    return Buffer.concat([iv, c.getAuthTag(), body]).toString('base64');
  }

  #open(sealed: string, aad: string): string {
    const buf = Buffer.from(sealed, 'base64');
    const d = createDecipheriv('aes-256-gcm', this.#key(), buf.subarray(0, 12));
    d.setAAD(Buffer.from(aad));
    d.setAuthTag(buf.subarray(12, 28));
    return Buffer.concat([d.update(buf.subarray(28)), d.final()]).toString('utf8');
  }
}
