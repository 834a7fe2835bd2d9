import { LRUCache } from 'lru-cache';
import type { Clock } from '../internal/time.js';
import type { CallsResult, DistinctResult, GuardStore } from './types.js';
import { optionsObject } from '../internal/options.js';

/** Options of {@link MemoryGuardStore}. */
export interface MemoryGuardStoreOptions {
  /** Most keys kept (subjects, operators); the least recently used go first. Default `100000`. */
  maxKeys?: number;
  /** Clock in epoch ms. Default `Date.now`. */
  clock?: Clock;
}

interface DistinctSet {
  members: Set<string>;
  until: number;
  denied: boolean;
}

/**
 * Guard state in this process's memory: the default, right for one process. Bounded (LRU), so a
 * flood of distinct subjects cannot grow the heap without limit. With several processes, guard
 * state goes to Redis (`RedisGuardStore`), automatically when the quota or cache store is Redis.
 */
export class MemoryGuardStore implements GuardStore {
  readonly #clock: Clock;
  readonly #sets: LRUCache<string, DistinctSet>;
  readonly #calls: LRUCache<string, number[]>;
  readonly #blocks: LRUCache<string, number>;
  readonly #known: LRUCache<string, Map<string, number>>;

  constructor(options: MemoryGuardStoreOptions = {}) {
    options = optionsObject<MemoryGuardStoreOptions>(options, 'MemoryGuardStore', 'maxKeys');
    this.#clock = options.clock ?? Date.now;
    const max = options.maxKeys ?? 100_000;
    this.#sets = new LRUCache({ max });
    this.#calls = new LRUCache({ max });
    this.#blocks = new LRUCache({ max });
    this.#known = new LRUCache({ max });
  }

  async admitDistinct(key: string, member: string, max: number, windowMs: number): Promise<DistinctResult> {
    const now = this.#clock();
    let set = this.#sets.get(key);
    if (!set || set.until <= now) {
      set = { members: new Set(), until: now + windowMs, denied: false };
      this.#sets.set(key, set);
    }
    const remainingMs = set.until - now;
    if (set.members.has(member) || set.members.size < max) {
      set.members.add(member);
      return { allowed: true, distinct: set.members.size, remainingMs, firstDenial: false };
    }
    const firstDenial = !set.denied;
    set.denied = true;
    return { allowed: false, distinct: set.members.size, remainingMs, firstDenial };
  }

  async recordCall(key: string, keep: number, ttlMs: number): Promise<CallsResult> {
    const now = this.#clock();
    const blockedMs = (this.#blocks.get(key) ?? 0) - now;
    if (blockedMs > 0) return { times: [], blockedMs };
    const recent = (this.#calls.get(key) ?? []).filter((t) => t > now - ttlMs);
    recent.push(now);
    if (recent.length > keep) recent.splice(0, recent.length - keep);
    this.#calls.set(key, recent);
    return { times: [...recent], blockedMs: 0 };
  }

  async block(key: string, forMs: number): Promise<boolean> {
    const now = this.#clock();
    if ((this.#blocks.get(key) ?? 0) > now) return false;
    this.#blocks.set(key, now + forMs);
    this.#calls.delete(key);
    return true;
  }

  async remember(key: string, member: string, ttlMs: number): Promise<{ isNew: boolean; known: number }> {
    const now = this.#clock();
    let set = this.#known.get(key);
    if (!set) this.#known.set(key, (set = new Map()));
    for (const [m, until] of set) if (until <= now) set.delete(m); // each member expires on its own
    const isNew = !set.has(member);
    const known = set.size;
    set.delete(member); // re-inserted last: the oldest-seen go first when the bound is reached
    if (set.size >= 256) set.delete(set.keys().next().value!);
    set.set(member, now + ttlMs);
    return { isNew, known };
  }
}
