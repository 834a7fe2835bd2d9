/**
 * One error tree for the whole SDK.
 *
 * Every error has a stable string `code` (switch on it, never on the message), an optional
 * `cause`, and a type guard that works across duplicate installs of the package (two copies of
 * `dancu` in one `node_modules`, or the ESM and the CJS build loaded side by side): `instanceof`
 * and {@link isDancuError} look at a `Symbol.for` brand, not at the class identity.
 *
 * Messages never carry secrets or raw ID numbers: the classes below only ever receive masked
 * values, and the constructor takes no free-form "details" bag that could smuggle one in.
 *
 * @packageDocumentation
 */

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

const kKinds = Symbol.for('dancu.error.kinds');

function hasKind(value: unknown, kind: string): boolean {
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
export class DancuError extends Error {
  /** Brand name used by the cross-install `instanceof` check. Subclasses override it. */
  static readonly kind: string = 'DancuError';

  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasKind(value, this.kind);
  }

  /** Stable machine-readable code. */
  readonly code: DancuErrorCode;

  constructor(code: DancuErrorCode, message: string, options: DancuErrorOptions = {}) {
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

/** True for any error thrown by any copy of this SDK. */
export function isDancuError(value: unknown): value is DancuError {
  return hasKind(value, 'DancuError');
}

/** An option passed to `createClient` (or a sandbox) is invalid. Thrown synchronously at construction. */
export class ConfigError extends DancuError {
  static override readonly kind: string = 'ConfigError';
  /** One entry per invalid option: dotted path, the type received, what is wrong and how to fix it. */
  readonly issues: readonly ConfigIssue[];
  constructor(issues: readonly ConfigIssue[], options?: DancuErrorOptions) {
    const lines = issues.map((i) => `  - ${i.path || '(root)'}: ${i.message} (received ${i.received}). Fix: ${i.fix}`);
    super('ERR_CONFIG_INVALID', `Invalid dancu options:\n${lines.join('\n')}`, options);
    this.issues = issues;
  }
}

/** The client secret breaks the credential policy, or is older than it allows. Thrown at construction. */
export class CredentialError extends DancuError {
  static override readonly kind: string = 'CredentialError';
  /** What is wrong (never the secret itself). */
  readonly problems: readonly string[];
  constructor(code: 'ERR_CREDENTIALS_WEAK' | 'ERR_CREDENTIALS_EXPIRED', problems: readonly string[]) {
    super(
      code,
      code === 'ERR_CREDENTIALS_WEAK'
        ? `The client secret is too weak (${problems.join('; ')}). Ask the provincial police data centre for a strong one; weak and default passwords got provinces cut off.`
        : `The client secret has expired under the credential policy (${problems.join('; ')}). Rotate it and update credentials.issuedAt.`,
    );
    this.problems = problems;
  }
}

/** One invalid option. */
export interface ConfigIssue {
  /** Dotted option path, e.g. `purposes.0.operations`. */
  path: string;
  /** The JavaScript type that was received (never the value: it may be a secret). */
  received: string;
  /** What is wrong. */
  message: string;
  /** What to do about it. */
  fix: string;
}

/** Step 1: the call's input or context failed local validation. No quota was used, nothing was sent. */
export class ValidationError extends DancuError {
  static override readonly kind: string = 'ValidationError';
  /** Dotted path of the offending field, e.g. `dateOfBirth` or `operator.ip`. */
  readonly path: string;
  /** Machine-readable reason, e.g. `birth_year_mismatch`, `unknown_province`, `future_date`. */
  readonly reason: string;
  constructor(
    code: 'ERR_INPUT_INVALID' | 'ERR_OPERATOR_REQUIRED',
    path: string,
    reason: string,
    message: string,
    options?: DancuErrorOptions,
  ) {
    super(code, `${path}: ${message}`, options);
    this.path = path;
    this.reason = reason;
  }
}

/** Step 2: the call's purpose is missing, not registered, or does not allow this operation/field. */
export class PurposeError extends DancuError {
  static override readonly kind: string = 'PurposeError';
  /** The purpose code the call carried (a code, not personal data), if any. */
  readonly purposeCode: string | undefined;
  constructor(
    code: 'ERR_PURPOSE_REQUIRED' | 'ERR_PURPOSE_NOT_REGISTERED' | 'ERR_PURPOSE_OPERATION' | 'ERR_PURPOSE_FIELD',
    purposeCode: string | undefined,
    message: string,
    options?: DancuErrorOptions,
  ) {
    super(code, message, options);
    this.purposeCode = purposeCode;
  }
}

/**
 * Step 3: a guard refused the call before any cache, quota or network use: the same citizen tried
 * with too many different dates of birth or names (`ERR_GUARD_ENUMERATION`), an operator working
 * faster or more regularly than a person can (`ERR_GUARD_VELOCITY`), an operator outside the
 * allowed networks (`ERR_GUARD_IP`). Every denial is in the audit trail.
 */
export class GuardError extends DancuError {
  static override readonly kind: string = 'GuardError';
  /** When the refusal lifts, in ms, if it is time-bound (enumeration window, velocity block). */
  readonly retryAfterMs: number | undefined;
  constructor(
    code: 'ERR_GUARD_ENUMERATION' | 'ERR_GUARD_VELOCITY' | 'ERR_GUARD_IP',
    message: string,
    retryAfterMs?: number,
    options?: DancuErrorOptions,
  ) {
    super(code, message, options);
    this.retryAfterMs = retryAfterMs;
  }
}

/**
 * Step 5: the client-side quota refused the call (no network call was made), or the quota store
 * could not answer in time (the client fails closed rather than risk the province's lock).
 */
export class QuotaError extends DancuError {
  static override readonly kind: string = 'QuotaError';
  /** The budget that refused, e.g. `global.day`, `operator.minute` (`ERR_QUOTA_EXCEEDED`). */
  readonly budget: string | undefined;
  /** When the refusing budget has room again, in ms (`ERR_QUOTA_EXCEEDED`). */
  readonly retryAfterMs: number | undefined;
  /**
   * Why the store could not decide (`ERR_QUOTA_UNAVAILABLE`): `unreachable` (it did not answer in
   * time) or `recovering` (Redis lost its data and the processes are reporting what they saw;
   * `retryAfterMs` says when it ends).
   */
  readonly reason: 'unreachable' | 'recovering' | undefined;
  constructor(
    code: 'ERR_QUOTA_EXCEEDED' | 'ERR_QUOTA_UNAVAILABLE',
    budget: string | undefined,
    retryAfterMs: number | undefined,
    options?: DancuErrorOptions & { reason?: 'unreachable' | 'recovering' },
  ) {
    const reason = code === 'ERR_QUOTA_UNAVAILABLE' ? (options?.reason ?? 'unreachable') : undefined;
    super(
      code,
      code === 'ERR_QUOTA_EXCEEDED'
        ? `The client-side quota "${budget}" is exhausted; nothing was sent. Room again in ${retryAfterMs} ms.`
        : reason === 'recovering'
          ? `The quota store lost its data (a Redis restart) and is gathering the counts every process saw; nothing was sent. Retry in ${retryAfterMs} ms.`
          : 'The quota store did not answer in time; the call was refused (fail closed) and nothing was sent. Check Redis.',
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.budget = budget;
    this.retryAfterMs = retryAfterMs;
    this.reason = reason;
  }
}

/**
 * Step 6: the audit sink could not make the event durable. The call is refused and nothing is
 * sent (fail closed); calls resume when the sink recovers. `cause` has the sink's error.
 */
export class AuditError extends DancuError {
  static override readonly kind: string = 'AuditError';
  constructor(cause: unknown) {
    super('ERR_AUDIT_UNAVAILABLE',
      'The audit trail could not record this call, so it was refused and nothing was sent (fail closed). ' +
        'Check the audit sink (disk space, permissions, database); calls resume when it recovers.',
      { cause });
  }
}

/** The client was closed; create a new one. */
export class ClientClosedError extends DancuError {
  static override readonly kind: string = 'ClientClosedError';
  constructor() {
    super('ERR_CLIENT_CLOSED', 'This dancu client is closed; create a new one with createClient().');
  }
}

/** Step 7–8: anything that went wrong talking to the upstream. */
export class TransportError extends DancuError {
  static override readonly kind: string = 'TransportError';
  /** The request id (`MaYeuCau`) of the attempt, when one was sent. */
  readonly requestId: string | undefined;
  constructor(code: DancuErrorCode, message: string, requestId?: string, options?: DancuErrorOptions) {
    super(code, message, options);
    this.requestId = requestId;
  }
}

/**
 * The circuit breaker is open after consecutive upstream failures (or a lock): the call was refused
 * at once, with no quota spent and no request sent. It lets one probe through after `retryAfterMs`.
 */
export class CircuitOpenError extends TransportError {
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
}

/** The upstream answered with an error status. */
export class UpstreamError extends TransportError {
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
    code: DancuErrorCode,
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
}

/** The upstream throttled the account (HTTP 429). */
export class RateLimitedError extends UpstreamError {
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
}

/**
 * The upstream has locked the connection (the whole province's account). Do not retry: every
 * further request is refused until `lockedUntil`, and each attempt is held against the province.
 */
export class UpstreamLockedError extends UpstreamError {
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

/** `value` as a string, or `ERR_INPUT_INVALID` naming `path` (for the exported helpers: never a bare TypeError). */
export function expectString(value: unknown, path: string): string {
  if (typeof value !== 'string') throw new ValidationError('ERR_INPUT_INVALID', path, 'invalid_type', `must be a string, not ${value === null ? 'null' : typeof value}`);
  return value;
}
