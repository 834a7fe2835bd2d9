import { LRUCache } from 'lru-cache';
import type { CachedEntry, CacheStore } from './types.js';

/** Options of {@link MemoryCacheStore}. */
export interface MemoryCacheStoreOptions {
  /** Most entries kept; the least recently used go first. Default `10000`. */
  maxEntries?: number;
  /** Clock in epoch ms, for tests. Default `Date.now`. */
  clock?: () => number;
}

interface Held {
  subject: string;
  entry: CachedEntry;
}

/**
 * The embedded default: an LRU with per-entry TTL (lru-cache), in this process's memory. Values are
 * kept as objects (not encrypted: they never leave the process).
 */
export class MemoryCacheStore implements CacheStore {
  readonly #lru: LRUCache<string, Held>;
  readonly #subjects = new Map<string, Set<string>>();

  constructor(options: MemoryCacheStoreOptions = {}) {
    const clock = options.clock;
    this.#lru = new LRUCache<string, Held>({
      max: options.maxEntries ?? 10_000,
      ttlAutopurge: false,
      // An injected clock must be read on every check (lru-cache otherwise caches 'now' for 1 ms).
      ...(clock ? { perf: { now: clock }, ttlResolution: 0 } : {}),
      dispose: (held, key) => {
        const keys = this.#subjects.get(held.subject);
        keys?.delete(key);
        if (keys?.size === 0) this.#subjects.delete(held.subject);
      },
    });
  }

  get(key: string): CachedEntry | undefined {
    return this.#lru.get(key)?.entry;
  }

  set(key: string, subject: string, entry: CachedEntry, ttlMs: number): void {
    this.#lru.set(key, { subject, entry }, { ttl: ttlMs });
    let keys = this.#subjects.get(subject);
    if (!keys) this.#subjects.set(subject, (keys = new Set()));
    keys.add(key);
  }

  invalidateSubject(subject: string): number {
    const keys = [...(this.#subjects.get(subject) ?? [])];
    for (const k of keys) this.#lru.delete(k);
    this.#subjects.delete(subject);
    return keys.length;
  }

  size(): number {
    return this.#lru.size;
  }
}
