import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { withTimeout } from '../internal/timeout.js';
import type { CacheKeys } from './keys.js';
import type { CachedEntry, CacheStore } from './types.js';

/** Where a result came from. */
export type ResultSource = 'upstream' | 'cache' | 'joined';

/** Cache settings after validation and defaults. */
export interface CachePlan {
  enabled: boolean;
  keys: CacheKeys;
  ttlMs: { match: number; mismatch: number; notFound: number; lookup: number };
  shareAcrossPurposes: boolean;
  store: CacheStore;
  /** How long a process waits for another process's call to the same key before calling itself. */
  joinTimeoutMs: number;
  /** Longest a cache store call may take before it counts as a miss, in ms. */
  storeTimeoutMs: number;
}

/** `cache.stats()`. */
export interface CacheStats {
  /** Answers served from the cache. */
  hits: number;
  /** Lookups of the cache that found nothing (the call went on upstream or joined another). */
  misses: number;
  /** Calls that joined an identical call in flight (this process or another) instead of calling. */
  joins: number;
  /** Entries held (`-1` for a shared store, which does not count them). */
  size: number;
}

export interface DedupOutcome {
  entry: CachedEntry;
  source: ResultSource;
}

/**
 * What {@link Dedup.begin} hands a call: an answer to serve (from the cache, or joined from an
 * identical call in flight), or the lead — then the call asks the upstream itself and must end
 * with `settle(entry)` or `fail(err)`, which answer every call that joined it.
 */
export type DedupSlot =
  | { lead: false; entry: CachedEntry; source: 'cache' | 'joined' }
  | { lead: true; settle(entry: CachedEntry): Promise<void>; fail(err: unknown): Promise<void> };

const POLL_MS = 15;

/** The lead of a call nobody shares (cache off): nothing to store, nobody to answer. */
const ALONE: DedupSlot = { lead: true, settle: () => Promise.resolve(), fail: () => Promise.resolve() };

/**
 * Step 4 of the pipeline. Single-flight in the process (a Map of pending promises, dropped when
 * they settle, so a failure is never cached), then the cache store, then — for a shared store —
 * a per-key lock so that one process calls while the others wait for its answer (bounded by
 * `joinTimeoutMs`, after which they call themselves, under quota). The call that leads does the
 * work itself and reports back through its slot: nothing is called back from in here.
 */
export class Dedup {
  readonly #plan: CachePlan;
  readonly #inflight = new Map<string, Promise<DedupOutcome>>();
  readonly #counters = { hits: 0, misses: 0, joins: 0 };

  constructor(plan: CachePlan) {
    this.#plan = plan;
  }

  /** Serve, join, or lead the call for `key` (the leader's failure rejects its joiners too). */
  async begin(key: string, subject: string): Promise<DedupSlot> {
    if (!this.#plan.enabled) return ALONE;
    const pending = this.#inflight.get(key);
    if (pending) {
      this.#counters.joins++;
      const out = await pending;
      return { lead: false, entry: out.entry, source: out.source === 'upstream' ? 'joined' : (out.source as 'cache' | 'joined') };
    }
    let resolve!: (o: DedupOutcome) => void;
    let reject!: (err: unknown) => void;
    const shared = new Promise<DedupOutcome>((res, rej) => ((resolve = res), (reject = rej)));
    shared.catch(() => undefined); // joiners get it; nobody else must
    this.#inflight.set(key, shared);
    const done = () => this.#inflight.delete(key);
    let found: DedupOutcome | { lead: true; token: string | undefined };
    try {
      found = await this.#find(key);
    } catch (err) {
      done();
      reject(err);
      throw err;
    }
    if (!('lead' in found)) {
      done();
      resolve(found);
      return { lead: false, entry: found.entry, source: found.source as 'cache' | 'joined' };
    }
    const token = found.token;
    const release = () => (token === undefined ? Promise.resolve() : this.#safe(() => this.#plan.store.release!(key, token), undefined));
    return {
      lead: true,
      settle: async (entry) => {
        const ttl = this.#ttlFor(entry.answer);
        if (ttl > 0) await this.#safe(() => this.#plan.store.set(key, subject, entry, ttl), undefined);
        await release();
        done();
        resolve({ entry, source: 'upstream' });
      },
      fail: async (err) => {
        await release(); // failures are never stored
        done();
        reject(err);
      },
    };
  }

  async stats(): Promise<CacheStats> {
    const size = await this.#safe(() => this.#plan.store.size(), -1);
    return { ...this.#counters, size };
  }

  async invalidate(subject: string): Promise<number> {
    return Promise.resolve(this.#plan.store.invalidateSubject(subject));
  }

  /** A cached or joined answer, or the lead (with the lock's token for a shared store). */
  async #find(key: string): Promise<DedupOutcome | { lead: true; token: string | undefined }> {
    const store = this.#plan.store;
    const hit = await this.#get(key);
    if (hit) {
      this.#counters.hits++;
      return { entry: hit, source: 'cache' };
    }
    this.#counters.misses++;
    if (!store.acquire || !store.release) return { lead: true, token: undefined };

    const deadline = Date.now() + this.#plan.joinTimeoutMs;
    for (;;) {
      // The token is ours before we ask: if the answer is lost (timeout), we act as the holder and
      // release by token afterwards, so an acquire that did succeed never leaves an orphan lock.
      const token = randomBytes(12).toString('base64url');
      const taken = await this.#safe<boolean | 'unknown'>(() => store.acquire!(key, this.#lockTtl(), token), 'unknown');
      if (taken !== false) {
        // The holder before us may have stored its answer between our read and our lock.
        const late = await this.#get(key);
        if (!late) return { lead: true, token };
        await this.#safe(() => store.release!(key, token), undefined);
        return this.#joined(late);
      }
      // Another process is calling: wait for its answer.
      while (Date.now() < deadline) {
        await sleep(POLL_MS);
        const joined = await this.#get(key);
        if (joined) return this.#joined(joined);
        if (!(await this.#safe(() => store.held!(key), false))) break; // it failed (nothing cached): take over
      }
      if (Date.now() >= deadline) return { lead: true, token: undefined };
    }
  }

  #joined(entry: CachedEntry): DedupOutcome {
    this.#counters.joins++;
    return { entry, source: 'joined' };
  }

  #ttlFor(answer: CachedEntry['answer']): number {
    const t = this.#plan.ttlMs;
    // A record (lookup) or an extra operation's answer holds personal data: the lookup TTL (default: not kept).
    if (!('match' in answer) || 'citizen' in answer) return t.lookup;
    if (!answer.found) return t.notFound;
    return answer.match ? t.match : t.mismatch;
  }

  #lockTtl(): number {
    return this.#plan.joinTimeoutMs + 30_000;
  }

  #get(key: string): Promise<CachedEntry | undefined> {
    return this.#safe(() => this.#plan.store.get(key), undefined);
  }

  /**
   * The cache is an optimisation: a store that fails or is slow is a miss, never an error. A
   * synchronous answer (the memory store) is used as is: no timer on the hot path of a hit.
   */
  async #safe<T>(fn: () => T | Promise<T>, fallback: T): Promise<T> {
    try {
      const r = fn();
      if (!(r instanceof Promise)) return r;
      return await withTimeout(r, this.#plan.storeTimeoutMs, () => new Error('cache store timeout'));
    } catch {
      return fallback;
    }
  }
}
