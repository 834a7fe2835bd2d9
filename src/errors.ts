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


import { hasKind, type DancuErrorCode } from './errors/base.js';
import type { AuditError, ClientClosedError, ConfigError, CredentialError, GuardError, PurposeError, QuotaError, SessionEndedError, ValidationError } from './errors/local.js';
import type { CircuitOpenError, RateLimitedError, TransportError, UpstreamError, UpstreamLockedError } from './errors/transport.js';

export { DancuError } from './errors/base.js';
export type { DancuErrorCode, DancuErrorOptions, TransportErrorCode, UpstreamErrorCode } from './errors/base.js';
export { AuditError, ClientClosedError, ConfigError, CredentialError, expectString, GuardError, PurposeError, QuotaError, SessionEndedError, ValidationError } from './errors/local.js';
export type { ConfigIssue } from './errors/local.js';
export { CircuitOpenError, RateLimitedError, TransportError, UpstreamError, UpstreamLockedError } from './errors/transport.js';

/** True for any error thrown by any copy of this SDK; with a code, true only for that code, narrowed to its class. */
export function isDancuError(value: unknown): value is AnyDancuError;
export function isDancuError<C extends DancuErrorCode>(value: unknown, code: C): value is DancuErrorOf<C>;
export function isDancuError(value: unknown, code?: DancuErrorCode): boolean {
  return hasKind(value, 'DancuError') && (code === undefined || (value as { code?: unknown }).code === code);
}


/**
 * Every error the SDK throws, as a union discriminated by `code`: after
 * `if (isDancuError(err)) switch (err.code) { case 'ERR_INPUT_INVALID': … }` the editor knows
 * `err.path` and `err.reason`.
 */
export type AnyDancuError =
  | ConfigError
  | CredentialError
  | ValidationError
  | PurposeError
  | GuardError
  | QuotaError
  | AuditError
  | ClientClosedError
  | SessionEndedError
  | TransportError<'ERR_ABORTED' | 'ERR_TIMEOUT' | 'ERR_UPSTREAM_UNREACHABLE'>
  | CircuitOpenError
  | UpstreamError<'ERR_UNAUTHORIZED' | 'ERR_UPSTREAM' | 'ERR_UPSTREAM_RESPONSE' | 'ERR_UPSTREAM_PURPOSE_REFUSED' | 'ERR_UPSTREAM_OPERATOR_REFUSED'>
  | RateLimitedError
  | UpstreamLockedError;

/** The error class of one code, e.g. `DancuErrorOf<'ERR_QUOTA_EXCEEDED'>` is a `QuotaError`. */
export type DancuErrorOf<C extends DancuErrorCode, E = AnyDancuError> = E extends { readonly code: infer K } ? (C extends K ? E & { readonly code: C } : never) : never;
