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

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** `2025-Jun-26 04:00:00+0000 UTC`: WSO2 API Manager's `yyyy-MMM-dd HH:mm:ssZ` followed by ` UTC`. */
const NEXT_ACCESS = /^(\d{4})-([A-Z][a-z]{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})([+-])(\d{2})(\d{2})(?: [A-Z]{1,5})?$/;

/** The instant (epoch ms) of an API manager's `nextAccessTime`, or undefined when it is not one. */
export function parseNextAccessTime(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const m = NEXT_ACCESS.exec(value.trim());
  if (!m) return undefined;
  const month = MONTHS.indexOf(m[2]!);
  if (month < 0) return undefined;
  const offset = (m[7] === '-' ? -1 : 1) * (Number(m[8]) * 60 + Number(m[9])) * 60_000;
  const at = Date.UTC(Number(m[1]), month, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) - offset;
  return Number.isNaN(at) ? undefined : at;
}

/** Throttle codes of the API manager in front of the gateways (WSO2: 900800–900809; 900805 is a block, not a throttle). */
const THROTTLE_CODES = new Set(['900800', '900801', '900802', '900803', '900804', '900806', '900807', '900808', '900809']);

/**
 * The throttle answer of the API manager that provincial gateways run in front of the service
 * (WSO2 API Manager): HTTP 429 (503 for 900801) with `{ code, message, description, nextAccessTime }`
 * as JSON — flat, or inside `fault` — or as XML `<amt:fault>` in `http://wso2.org/apimanager/throttling`.
 * Returns the code and how long to stop: until `nextAccessTime` when it names an instant, else the
 * `Retry-After` header, else 60 s; undefined when the answer is not such a throttle.
 */
export function apiManagerThrottle(res: { status: number; headers: Headers; body: string }, now: number): { code: string; retryAfterMs: number } | undefined {
  if (res.status !== 429 && res.status !== 503) return undefined;
  let code: unknown;
  let next: unknown;
  const body = res.body.trim();
  if (body.startsWith('{')) {
    try {
      const j = JSON.parse(body) as Record<string, unknown>;
      const f = (typeof j['fault'] === 'object' && j['fault'] !== null ? j['fault'] : j) as Record<string, unknown>;
      code = f['code'];
      next = f['nextAccessTime'];
    } catch {
      return undefined;
    }
  } else if (body.startsWith('<') && body.length < 4096) {
    code = /<(?:\w+:)?code>\s*(\d{6})\s*<\//.exec(body)?.[1];
    next = /<(?:\w+:)?nextAccessTime>([^<]{1,64})<\//.exec(body)?.[1];
  }
  const c = typeof code === 'number' ? String(code) : code;
  if (typeof c !== 'string' || !THROTTLE_CODES.has(c)) return undefined;
  const at = parseNextAccessTime(next);
  const retryAfterMs = at !== undefined
    ? Math.min(Math.max(at - now, 0), MAX_RETRY_AFTER_MS)
    : parseRetryAfter(res.headers.get('retry-after'), now);
  return { code: c, retryAfterMs };
}
