import PQueue from 'p-queue';
import { setTimeout as sleep } from 'node:timers/promises';
import { QuotaError, RateLimitedError, TransportError, UpstreamLockedError, ValidationError, type DancuError } from '../errors.js';
import { nextVietnamMidnight, toVietnamIso, type Clock } from '../internal/time.js';
import { withTimeout } from '../internal/timeout.js';
import type { Diagnose } from '../internal/log.js';
import { budgetsFor, localShare, type QuotaPlan, type QuotaSubject } from './budgets.js';
import { MemoryQuotaStore } from './memory-store.js';
import type { ActiveStop, BudgetStatus, QuotaStore, ReservationResult, StopRequest } from './types.js';

/** Interactive calls (an officer waiting at a counter) go before batch ones (a nightly sync). */
export type CallPriority = 'interactive' | 'batch';

export interface QuotaManagerOptions {
  plan: QuotaPlan;
  store: QuotaStore;
  /** Longest a store call may take before the call fails closed, in ms. */
  storeTimeoutMs: number;
  onExhausted: 'fail' | 'wait';
  maxWaitMs: number;
  /** Opt-in: when the store is unreachable, use this many instances' conservative local share. */
  fallbackInstances: number | undefined;
  clock: Clock;
  /** Where diagnostics go (the client's `logger`). */
  diagnose?: Diagnose;
}

/** What `client.quota.status()` returns. */
export interface QuotaStatus {
  budgets: BudgetStatus[];
  /** The upstream's lock threshold (`quota.lockThreshold`): `global.day` stays below it by the safety margin. */
  lockThreshold: number;
  /** A shared stop in force (the upstream locked or throttled the account), if any. */
  stop?: ActiveStop;
}

/**
 * Step 5 of the pipeline: before every attempt that reaches the network, reserve one unit from
 * every applicable budget, atomically, in the (shared) store. Fails closed when the store cannot
 * answer in time. Denials optionally wait in a local priority queue (p-queue) up to `maxWaitMs`.
 */
export class QuotaManager {
  readonly #o: QuotaManagerOptions;
  readonly #fallback: MemoryQuotaStore | undefined;
  #onFallback = false;
  readonly #waiters = new PQueue({ concurrency: 1 });
  /** The latest shared stop this process recorded or was told of: it outlives a store that lost its data. */
  #localStop: { until: number; reason: ActiveStop['reason'] } | undefined;

  constructor(options: QuotaManagerOptions) {
    this.#o = options;
    this.#fallback = options.fallbackInstances ? new MemoryQuotaStore({ clock: options.clock }) : undefined;
  }

