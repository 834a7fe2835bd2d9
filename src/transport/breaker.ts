import { CircuitOpenError, isDancuError, TransportError, UpstreamLockedError } from '../errors.js';
import { nextVietnamMidnight, toVietnamIso, type Clock } from '../internal/time.js';

/** Breaker settings (after defaults). */
export interface BreakerPolicy {
  /** Consecutive failed attempts that open the breaker. */
  failureThreshold: number;
  /** How long it stays open before letting one probe through, in ms. */
  cooldownMs: number;
}

export const DEFAULT_BREAKER: BreakerPolicy = { failureThreshold: 5, cooldownMs: 30_000 };

/**
 * What `client.breaker.state()` returns. `closed`: requests go out. `open`: every call is refused
 * for `retryAfterMs` (after `failures` in a row, or until a `locked` account's lock ends).
 * `half-open`: the cooldown is over; the next call is the probe that closes or reopens it.
 * `off`: the client was made with `breaker: false`.
 */
export interface BreakerState {
  state: 'closed' | 'open' | 'half-open' | 'off';
  reason?: 'failures' | 'locked';
  retryAfterMs?: number;
}

/** Permission for one attempt; settle it exactly once. */
export interface BreakerTicket {
  readonly probe: boolean;
}

/**
 * A consecutive-failure circuit breaker, per process. A rate-based breaker (failure ratio over a
 * window) never trips at a few calls a minute, which is this upstream's normal traffic; counting
 * consecutive failed attempts does. Open: every call is refused at once (`ERR_CIRCUIT_OPEN`, no
 * quota, no request). After `cooldownMs` it is half-open: exactly one attempt (the probe) goes
 * through while every other is refused; its success closes the breaker, its failure reopens it.
 * A lock answer opens it at once until the lock ends (callers then get `ERR_UPSTREAM_LOCKED`,
 * without a request and without asking the quota store).
 */
export class CircuitBreaker {
  readonly #policy: BreakerPolicy;
  readonly #clock: Clock;
  #failures = 0;
  #openUntil = 0;
  #reason: 'failures' | 'locked' = 'failures';
  #open = false;
  #probing = false;

  constructor(policy: BreakerPolicy, clock: Clock) {
    this.#policy = policy;
    this.#clock = clock;
  }

  /** Before an attempt (before quota is spent): a ticket, or `ERR_CIRCUIT_OPEN`. */
  enter(): BreakerTicket {
    if (!this.#open) return { probe: false };
    const now = this.#clock();
    if (now < this.#openUntil) {
      // Open because of a lock: the caller gets the lock's own code, as from the shared stop.
      if (this.#reason === 'locked') throw new UpstreamLockedError(toVietnamIso(this.#openUntil), { status: 423 });
      throw new CircuitOpenError(this.#openUntil - now, 'failures');
    }
    if (this.#probing) throw new CircuitOpenError(Math.min(1_000, this.#policy.cooldownMs), 'probing');
    this.#probing = true;
    return { probe: true };
  }

  /** Settle a ticket with the attempt's outcome (`undefined` = success). */
  settle(ticket: BreakerTicket, err?: unknown): void {
    const verdict = judge(err);
    if (ticket.probe) this.#probing = false;
    if (err instanceof UpstreamLockedError) {
      const until = Date.parse(err.lockedUntil ?? '');
      this.#trip(Number.isFinite(until) && until > this.#clock() ? until : nextVietnamMidnight(this.#clock()), 'locked');
      return;
    }
    if (verdict === 'neutral') return;
    if (verdict === 'healthy') {
      this.#failures = 0;
      if (ticket.probe) this.#open = false;
      return;
    }
    this.#failures++;
    if (ticket.probe || this.#failures >= this.#policy.failureThreshold) this.#trip(this.#clock() + this.#policy.cooldownMs, 'failures');
  }

  /** Give a ticket back unused (the attempt was refused locally, e.g. by the quota). */
  release(ticket: BreakerTicket): void {
    if (ticket.probe) this.#probing = false;
  }

  /** Where the breaker stands now (for dashboards: `client.breaker.state()`). */
  state(): BreakerState {
    if (!this.#open) return { state: 'closed' };
    const left = this.#openUntil - this.#clock();
    return left > 0 ? { state: 'open', reason: this.#reason, retryAfterMs: left } : { state: 'half-open', reason: this.#reason };
  }

  #trip(until: number, reason: 'failures' | 'locked'): void {
    if (this.#open && this.#reason === 'locked' && this.#openUntil > until) return; // a lock outlasts a cooldown
    this.#open = true;
    this.#openUntil = until;
    this.#reason = reason;
  }
}

/**
 * What an attempt says about the upstream's health. Any answer from it — a match, a 4xx, a refused
 * purpose, a 401 — means it is up; 5xx, unreachable, timeouts and unusable answers mean it is not.
 * Local refusals (quota, abort) and throttling say nothing.
 */
function judge(err: unknown): 'healthy' | 'failure' | 'neutral' {
  if (err === undefined) return 'healthy';
  if (!isDancuError(err)) return 'neutral';
  if (err.countsAgainstUpstream) return 'failure';
  return err instanceof TransportError && err.provesUpstreamUp ? 'healthy' : 'neutral';
}
