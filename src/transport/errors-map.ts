import { RateLimitedError, UpstreamError, UpstreamLockedError, type DancuError } from '../errors.js';

/** Longest `Retry-After` honoured, in milliseconds; a larger value is clamped. */
export const MAX_RETRY_AFTER_MS = 24 * 60 * 60 * 1000;
/** `Retry-After` assumed when a 429 carries none. */
export const DEFAULT_RETRY_AFTER_MS = 60_000;

/** Parse `Retry-After` (delta-seconds or HTTP date) into milliseconds, clamped to a day. */
export function parseRetryAfter(value: string | null, now: number): number {
  if (value === null || value.trim() === '') return DEFAULT_RETRY_AFTER_MS;
  const v = value.trim();
  let ms: number;
  if (/^\d+$/.test(v)) ms = Number(v) * 1000;
  else {
    const at = Date.parse(v);
    ms = Number.isNaN(at) ? DEFAULT_RETRY_AFTER_MS : at - now;
  }
  return Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS);
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
  const init = { status: f.status, requestId: f.requestId, upstreamCode: f.upstreamCode };
  const clean = Object.fromEntries(Object.entries(init).filter(([, v]) => v !== undefined)) as {
    status: number; requestId?: string; upstreamCode?: string;
  };
  switch (f.kind) {
    case 'locked':
      return new UpstreamLockedError(f.lockedUntil, clean);
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
        `The upstream failed with HTTP ${f.status}${f.upstreamCode ? ` (code ${f.upstreamCode})` : ''}.`,
        f.retryAfterMs === undefined ? clean : { ...clean, retryAfterMs: f.retryAfterMs });
  }
}
