import { isIP } from 'node:net';
import { z } from 'zod';
import { CITIZEN_FIELDS, type CitizenField } from './citizen/types.js';
import { PurposeError, ValidationError } from './errors.js';
import { noteRequestId } from './internal/log.js';

/** The officer (or system account) on whose behalf a call is made. Recorded on every event. */
export interface OperatorContext {
  /** Operator id in your system (`MaCanBo` on the wire). 1–128 characters. */
  id: string;
  /** IP address of the operator's device (IPv4 or IPv6), not the server's. */
  ip: string;
  /** Login session id in your system, when there is one. */
  sessionId?: string;
  /**
   * The IP the operator's session logged in from, when it differs in meaning from `ip` (the IP of
   * this call). Set by `client.session()`; recorded beside `ip` so an auditor sees both.
   */
  loginIp?: string;
}

/**
 * Why the call is made. The code must be registered with `createClient({ purposes })`; with the
 * purposes written in the call (or `as const`), `P` is the union of their codes and a typo does not
 * compile.
 */
export interface PurposeContext<P extends string = string> {
  /** Registered purpose code (the procedure code, `MaDVC` on the wire). */
  code: P;
  /** The dossier or case this call serves, so an auditor can trace it. Recommended. */
  dossierId?: string;
}

/** What every call must carry. Both members are required: there is no anonymous, purposeless call. */
export interface CallContext<P extends string = string> {
  purpose: PurposeContext<P>;
  operator: OperatorContext;
  /** Request id (`MaYeuCau`) to use; a UUID is generated when absent. 1–64 of `[A-Za-z0-9._-]`. */
  requestId?: string;
  /** Abort the call (before it is sent, while it waits for quota, or in flight). */
  signal?: AbortSignal;
  /**
   * `interactive` (default): an officer is waiting; `batch`: a sync or report. When the quota is
   * exhausted and `quota.onExhausted` is `wait`, interactive calls get the next room first.
   */
  priority?: 'interactive' | 'batch';
}

/** Context of a lookup: which fields to return (data minimisation: there is no "all fields"). */
export interface LookupContext<P extends string = string, F extends CitizenField = CitizenField> extends CallContext<P> {
  /** Fields to return; each must be allowed by the purpose. At least one. The result's type has these and no others. */
  fields: readonly F[];
}

/** A context after validation. */
export interface NormalisedContext {
  purpose: { code: string; dossierId?: string };
  operator: { id: string; ip: string; sessionId?: string; loginIp?: string };
  requestId?: string;
  signal?: AbortSignal;
  priority: 'interactive' | 'batch';
  fields?: CitizenField[];
}

/**
 * Identifiers travel in HTTP headers, JSON and SOAP envelopes and land in the audit trail: no control
 * characters and no lone surrogates (which XML cannot carry and logs mangle).
 */
const text = (max: number) =>
  z.string().trim().min(1).max(max)
    // eslint-disable-next-line no-control-regex
    .refine((v) => !/[\u0000-\u001f\u007f]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(v),
      'must not contain control characters or lone surrogates');
const operatorShape = z.object({ id: text(128), ip: z.string(), sessionId: text(128).optional(), loginIp: z.string().optional() });
const purposeShape = z.object({ code: text(64), dossierId: text(128).optional() });
const requestIdShape = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/);
const fieldsShape = z.array(z.enum(CITIZEN_FIELDS)).min(1);

function bad(path: string, reason: string, message: string): ValidationError {
  return new ValidationError('ERR_INPUT_INVALID', path, reason, message);
}

function isAbortSignal(value: unknown): value is AbortSignal {
  return typeof value === 'object' && value !== null && typeof (value as AbortSignal).aborted === 'boolean' &&
    typeof (value as AbortSignal).addEventListener === 'function';
}

