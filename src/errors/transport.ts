import { DancuError, type DancuErrorOptions, type TransportErrorCode, type UpstreamErrorCode } from './base.js';

/** Step 7–8: anything that went wrong talking to the upstream. */
export class TransportError<C extends TransportErrorCode = TransportErrorCode> extends DancuError<C> {
  static override readonly kind: string = 'TransportError';
  /** The request id (`MaYeuCau`) of the attempt, when one was sent. */
  readonly requestId: string | undefined;
  constructor(code: C, message: string, requestId?: string, options?: DancuErrorOptions) {
    super(code, message, options);
    this.requestId = requestId;
  }

  override get retryable(): boolean {
    return this.code === 'ERR_UPSTREAM_UNREACHABLE' || this.code === 'ERR_TIMEOUT';
  }

  override get countsAgainstUpstream(): boolean {
    return this.retryable;
  }

  /** An answer came back from the upstream, whatever it said: it is up (for the circuit breaker). */
  get provesUpstreamUp(): boolean {
    return false;
  }
}

/**
 * The circuit breaker is open after consecutive upstream failures (or a lock): the call was refused
 * at once, with no quota spent and no request sent. It lets one probe through after `retryAfterMs`.
 */
export class CircuitOpenError extends TransportError<'ERR_CIRCUIT_OPEN'> {
  static override readonly kind: string = 'CircuitOpenError';
  /** When the breaker lets a probe through, in ms. */
  readonly retryAfterMs: number;
  constructor(retryAfterMs: number, reason: 'failures' | 'probing') {
    super(
      'ERR_CIRCUIT_OPEN',
      reason === 'probing'
          ? 'The circuit breaker is half-open and one probe request is in flight; nothing was sent. Retry shortly.'
          : `The upstream failed repeatedly; the circuit breaker refuses calls for ${retryAfterMs} ms, then lets one probe through. Nothing was sent.`,
    );
    this.retryAfterMs = retryAfterMs;
  }

  override get local(): boolean {
    return true;
  }
}

/** The upstream answered with an error status. */
export class UpstreamError<C extends UpstreamErrorCode = UpstreamErrorCode> extends TransportError<C> {
  static override readonly kind: string = 'UpstreamError';
  /** HTTP status of the answer. */
  readonly status: number;
  /** The upstream's own error code (`MaLoi` in the reference profile), if it sent one. */
  readonly upstreamCode: string | undefined;
  /** `Retry-After` of the answer, in ms, when it carried one (e.g. a 503 during maintenance). */
  readonly retryAfterMs: number | undefined;
  /**
   * How many fields of the upstream's answer were dropped because they did not have the shape
   * they claim (an error code that is not a short code, a lock end that is not an ISO-8601
   * instant): never echoed, only counted. `0` when none.
   */
  readonly discarded: number;
  constructor(
    code: C,
    status: number,
    message: string,
    init: { requestId?: string; upstreamCode?: string; retryAfterMs?: number; discarded?: number; cause?: unknown } = {},
  ) {
    super(code, message, init.requestId, { cause: init.cause });
    this.status = status;
    this.upstreamCode = init.upstreamCode;
    this.retryAfterMs = init.retryAfterMs;
    this.discarded = init.discarded ?? 0;
  }

  /** Only a 5xx of the generic kind: a read is safe to repeat when the upstream failed, not when it refused. */
  override get retryable(): boolean {
    return this.code === 'ERR_UPSTREAM' && this.status >= 500;
  }

  override get countsAgainstUpstream(): boolean {
    return this.retryable || this.code === 'ERR_UPSTREAM_RESPONSE';
  }

  override get provesUpstreamUp(): boolean {
    return !this.countsAgainstUpstream;
  }
}

/** The upstream throttled the account (HTTP 429). */
export class RateLimitedError extends UpstreamError<'ERR_UPSTREAM_RATE_LIMITED'> {
  static override readonly kind: string = 'RateLimitedError';
  /** How long the upstream asked us to wait, in milliseconds (from `Retry-After`). */
  declare readonly retryAfterMs: number;
  constructor(retryAfterMs: number, init: { requestId?: string; upstreamCode?: string; status?: number; discarded?: number } = {}) {
    super(
      'ERR_UPSTREAM_RATE_LIMITED',
      init.status ?? 429,
      `The upstream is throttling this account; retry after ${retryAfterMs} ms.`,
      { ...init, retryAfterMs },
    );
  }

  /** Throttling says nothing of the upstream's health. */
  override get provesUpstreamUp(): boolean {
    return false;
  }
}

/**
 * The upstream has locked the connection (the whole province's account). Do not retry: every
 * further request is refused until `lockedUntil`, and each attempt is held against the province.
 */
export class UpstreamLockedError extends UpstreamError<'ERR_UPSTREAM_LOCKED'> {
  static override readonly kind: string = 'UpstreamLockedError';
  /** When the lock ends (ISO 8601 with offset), if the upstream said. */
  readonly lockedUntil: string | undefined;
  constructor(lockedUntil: string | undefined, init: { requestId?: string; upstreamCode?: string; status?: number; discarded?: number } = {}) {
    super(
      'ERR_UPSTREAM_LOCKED',
      init.status ?? 423,
      `The upstream has LOCKED this connection${lockedUntil ? ` until ${lockedUntil}` : ''}. ` +
        'Stop all traffic and contact the provincial police (PC06) data centre; do not retry.',
      init,
    );
    this.lockedUntil = lockedUntil;
  }
}

