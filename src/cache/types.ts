import type { AnyAnswer } from '../transport/types.js';

/** What the cache keeps of one upstream answer. Never the ID number, the name or the date asked. */
export interface CachedEntry {
  /** The upstream's answer (verify: match flags; lookup: the minimised record). */
  answer: AnyAnswer;
  /** `MaYeuCau` of the upstream request that produced it. */
  requestId: string;
  /** When the upstream answered, epoch ms (stores may keep it to the second). */
  checkedAt: number;
  /** Purpose code of the call that produced it. */
  purpose: string;
}

/**
 * Where cached answers live. Keys are opaque HMACs; `subject` is an HMAC of the ID number (12
 * base64url characters) that groups a citizen's entries so they can be invalidated together, and
 * every key starts with its subject (a Redis Cluster keeps a citizen's keys in one slot by it).
 * Methods may be sync or async.
 */
export interface CacheStore {
  get(key: string): CachedEntry | undefined | Promise<CachedEntry | undefined>;
  set(key: string, subject: string, entry: CachedEntry, ttlMs: number): void | Promise<void>;
  /** Drop every entry of a subject; returns how many were dropped. */
  invalidateSubject(subject: string): number | Promise<number>;
  /** Entries held (approximate for shared stores). */
  size(): number | Promise<number>;
  /**
   * Cross-process single-flight (shared stores only): take the right to call the upstream for
   * `key` for at most `ttlMs`, under the caller's `token`. Resolves `true` if taken, `false` if
   * another holds it.
   */
  acquire?(key: string, ttlMs: number, token: string): Promise<boolean>;
  release?(key: string, token: string): Promise<void>;
  /** Whether another process currently holds `key`. */
  held?(key: string): Promise<boolean>;
  /**
   * Optional: reach the store and load what it needs (a Redis store loads its scripts), rejecting
   * if it cannot. `client.ready()` calls it; a store without it is taken as ready.
   */
  ready?(): Promise<void>;
}
