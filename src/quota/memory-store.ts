import { nextVietnamMidnight, vietnamDayKey, type Clock } from '../internal/time.js';
import type { ActiveStop, BudgetSpec, BudgetStatus, QuotaStore, ReservationResult, StopRequest } from './types.js';
import { optionsObject } from '../internal/options.js';

interface Bucket {
  tokens: number;
  ts: number;
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
 */
export class MemoryQuotaStore implements QuotaStore {
  readonly #clock: Clock;
  readonly #buckets = new Map<string, Bucket>();
  readonly #days = new Map<string, Day>();
  #stop: { until: number; reason: ActiveStop['reason'] } | undefined;

  constructor(options: MemoryQuotaStoreOptions = {}) {
    this.#clock = optionsObject<MemoryQuotaStoreOptions>(options, 'MemoryQuotaStore').clock ?? Date.now;
  }

  reserve(budgets: readonly BudgetSpec[], cost: number): ReservationResult {
    const now = this.#clock();
    const stop = this.activeStop(now);
    if (stop) return { ok: false, stop };
    const day = vietnamDayKey(now);
    const next: Array<() => void> = [];
    const remaining: Record<string, number> = {};
    for (const b of budgets) {
      if (b.kind === 'bucket') {
        const rate = (b.ratePerMinute ?? b.limit) / 60_000;
        const tokens = this.#refilled(b, now);
        if (tokens < cost) return { ok: false, budget: b.id, retryAfterMs: Math.ceil((cost - tokens) / rate) };
        next.push(() => this.#buckets.set(b.key, { tokens: tokens - cost, ts: now }));
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
    const day = vietnamDayKey(now);
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

  #refilled(b: BudgetSpec, now: number): number {
    const state = this.#buckets.get(b.key);
    if (!state) return b.limit;
    const rate = (b.ratePerMinute ?? b.limit) / 60_000;
    return Math.min(b.limit, state.tokens + Math.max(0, now - state.ts) * rate);
  }
}