  /** Reserve for one attempt, or throw `ERR_QUOTA_EXCEEDED`, `ERR_QUOTA_UNAVAILABLE`, or the shared stop. */
  async reserve(who: QuotaSubject, priority: CallPriority, signal?: AbortSignal): Promise<void> {
    const deadline = this.#o.clock() + this.#o.maxWaitMs;
    // Waiters keep their place: a new call does not overtake calls already queued.
    let result = this.#waiters.size + this.#waiters.pending > 0 ? undefined : await this.#tryOnce(who);
    if (result?.ok) return;
    if (result && !this.#mayWait(result, deadline)) throw this.#denial(result);
    result = await this.#waiters
      .add(
      async () => {
        for (;;) {
          const r = await this.#tryOnce(who);
          if (r.ok || !this.#mayWait(r, deadline)) return r;
          await sleep(Math.min(retryAfter(r), Math.max(1, deadline - this.#o.clock())), undefined, signal ? { signal } : {});
        }
      },
        { priority: priority === 'interactive' ? 1 : 0, ...(signal ? { signal } : {}) },
      )
      .catch((cause: unknown) => {
        if (signal?.aborted) throw new TransportError('ERR_ABORTED', 'The call was aborted while waiting for quota.', undefined, { cause });
        throw cause;
      });
    if (!result?.ok) throw this.#denial(result!);
  }

  /** Record a shared stop so that every process stops calling (best effort: the store may be down). */
  async stop(request: StopRequest): Promise<void> {
    const now = this.#o.clock();
    const until = request.until === 'next-vietnam-day' ? nextVietnamMidnight(now) : now + request.until.forMs;
    this.#remember({ reason: request.reason, remainingMs: until - now });
    await this.#timed(this.#o.store.stop(request)).catch(() => undefined);
  }

  /** `client.quota.status(of)`: `of` checked as the public API's input (`ERR_INPUT_INVALID`), then {@link status}. */
  statusOf(of: unknown, unitCode: string): Promise<QuotaStatus> {
    if (of === undefined) of = {};
    if (typeof of !== 'object' || of === null) throw new ValidationError('ERR_INPUT_INVALID', '(input)', 'invalid_type', 'pass { operatorId?, purposeCode? } or nothing');
    const o = of as { operatorId?: unknown; purposeCode?: unknown };
    const bad = (['operatorId', 'purposeCode'] as const).find((k) => o[k] !== undefined && typeof o[k] !== 'string');
    if (bad) throw new ValidationError('ERR_INPUT_INVALID', bad, 'invalid_type', 'must be a string');
    return this.status({ unitCode, operatorId: o.operatorId as string | undefined, purposeCode: o.purposeCode as string | undefined });
  }

  /**
   * Global and unit budgets, every purpose budget (or the one asked for), and an operator's budgets
   * when `operatorId` is given. Scoped ids read `purpose.day[HT-KHAISINH]`, `operator.day[cb.an]`.
   */
  async status(of: { unitCode: string; operatorId?: string | undefined; purposeCode?: string | undefined }): Promise<QuotaStatus> {
    const plan = this.#o.plan;
    const who = { unitCode: of.unitCode, operatorId: of.operatorId ?? '', purposeCode: '' };
    const budgets = budgetsFor(plan, who).flatMap((b) => {
      if (!b.id.startsWith('operator.')) return [b];
      return of.operatorId === undefined ? [] : [{ ...b, id: `${b.id}[${of.operatorId}]` }];
    });
    const codes = of.purposeCode === undefined ? Object.keys(plan.perPurpose) : [of.purposeCode];
    for (const code of codes) {
      const b = budgetsFor(plan, { ...who, purposeCode: code }).find((x) => x.id === 'purpose.day');
      if (b) budgets.push({ ...b, id: `purpose.day[${code}]` });
    }
    const [list, stop] = await Promise.all([
      this.#timed(this.#o.store.status(budgets)),
      this.#timed(this.#o.store.activeStop()),
    ]);
    const lockThreshold = plan.lockThreshold;
    return stop ? { budgets: list, lockThreshold, stop } : { budgets: list, lockThreshold };
  }

  #remember(stop: ActiveStop): void {
    const until = this.#o.clock() + stop.remainingMs;
    if (!this.#localStop || this.#localStop.until < until) this.#localStop = { until, reason: stop.reason };
  }

  async #tryOnce(who: QuotaSubject): Promise<ReservationResult> {
    const now = this.#o.clock();
    if (this.#localStop && this.#localStop.until > now) {
      return { ok: false, stop: { reason: this.#localStop.reason, remainingMs: this.#localStop.until - now } };
    }
    const budgets = budgetsFor(this.#o.plan, who);
    try {
      const r = await this.#timed(this.#o.store.reserve(budgets, 1));
      if (!r.ok && 'stop' in r) this.#remember(r.stop);
      this.#onFallback = false;
      return r;
    } catch (err) {
      if (!this.#fallback || !this.#o.fallbackInstances) throw err;
      if (!this.#onFallback) {
        // Once each time the store goes away, not once per call.
        this.#onFallback = true;
        this.#o.diagnose?.('warn', 'DANCU_QUOTA_FALLBACK', `dancu quota store unreachable: serving from this instance's share (1/${this.#o.fallbackInstances} of each budget) until it answers`, { instances: this.#o.fallbackInstances, error: String((err as Error)?.message ?? err).slice(0, 300) });
      }
      return this.#fallback.reserve(localShare(budgets, this.#o.fallbackInstances), 1);
    }
  }

  #mayWait(r: ReservationResult, deadline: number): boolean {
    if (r.ok || this.#o.onExhausted !== 'wait') return false;
    if ('stop' in r && r.stop.reason === 'locked') return false;
    return this.#o.clock() + retryAfter(r) <= deadline;
  }

  #denial(r: Exclude<ReservationResult, { ok: true }>): DancuError {
    if ('recovering' in r) return new QuotaError('ERR_QUOTA_UNAVAILABLE', undefined, r.recovering.remainingMs, { reason: 'recovering' });
    if ('stop' in r) {
      return r.stop.reason === 'locked'
        ? // remainingMs is relative to the store's clock: round the end to the second it names.
          new UpstreamLockedError(toVietnamIso(Math.round((this.#o.clock() + r.stop.remainingMs) / 1000) * 1000), { status: 423 })
        : new RateLimitedError(r.stop.remainingMs, { status: 429 });
    }
    return new QuotaError('ERR_QUOTA_EXCEEDED', r.budget, r.retryAfterMs);
  }

  /**
   * Fail closed: a store that does not answer within `storeTimeoutMs` is unavailable. A synchronous
   * answer (the memory store) is used as is: no timer on every reservation, as in the cache.
   */
  #timed<T>(answer: T | PromiseLike<T>): Promise<T> {
    if (typeof (answer as PromiseLike<T> | undefined)?.then !== 'function') return Promise.resolve(answer as T);
    return withTimeout(Promise.resolve(answer), this.#o.storeTimeoutMs, () => new QuotaError('ERR_QUOTA_UNAVAILABLE', undefined, undefined)).catch(
      (err: unknown) => {
        throw err instanceof QuotaError ? err : new QuotaError('ERR_QUOTA_UNAVAILABLE', undefined, undefined, { cause: err });
      },
    );
  }
}

function retryAfter(r: Exclude<ReservationResult, { ok: true }>): number {
  return 'stop' in r ? r.stop.remainingMs : 'recovering' in r ? r.recovering.remainingMs : r.retryAfterMs;
}
