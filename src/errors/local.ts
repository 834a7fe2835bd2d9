import { DancuError, type DancuErrorOptions } from './base.js';

/** An option passed to `createClient` (or a sandbox) is invalid. Thrown synchronously at construction. */
export class ConfigError extends DancuError<'ERR_CONFIG_INVALID'> {
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
export class CredentialError extends DancuError<'ERR_CREDENTIALS_WEAK' | 'ERR_CREDENTIALS_EXPIRED'> {
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
export class ValidationError extends DancuError<'ERR_INPUT_INVALID' | 'ERR_OPERATOR_REQUIRED'> {
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

  override get local(): boolean {
    return true;
  }
}

/** Step 2: the call's purpose is missing, not registered, or does not allow this operation/field. */
export class PurposeError extends DancuError<'ERR_PURPOSE_REQUIRED' | 'ERR_PURPOSE_NOT_REGISTERED' | 'ERR_PURPOSE_OPERATION' | 'ERR_PURPOSE_FIELD'> {
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

  override get local(): boolean {
    return true;
  }
}

/**
 * Step 3: a guard refused the call before any cache, quota or network use: the same citizen tried
 * with too many different dates of birth or names (`ERR_GUARD_ENUMERATION`), an operator working
 * faster or more regularly than a person can (`ERR_GUARD_VELOCITY`), an operator outside the
 * allowed networks (`ERR_GUARD_IP`). Every denial is in the audit trail.
 */
export class GuardError extends DancuError<'ERR_GUARD_ENUMERATION' | 'ERR_GUARD_VELOCITY' | 'ERR_GUARD_IP'> {
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

  override get local(): boolean {
    return true;
  }
}

/**
 * Step 5: the client-side quota refused the call (no network call was made), or the quota store
 * could not answer in time (the client fails closed rather than risk the province's lock).
 */
export class QuotaError extends DancuError<'ERR_QUOTA_EXCEEDED' | 'ERR_QUOTA_UNAVAILABLE'> {
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

  override get local(): boolean {
    return true;
  }
}

/**
 * Step 6: the audit sink could not make the event durable. The call is refused and nothing is
 * sent (fail closed); calls resume when the sink recovers. `cause` has the sink's error.
 */
export class AuditError extends DancuError<'ERR_AUDIT_UNAVAILABLE'> {
  static override readonly kind: string = 'AuditError';
  /**
   * `sink`: the sink could not write (disk, permissions, database); `rollback`: the trail is behind
   * its own last checkpoint or its witness (cut or restored from an older copy), so the writer
   * refuses to reuse sequence numbers; `witness_lag`: `audit.witnessMaxLagMs` is exceeded.
   */
  readonly reason: 'sink' | 'rollback' | 'witness_lag';
  constructor(cause: unknown) {
    const r = (cause as { name?: unknown; reason?: unknown } | null)?.name === 'AuditIntegrityError' ? (cause as { reason: 'rollback' | 'witness_lag' }).reason : 'sink';
    super('ERR_AUDIT_UNAVAILABLE',
      r === 'rollback'
        ? 'The audit trail is behind its own signed checkpoints or its witness (cut, or restored from an older copy), so this call was refused and nothing was sent. ' +
          'An auditor must look at it; restore the trail, or start a new audit.instance.'
        : r === 'witness_lag'
          ? 'The audit witness has not acknowledged checkpoints for longer than audit.witnessMaxLagMs, so this call was refused and nothing was sent (fail closed). Check the witness.'
          : 'The audit trail could not record this call, so it was refused and nothing was sent (fail closed). ' +
            'Check the audit sink (disk space, permissions, database); calls resume when it recovers.',
      { cause });
    this.reason = r;
  }
}

/** The client was closed; create a new one. */
export class ClientClosedError extends DancuError<'ERR_CLIENT_CLOSED'> {
  static override readonly kind: string = 'ClientClosedError';
  constructor() {
    super('ERR_CLIENT_CLOSED', 'This dancu client is closed; create a new one with createClient().');
  }
}


/** `value` as a string, or `ERR_INPUT_INVALID` naming `path` (for the exported helpers: never a bare TypeError). */
export function expectString(value: unknown, path: string): string {
  if (typeof value !== 'string') throw new ValidationError('ERR_INPUT_INVALID', path, 'invalid_type', `must be a string, not ${value === null ? 'null' : typeof value}`);
  return value;
}

/** The session was ended (logout); calls through it are refused. */
export class SessionEndedError extends DancuError<'ERR_SESSION_ENDED'> {
  static override readonly kind: string = 'SessionEndedError';
  constructor() {
    super('ERR_SESSION_ENDED', 'This session has ended (logout); start a new one with client.session().');
  }
}
