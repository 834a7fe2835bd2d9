import type { Clock } from '../internal/time.js';
import type { CacheOptions } from '../options.js';
import type { CachePlan } from './dedup.js';
import { deriveCacheKeys } from './keys.js';
import { MemoryCacheStore } from './memory-store.js';
import { BIND_CACHE_KEY } from './redis-store.js';
import type { CacheStore } from './types.js';

/** The cache's options after defaults: pure data, the user's store if any (nothing built, no key derived). */
export type CacheSettings = Omit<CachePlan, 'keys' | 'store'> & { store: CacheStore | undefined; maxEntries: number; secret: string | Buffer | undefined; keyId: string };

export function cacheSettings(c: CacheOptions | undefined): CacheSettings {
  const ttl = c?.ttlMs ?? {};
  return {
    enabled: c?.enabled ?? true,
    ttlMs: { match: ttl.match ?? 24 * 3_600_000, mismatch: ttl.mismatch ?? 5 * 60_000, notFound: ttl.notFound ?? 5 * 60_000, lookup: ttl.lookup ?? 0 },
    shareAcrossPurposes: c?.shareAcrossPurposes ?? false,
    store: c?.store,
    maxEntries: c?.maxEntries ?? 10_000,
    secret: c?.secret,
    keyId: c?.keyId ?? 'k1',
    joinTimeoutMs: c?.joinTimeoutMs ?? 2_000,
    storeTimeoutMs: c?.storeTimeoutMs ?? 500,
  };
}

/**
 * The cache a client runs with: its keys (HKDF of the secret, random without one), the store
 * (memory by default), and a Redis store given the value key it encrypts with (bound once; another
 * client with another secret is refused).
 */
export function buildCache(s: CacheSettings, clock: Clock | undefined): CachePlan {
  const keys = deriveCacheKeys(s.secret, s.keyId);
  const store = s.store ?? new MemoryCacheStore({ maxEntries: s.maxEntries, ...(clock ? { clock } : {}) });
  const bindable = store as CacheStore & { [BIND_CACHE_KEY]?: (key: Buffer) => void };
  if (typeof bindable[BIND_CACHE_KEY] === 'function') bindable[BIND_CACHE_KEY](keys.aes);
  const { maxEntries: _m, secret: _s, keyId: _k, ...plan } = s;
  return { ...plan, keys, store };
}
