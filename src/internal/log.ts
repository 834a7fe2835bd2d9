import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The `logger` option: the SDK's own diagnostics (not the audit trail), to a pino logger or anything
 * with pino's `info/warn/error(obj, msg)` shape. No pino type is in dancu's API.
 */
export interface DancuLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Every diagnostic, by its stable `code` (also the `process.emitWarning` code of the first three). */
export type DiagnosticCode =
  | 'DANCU_CREDENTIALS_EXPIRING'
  | 'DANCU_AUDIT_UNSIGNED'
  | 'DANCU_AUDIT_FAIL_OPEN'
  | 'DANCU_AUDIT_WITNESS_LAG'
  | 'DANCU_GUARD_ALERT'
  | 'DANCU_GUARD_STORE_DOWN'
  | 'DANCU_QUOTA_FALLBACK';

/** Report one diagnostic. Never throws: a logger that fails must not fail a call. */
export type Diagnose = (level: 'info' | 'warn' | 'error', code: DiagnosticCode, msg: string, fields?: Record<string, unknown>) => void;

/** Without a logger, these were, and stay, process warnings; the others are only in the trail. */
const WARNINGS: ReadonlySet<DiagnosticCode> = new Set(['DANCU_CREDENTIALS_EXPIRING', 'DANCU_AUDIT_UNSIGNED', 'DANCU_AUDIT_FAIL_OPEN']);

export function diagnostics(logger: DancuLogger | undefined): Diagnose {
  if (!logger) {
    return (_level, code, msg) => {
      if (WARNINGS.has(code)) process.emitWarning(msg, { code });
    };
  }
  return (level, code, msg, fields) => {
    const call = calls.getStore();
    try {
      logger[level]({ code, ...fields, ...(call && { operation: call.operation, ...(call.requestId !== undefined && { requestId: call.requestId }) }) }, msg);
    } catch {
      // The diagnostic is lost, the call is not.
    }
  };
}

/** The call a diagnostic was logged in: what `logger.child({ operation, requestId })` would bind. */
interface CallScope {
  operation: string;
  requestId?: string;
}
const calls = new AsyncLocalStorage<CallScope>();

/**
 * With a logger: run one call so that what it logs names its operation and request id (without a
 * logger: `fn` as it is, no AsyncLocalStorage to pay for).
 */
export function callScope(logger: DancuLogger | undefined): <T>(operation: string, fn: () => Promise<T>) => Promise<T> {
  return logger ? (operation, fn) => calls.run({ operation }, fn) : (_operation, fn) => fn();
}

/** The request id of the call running now, once it has one (the caller's `requestId`, or the `MaYeuCau` made for it). */
export function noteRequestId(requestId: string): void {
  const call = calls.getStore();
  if (call) call.requestId = requestId;
}
