/**
 * The quota store contract. A store keeps budget state (token buckets and Vietnam-day counters)
 * and the shared stop, and takes one reservation from **all** budgets of a call atomically, or
 * from none. Methods may return a value or a promise (like undici's cache stores).
 */

/** One budget a reservation draws from. */
export interface BudgetSpec {
  /** Stable id, shown in denials and status, e.g. `global.day`, `operator.minute`. */
  id: string;
  /** Store key (without the store's prefix), e.g. `d:global`, `b:op:cb.an`. Unique per budget. */
  key: string;
  /**
   * `bucket`: a token bucket of capacity `limit`, refilled at `ratePerMinute`.
   * `day`: a counter of at most `limit` per Vietnam day (resets at 00:00 UTC+7).
   */
  kind: 'bucket' | 'day';
  limit: number;
  /** Refill of a bucket, tokens per minute. */
  ratePerMinute?: number;
}

/** Why every process must stop calling the upstream for a while. */
export interface StopRequest {
  reason: 'locked' | 'rate-limited';
  /** `next-vietnam-day` (a daily lock) or a duration in milliseconds (e.g. `Retry-After`). */
  until: 'next-vietnam-day' | { forMs: number };
}

/** A shared stop in force. */
export interface ActiveStop {
  reason: 'locked' | 'rate-limited';
  /** Milliseconds until it ends. */
  remainingMs: number;
}

export type ReservationResult =
  | { ok: true; remaining: Record<string, number> }
  | { ok: false; budget: string; retryAfterMs: number }
  | { ok: false; stop: ActiveStop }
  /** The store lost its data (a Redis restart) and is gathering what the live processes saw: nothing is granted for `remainingMs`. */
  | { ok: false; recovering: { remainingMs: number } };

/** State of one budget, for dashboards. */
export interface BudgetStatus {
  id: string;
  kind: 'bucket' | 'day';
  limit: number;
  used: number;
  remaining: number;
}

/** Where budgets live. `MemoryQuotaStore` for one process, `RedisQuotaStore` for a deployment. */
export interface QuotaStore {
  /** Take `cost` from every budget, or from none. Checks the shared stop first. */
  reserve(budgets: readonly BudgetSpec[], cost: number): ReservationResult | Promise<ReservationResult>;
  /** Record a shared stop; a longer stop in force is kept. */
  stop(request: StopRequest): void | Promise<void>;
  /** Current state of the budgets, without taking anything. */
  status(budgets: readonly BudgetSpec[]): BudgetStatus[] | Promise<BudgetStatus[]>;
  /** The shared stop in force, if any. */
  activeStop(): ActiveStop | undefined | Promise<ActiveStop | undefined>;
  /**
   * Optional: reach the store and load what it needs (a Redis store loads its scripts), rejecting
   * if it cannot. `client.ready()` calls it; a store without it is taken as ready.
   */
  ready?(): Promise<void>;
}