/**
 * Validate the call context. Missing purpose → `ERR_PURPOSE_REQUIRED`; missing operator (or its id
 * or IP) → `ERR_OPERATOR_REQUIRED`; malformed members → `ERR_INPUT_INVALID`. Plain-JS callers get
 * the same guarantees the types give TypeScript callers.
 */
export function validateContext(raw: unknown, withFields: boolean): NormalisedContext {
  if (typeof raw !== 'object' || raw === null) {
    throw new PurposeError('ERR_PURPOSE_REQUIRED', undefined,
      'Every call needs a context { purpose: { code }, operator: { id, ip } } as its second argument.');
  }
  const ctx = raw as Record<string, unknown>;
  const purposeRaw = ctx['purpose'] as Record<string, unknown> | undefined;
  if (typeof purposeRaw !== 'object' || purposeRaw === null || purposeRaw['code'] === undefined || purposeRaw['code'] === '') {
    throw new PurposeError('ERR_PURPOSE_REQUIRED', undefined,
      'context.purpose.code is required: every lookup must name the registered purpose (procedure) it serves.');
  }
  const purpose = purposeShape.safeParse(purposeRaw);
  if (!purpose.success) {
    const issue = purpose.error.issues[0]!;
    throw bad(`purpose.${issue.path.join('.')}`, issue.code, issue.message);
  }
  const operatorRaw = ctx['operator'] as Record<string, unknown> | undefined;
  if (typeof operatorRaw !== 'object' || operatorRaw === null || !operatorRaw['id'] || !operatorRaw['ip']) {
    throw new ValidationError('ERR_OPERATOR_REQUIRED', 'operator', 'missing',
      'context.operator { id, ip } is required: every lookup is attributed to an operator and the IP they work from ' +
        '(through a session: pass { ip } of the request that makes the call).');
  }
  const operator = operatorShape.safeParse(operatorRaw);
  if (!operator.success) {
    const issue = operator.error.issues[0]!;
    throw bad(`operator.${issue.path.join('.')}`, issue.code, issue.message);
  }
  const ip = operator.data.ip.trim();
  if (isIP(ip) === 0) throw bad('operator.ip', 'invalid_ip', 'must be an IPv4 or IPv6 address');

  const priority = ctx['priority'] ?? 'interactive';
  if (priority !== 'interactive' && priority !== 'batch') throw bad('priority', 'invalid_value', 'must be "interactive" or "batch"');
  const out: NormalisedContext = {
    purpose: { code: purpose.data.code },
    operator: { id: operator.data.id, ip },
    priority,
  };
  if (purpose.data.dossierId !== undefined) out.purpose.dossierId = purpose.data.dossierId;
  if (operator.data.sessionId !== undefined) out.operator.sessionId = operator.data.sessionId;
  if (operator.data.loginIp !== undefined) {
    const loginIp = operator.data.loginIp.trim();
    if (isIP(loginIp) === 0) throw bad('operator.loginIp', 'invalid_ip', 'must be an IPv4 or IPv6 address');
    out.operator.loginIp = loginIp;
  }
  if (ctx['requestId'] !== undefined) {
    const r = requestIdShape.safeParse(ctx['requestId']);
    if (!r.success) throw bad('requestId', 'invalid_request_id', 'must be 1–64 characters of [A-Za-z0-9._-]');
    out.requestId = r.data;
    noteRequestId(r.data); // the call's diagnostics name it from here on
  }
  if (ctx['signal'] !== undefined) {
    if (!isAbortSignal(ctx['signal'])) throw bad('signal', 'invalid_type', 'must be an AbortSignal');
    out.signal = ctx['signal'];
  }
  if (withFields) {
    const f = fieldsShape.safeParse(ctx['fields']);
    if (!f.success) {
      throw bad('fields', 'invalid_fields',
        `list at least one of ${CITIZEN_FIELDS.join(', ')}: a lookup returns only the fields it asks for`);
    }
    out.fields = [...new Set(f.data)];
  }
  return out;
}
