import { RateLimitedError, UpstreamError, UpstreamLockedError, type DancuError, ValidationError } from '../errors.js';

/** Longest `Retry-After` honoured, in milliseconds; a larger value is clamped. */
export const MAX_RETRY_AFTER_MS = 24 * 60 * 60 * 1000;
/** `Retry-After` assumed when a 429 carries none. */
export const DEFAULT_RETRY_AFTER_MS = 60_000;

/** Parse `Retry-After` (delta-seconds or HTTP date) into milliseconds, clamped to a day. */
export function parseRetryAfter(value: string | null, now: number): number {
  if (typeof value !== 'string' || value.trim() === '') return DEFAULT_RETRY_AFTER_MS;
  const v = value.trim();
  let ms: number;
  if (/^\d+$/.test(v)) ms = Number(v) * 1000;
  else {
    const at = Date.parse(v);
    ms = Number.isNaN(at) ? DEFAULT_RETRY_AFTER_MS : at - now;
  }
  return Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS);
}

/** An upstream error code as dancu accepts it (`MaLoi`, an API manager's code): short, no spaces, no text. */
const UPSTREAM_CODE = /^[0-9A-Za-z_.-]{1,16}$/;
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;

/** An ISO-8601 date-time with its offset that names a real instant. */
export function isIsoInstant(value: string): boolean {
  return ISO_INSTANT.test(value) && !Number.isNaN(Date.parse(value));
}

/** The meaning of an upstream error, as a profile has decoded it. */
export interface UpstreamFailure {
  status: number;
  kind: 'unauthorized' | 'locked' | 'rate_limited' | 'purpose_refused' | 'operator_refused' | 'invalid_input' | 'other';
  upstreamCode?: string | undefined;
  retryAfterMs?: number | undefined;
  lockedUntil?: string | undefined;
  requestId?: string | undefined;
}

/**
 * Turn a decoded upstream failure into the SDK's error. Shared by every profile so that a lock,
 * a throttle or a refused purpose has the same code whatever gateway reported it. The upstream's
 * own description is deliberately dropped: gateways echo inputs (ID numbers, names) into it.
 */
export function upstreamError(f: UpstreamFailure): DancuError {
  if (typeof f !== 'object' || f === null || typeof f.status !== 'number' || typeof f.kind !== 'string') {
    throw new ValidationError('ERR_INPUT_INVALID', 'failure', 'invalid_argument', 'pass { status, kind, upstreamCode?, retryAfterMs?, lockedUntil?, requestId? }');
  }
  // What the upstream wrote is untrusted text: it reaches messages, logs and the audit trail only
  // when it has the shape it claims (a short code, an ISO-8601 instant); anything else is dropped
  // and counted in `discarded`, never echoed (gateways put ID numbers and names in such fields).
  const upstreamCode = f.upstreamCode !== undefined && UPSTREAM_CODE.test(f.upstreamCode) ? f.upstreamCode : undefined;
  const lockedUntil = f.lockedUntil !== undefined && isIsoInstant(f.lockedUntil) ? f.lockedUntil : undefined;
  const discarded = +(f.upstreamCode !== undefined && upstreamCode === undefined) + +(f.lockedUntil !== undefined && lockedUntil === undefined);
  const init = { status: f.status, requestId: f.requestId, upstreamCode, discarded: discarded || undefined };
  const clean = Object.fromEntries(Object.entries(init).filter(([, v]) => v !== undefined)) as {
    status: number; requestId?: string; upstreamCode?: string; discarded?: number;
  };
  switch (f.kind) {
    case 'locked':
      return new UpstreamLockedError(lockedUntil, clean);
    case 'rate_limited':
      return new RateLimitedError(f.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS, clean);
    case 'unauthorized':
      return new UpstreamError('ERR_UNAUTHORIZED', f.status,
        'The upstream refused the credentials or access token. Check clientId/clientSecret; an expired token is refreshed once automatically.', clean);
    case 'purpose_refused':
      return new UpstreamError('ERR_UPSTREAM_PURPOSE_REFUSED', f.status,
        'The upstream says this account is not licensed for the purpose (procedure) code. Register the procedure with the provincial police before using it.', clean);
    case 'operator_refused':
      return new UpstreamError('ERR_UPSTREAM_OPERATOR_REFUSED', f.status,
        'The upstream says this operator is not permitted to query. Ask the provincial police to grant the operator access.', clean);
    case 'invalid_input':
      return new UpstreamError('ERR_UPSTREAM', f.status,
        'The upstream rejected the request as invalid although it passed local validation; report it with the request id.', clean);
    default:
      return new UpstreamError('ERR_UPSTREAM', f.status,
        `The upstream failed with HTTP ${f.status}${upstreamCode ? ` (code ${upstreamCode})` : ''}.`,
        f.retryAfterMs === undefined ? clean : { ...clean, retryAfterMs: f.retryAfterMs });
  }
}
