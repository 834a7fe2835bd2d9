import { LRUCache } from 'lru-cache';
import { pack, unpack } from './pack.js';
import type { CachedEntry, CacheStore } from './types.js';
import { optionsObject } from '../internal/options.js';

/** Options of {@link MemoryCacheStore}. */
export interface MemoryCacheStoreOptions {
  /** Most entries kept; the least recently used go first. Default `10000`. */
  maxEntries?: number;
  /** Clock in epoch ms, for tests. Default `Date.now`. */
  clock?: () => number;
}

/**
 * The embedded default: an LRU with per-entry TTL (lru-cache), in this process's memory. Values are
 * kept as plain data (not encrypted: they never leave the process). `invalidateSubject` scans the
 * keys: it is rare (an officer corrects a record), and an index per citizen would cost more memory
 * than the entries themselves.
 */
export class MemoryCacheStore implements CacheStore {
  readonly #lru: LRUCache<string, string>;

  constructor(options: MemoryCacheStoreOptions = {}) {
    options = optionsObject<MemoryCacheStoreOptions>(options, 'MemoryCacheStore', 'maxEntries');
    const clock = options.clock;
    this.#lru = new LRUCache<string, string>({
      max: options.maxEntries ?? 10_000,
      ttlAutopurge: false,
      // An injected clock must be read on every check (lru-cache otherwise caches 'now' for 1 ms).
      ...(clock ? { perf: { now: clock }, ttlResolution: 0 } : {}),
    });
  }

  get(key: string): CachedEntry | undefined {
    const v = this.#lru.get(key);
    return v === undefined ? undefined : unpack(v);
  }

  set(key: string, _subject: string, entry: CachedEntry, ttlMs: number): void {
    // Round-trip through a Buffer: V8 keeps concatenated strings as ropes; this stores flat ones.
    this.#lru.set(Buffer.from(key).toString(), Buffer.from(pack(entry)).toString(), { ttl: ttlMs });
  }

  /** Keys start with their subject (see `CacheStore`): a scan by prefix. */
  invalidateSubject(subject: string): number {
    const keys: string[] = [];
    for (const k of this.#lru.keys()) if (k.startsWith(subject)) keys.push(k);
    for (const k of keys) this.#lru.delete(k);
    return keys.length;
  }

  size(): number {
    return this.#lru.size;
  }
}
