import { nextVietnamMidnight, vietnamDayKey, type Clock } from '../internal/time.js';
import type { ActiveStop, BudgetSpec, BudgetStatus, QuotaStore, ReservationResult, StopRequest } from './types.js';
import { optionsObject } from '../internal/options.js';

interface Bucket {
  tokens: number;
  ts: number;
  /** When it is full again: from then on it is the same as no entry, and may be dropped. */
  fullAt: number;
}
interface Day {
  day: string;
  count: number;
}

/** Options of {@link MemoryQuotaStore}. */
export interface MemoryQuotaStoreOptions {
  /** Clock in epoch ms. Default `Date.now`. */
  clock?: Clock;
}

/**
 * Budgets in this process's memory: the embedded default, right for one process. For several
 * processes or hosts sharing one upstream account use `RedisQuotaStore`, or every process would
 * spend the whole budget on its own.
 *
 * Memory is bounded: day counts are kept for the current Vietnam day only (dropped at once when the
 * day changes), and a bucket is dropped once it has refilled (swept every 10,000 reservations), so
 * the store holds the operators of today and, for buckets, those active within one refill period.
 */
export class MemoryQuotaStore implements QuotaStore {
  readonly #clock: Clock;
  readonly #buckets = new Map<string, Bucket>();
  readonly #days = new Map<string, Day>();
  /** The Vietnam day every entry of `#days` belongs to. */
  #day = '';
  #sinceSweep = 0;
  #stop: { until: number; reason: ActiveStop['reason'] } | undefined;

  constructor(options: MemoryQuotaStoreOptions = {}) {
    this.#clock = optionsObject<MemoryQuotaStoreOptions>(options, 'MemoryQuotaStore').clock ?? Date.now;
  }

  reserve(budgets: readonly BudgetSpec[], cost: number): ReservationResult {
    const now = this.#clock();
    const stop = this.activeStop(now);
    if (stop) return { ok: false, stop };
    const day = this.#today(now);
    const next: Array<() => void> = [];
    const remaining: Record<string, number> = {};
    for (const b of budgets) {
      if (b.kind === 'bucket') {
        const rate = (b.ratePerMinute ?? b.limit) / 60_000;
        const tokens = this.#refilled(b, now);
        if (tokens < cost) return { ok: false, budget: b.id, retryAfterMs: Math.ceil((cost - tokens) / rate) };
        next.push(() => this.#buckets.set(b.key, { tokens: tokens - cost, ts: now, fullAt: now + (b.limit - tokens + cost) / rate }));
        remaining[b.id] = Math.floor(tokens - cost);
      } else {
        const d = this.#days.get(b.key);
        const count = d?.day === day ? d.count : 0;
        if (count + cost > b.limit) return { ok: false, budget: b.id, retryAfterMs: nextVietnamMidnight(now) - now };
        next.push(() => this.#days.set(b.key, { day, count: count + cost }));
        remaining[b.id] = b.limit - count - cost;
      }
    }
    for (const apply of next) apply();
    if (++this.#sinceSweep >= 10_000) this.#sweep(now);
    return { ok: true, remaining };
  }

  stop(request: StopRequest): void {
    const now = this.#clock();
    const until = request.until === 'next-vietnam-day' ? nextVietnamMidnight(now) : now + request.until.forMs;
    if (!this.#stop || this.#stop.until < until) this.#stop = { until, reason: request.reason };
  }

  activeStop(now = this.#clock()): ActiveStop | undefined {
    if (!this.#stop || this.#stop.until <= now) return undefined;
    return { reason: this.#stop.reason, remainingMs: this.#stop.until - now };
  }

  status(budgets: readonly BudgetSpec[]): BudgetStatus[] {
    const now = this.#clock();
    const day = this.#today(now);
    return budgets.map((b) => {
      let remaining: number;
      if (b.kind === 'bucket') remaining = Math.floor(this.#refilled(b, now));
      else {
        const d = this.#days.get(b.key);
        remaining = b.limit - (d?.day === day ? d.count : 0);
      }
      return { id: b.id, kind: b.kind, limit: b.limit, used: b.limit - remaining, remaining };
    });
  }

  /** Entries held: day counts and buckets not yet refilled (for tests of the bound). */
  get size(): number {
    return this.#days.size + this.#buckets.size;
  }

  /** Today's Vietnam day; a new day drops every count of the one before. */
  #today(now: number): string {
    const day = vietnamDayKey(now);
    if (day !== this.#day) {
      this.#days.clear();
      this.#day = day;
    }
    return day;
  }

  /** Drop the buckets that have refilled: the same as no entry. */
  #sweep(now: number): void {
    this.#sinceSweep = 0;
    for (const [k, b] of this.#buckets) if (b.fullAt <= now) this.#buckets.delete(k);
  }

  #refilled(b: BudgetSpec, now: number): number {
    const state = this.#buckets.get(b.key);
    if (!state) return b.limit;
    const rate = (b.ratePerMinute ?? b.limit) / 60_000;
    return Math.min(b.limit, state.tokens + Math.max(0, now - state.ts) * rate);
  }
}
