/** The base of every dancu error: codes, the brand that `instanceof` checks across installs, the class. */
/** Every code the SDK throws. Stable across minor versions; documented in `docs/errors.md`. */
export type DancuErrorCode =
  | 'ERR_CONFIG_INVALID'
  | 'ERR_CREDENTIALS_WEAK'
  | 'ERR_CREDENTIALS_EXPIRED'
  | 'ERR_INPUT_INVALID'
  | 'ERR_OPERATOR_REQUIRED'
  | 'ERR_PURPOSE_REQUIRED'
  | 'ERR_PURPOSE_NOT_REGISTERED'
  | 'ERR_PURPOSE_OPERATION'
  | 'ERR_PURPOSE_FIELD'
  | 'ERR_GUARD_ENUMERATION'
  | 'ERR_GUARD_VELOCITY'
  | 'ERR_GUARD_IP'
  | 'ERR_QUOTA_EXCEEDED'
  | 'ERR_QUOTA_UNAVAILABLE'
  | 'ERR_AUDIT_UNAVAILABLE'
  | 'ERR_CLIENT_CLOSED'
  | 'ERR_SESSION_ENDED'
  | 'ERR_ABORTED'
  | 'ERR_TIMEOUT'
  | 'ERR_CIRCUIT_OPEN'
  | 'ERR_UNAUTHORIZED'
  | 'ERR_UPSTREAM'
  | 'ERR_UPSTREAM_UNREACHABLE'
  | 'ERR_UPSTREAM_RESPONSE'
  | 'ERR_UPSTREAM_RATE_LIMITED'
  | 'ERR_UPSTREAM_LOCKED'
  | 'ERR_UPSTREAM_PURPOSE_REFUSED'
  | 'ERR_UPSTREAM_OPERATOR_REFUSED';

/** Codes of errors about talking to the upstream ({@link TransportError} and its subclasses). */
export type TransportErrorCode = 'ERR_ABORTED' | 'ERR_TIMEOUT' | 'ERR_UPSTREAM_UNREACHABLE' | 'ERR_CIRCUIT_OPEN' | UpstreamErrorCode;
/** Codes of an answer of the upstream ({@link UpstreamError} and its subclasses). */
export type UpstreamErrorCode =
  | 'ERR_UNAUTHORIZED'
  | 'ERR_UPSTREAM'
  | 'ERR_UPSTREAM_RESPONSE'
  | 'ERR_UPSTREAM_PURPOSE_REFUSED'
  | 'ERR_UPSTREAM_OPERATOR_REFUSED'
  | 'ERR_UPSTREAM_RATE_LIMITED'
  | 'ERR_UPSTREAM_LOCKED';

const kKinds = Symbol.for('dancu.error.kinds');

export function hasKind(value: unknown, kind: string): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const kinds = (value as Record<symbol, unknown>)[kKinds];
  return Array.isArray(kinds) && kinds.includes(kind);
}

/** Options every {@link DancuError} accepts. */
export interface DancuErrorOptions {
  /** The underlying error, if any (kept as `error.cause`). */
  cause?: unknown;
}

/**
 * Base class of every error the SDK throws.
 *
 * @example
 * ```ts
 * try { await client.verifyCitizen(input, ctx) }
 * catch (err) {
 *   if (isDancuError(err) && err.code === 'ERR_UPSTREAM_LOCKED') pageTheOnCallOfficer(err)
 *   throw err
 * }
 * ```
 */
export class DancuError<C extends DancuErrorCode = DancuErrorCode> extends Error {
  /** Brand name used by the cross-install `instanceof` check. Subclasses override it. */
  static readonly kind: string = 'DancuError';

  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasKind(value, this.kind);
  }

  /** Stable machine-readable code. */
  readonly code: C;

  /**
   * Refused by dancu itself before anything was sent (input, purpose, guard, quota, open circuit):
   * the trail records such a call as `denied`, not as an `error`.
   */
  get local(): boolean {
    return false;
  }

  /** Safe to try again within the same call (a 5xx, a connection failure, a timeout). */
  get retryable(): boolean {
    return false;
  }

  /** Says the upstream is failing (5xx, unreachable, timeout, an unusable answer): counts towards the circuit breaker. */
  get countsAgainstUpstream(): boolean {
    return false;
  }

  constructor(code: C, message: string, options: DancuErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    const kinds: string[] = [];
    for (let c: unknown = new.target; typeof c === 'function' && 'kind' in c; c = Object.getPrototypeOf(c)) {
      const kind = (c as { kind: unknown }).kind;
      if (typeof kind === 'string' && !kinds.includes(kind)) kinds.push(kind);
    }
    Object.defineProperty(this, kKinds, { value: kinds, enumerable: false });
    Object.defineProperty(this, 'name', { value: new.target.name, enumerable: false, configurable: true });
  }

  /** A plain, log-safe object (no cause chain: causes may come from third-party code). */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = { name: this.name, code: this.code, message: this.message };
    for (const [k, v] of Object.entries(this)) if (k !== 'code' && k !== 'cause') out[k] = v;
    return out;
  }
}

