/**
 * Where guard state lives. Every operation is atomic in the store: with a shared store (Redis) a
 * macro spread over several processes is seen as one. Keys and members arrive already HMAC'd: a
 * store never sees an ID number, a name, a date of birth, an operator id or an IP address.
 */
export interface GuardStore {
  /**
   * Add `member` to the set `key` if it is already there or the set holds fewer than `max`
   * members; the set lives `windowMs` from its first member. `firstDenial` is true for the first
   * refusal in the window (raise the alert once).
   */
  admitDistinct(key: string, member: string, max: number, windowMs: number): Promise<DistinctResult>;
  /**
   * Record a call of `key` now and return the newest `keep` call times (epoch ms, oldest first),
   * unless `key` is blocked: then nothing is recorded and `blockedMs` says for how long.
   */
  recordCall(key: string, keep: number, ttlMs: number): Promise<CallsResult>;
  /** Block `key` for `forMs`. Returns false if it already was blocked (raise the alert once). */
  block(key: string, forMs: number): Promise<boolean>;
  /** Remember `member` in the set `key` for `ttlMs`. `known` counts the members before this one. */
  remember(key: string, member: string, ttlMs: number): Promise<{ isNew: boolean; known: number }>;
  /**
   * Optional: reach the store and load what it needs (a Redis store loads its scripts), rejecting
   * if it cannot. `client.ready()` calls it; a store without it is taken as ready.
   */
  ready?(): Promise<void>;
}

export interface DistinctResult {
  allowed: boolean;
  /** Distinct members in the window (after this one, if admitted). */
  distinct: number;
  /** Time left in the window, in ms. */
  remainingMs: number;
  firstDenial: boolean;
}

export interface CallsResult {
  /** Recent call times, oldest first, this one included (empty when blocked). */
  times: number[];
  /** > 0 when the key is blocked: nothing was recorded. */
  blockedMs: number;
}
