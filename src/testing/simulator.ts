import { randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { nameKey } from '../citizen/name.js';
import { parseIsoPartialDate, partialDatesAgree } from '../citizen/date.js';
import { CITIZEN_FIELDS } from '../citizen/types.js';
import { nextVietnamMidnight, toVietnamIso, vietnamDayKey, type Clock } from '../internal/time.js';
import { REFERENCE_ERROR_CODES as E, REFERENCE_PATHS, WIRE_FIELD_NAMES } from '../transport/reference-profile.js';
import { generateCitizens, seededRandom, type SandboxCitizen } from './population.js';

/** Faults the sandbox can inject into API answers (after counting the request, as a real one would be). */
export type FaultKind =
  | '500' | '502' | '503' | 'unavailable' | 'reset' | 'malformed' | 'invalid-schema' | 'slow' | 'oversize' | 'redirect' | 'flood' | 'drip';
/**
 * `unavailable`: 503 with `Retry-After: 1`; `flood`: a 100 MB body streamed without a length;
 * `drip`: the body trickles one byte every 50 ms and never ends (HTTP server only; msw: as `slow`).
 */
export const FAULT_KINDS: readonly FaultKind[] = [
  '500', '502', '503', 'unavailable', 'reset', 'malformed', 'invalid-schema', 'slow', 'oversize', 'redirect', 'flood', 'drip',
];

export interface SimulatorOptions {
  /** PRNG seed for the population and random faults. Default `2026`. */
  seed?: number;
  /** Number of citizens. Default `500`. */
  populationSize?: number;
  /** Daily query count (Vietnam day) past which the account is locked for the rest of the day. Default `10000`. */
  lockThreshold?: number;
  /** Queries per clock minute before `429` with `Retry-After`. Default: no limit. */
  perMinuteLimit?: number;
  /** Lifetime of access tokens, in seconds. Default `3600`. */
  tokenTtlSeconds?: number;
  /** Added latency of every answer, in ms: a number or `[min, max]`. Default `0`. */
  latencyMs?: number | [number, number];
  /** Random faults: each API answer is replaced by one of `kinds` with probability `rate`. */
  faults?: { rate: number; kinds?: readonly FaultKind[] };
  /** How long a `slow` fault stalls the body, in ms. Default `2000`. */
  slowMs?: number;
  /** Purpose codes (`MaDVC`) licensed for the account. Default: any. Others get `403` code `004`. */
  licensedPurposes?: readonly string[];
  /** Operators (`MaCanBo`) permitted. Default: any. Others get `403` code `005`. */
  permittedOperators?: readonly string[];
  /** The account's credentials. Default: generated. */
  credentials?: { clientId: string; clientSecret: string };
  /** Clock in epoch ms. Default `Date.now`. */
  clock?: Clock;
}

/** What the upstream saw. */
export interface SandboxStats {
  /** API requests received (verify + lookup), refused ones included. */
  total: number;
  /** API requests answered 200. */
  served: number;
  /** API requests refused (any non-200, injected faults included). */
  refused: number;
  /** Token requests received. */
  tokenRequests: number;
  /** API requests by purpose code (`MaDVC`). */
  byPurpose: Record<string, number>;
  /** API requests by operator (`MaCanBo`). */
  byOperator: Record<string, number>;
  /** API requests by HTTP status answered. */
  byStatus: Record<string, number>;
  /** Queries counted today (Vietnam day) for the account. */
  dayCount: number;
  /** The Vietnam day counted, `YYYY-MM-DD`. */
  day: string;
  /** Whether the account is locked now. */
  locked: boolean;
  /** End of the lock, ISO in Vietnam time. */
  lockedUntil?: string;
}

export interface SimRequest {
  method: string;
  /** Path relative to the sandbox root, starting with `/`. */
  path: string;
  headers: Headers;
  body: string;
}

export interface SimResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Transport-level behaviour the adapter must carry out. */
  fault?: 'reset' | 'slow' | 'flood' | 'drip';
  delayMs: number;
}

const verifyBody = z.object({
  MaYeuCau: z.string().min(1),
  MaDVC: z.string().min(1),
  MaDonVi: z.string().min(1),
  MaHeThong: z.string().min(1),
  MaCanBo: z.string().min(1),
  DiaChiIP: z.string().min(1),
  SoDinhDanh: z.string().regex(/^(\d{9}|\d{12})$/),
  HoVaTen: z.string().min(1),
  NgayThangNamSinh: z.string().regex(/^\d{4}(-\d{2}(-\d{2})?)?$/),
  GioiTinh: z.enum(['NAM', 'NU']).optional(),
});
const wireFieldNames = Object.values(WIRE_FIELD_NAMES) as [string, ...string[]];
const lookupBody = verifyBody
  .pick({ MaYeuCau: true, MaDVC: true, MaDonVi: true, MaHeThong: true, MaCanBo: true, DiaChiIP: true, SoDinhDanh: true })
  .extend({ TruongThongTin: z.array(z.enum(wireFieldNames)).min(1), HoVaTen: z.string().min(1).optional(), NgayThangNamSinh: verifyBody.shape.NgayThangNamSinh.optional() });
const householdBody = verifyBody.omit({ GioiTinh: true });
type ApiOperation = 'verify' | 'lookup' | 'householdHead';

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' };

/**
 * The upstream, in process: the reference profile's token and API endpoints over a seeded
 * population, with per-account counting per Vietnam day, the lock past the threshold, a per-minute
 * limit, latency and fault injection. Transport-free: the HTTP server and the msw handlers are thin
 * adapters over {@link Simulator.handle}.
 */
export class Simulator {
  readonly population: readonly SandboxCitizen[];
  readonly credentials: { clientId: string; clientSecret: string };
  readonly #byId = new Map<string, SandboxCitizen>();
  readonly #opts: Required<Pick<SimulatorOptions, 'lockThreshold' | 'tokenTtlSeconds' | 'slowMs'>> & SimulatorOptions;
  readonly #clock: Clock;
  readonly #random: () => number;
  #tokens = new Map<string, number>();
  #injected: FaultKind[] = [];
  #stats = this.#emptyStats();
  #day = '';
  #dayCount = 0;
  #lockedUntil = 0;
  #minute = -1;
  #minuteCount = 0;

  constructor(options: SimulatorOptions = {}) {
    this.#opts = { lockThreshold: 10_000, tokenTtlSeconds: 3600, slowMs: 2000, ...options };
    this.#clock = options.clock ?? Date.now;
    this.#random = seededRandom((options.seed ?? 2026) ^ 0x5eed);
    this.population = Object.freeze(generateCitizens(options.populationSize ?? 500, { seed: options.seed ?? 2026 }));
    for (const c of this.population) {
      this.#byId.set(c.idNumber, c);
      if (c.legacyIdNumber) this.#byId.set(c.legacyIdNumber, c);
    }
    this.credentials = options.credentials ?? {
      clientId: `sandbox-${randomBytes(4).toString('hex')}`,
      // Satisfies the provinces' password rule (upper, lower, digit, special, length).
      clientSecret: `Sbx!${randomBytes(12).toString('base64url')}9a`,
    };
  }

  /** Replace the next `count` API answers by `kind`. */
  inject(kind: FaultKind, count = 1): void {
    for (let i = 0; i < count; i++) this.#injected.push(kind);
  }

  /** Forget every issued token, as an upstream restart or key rotation would. */
  expireTokens(): void {
    this.#tokens.clear();
  }

  /** Counters, the lock and injected faults back to a fresh start (tokens and population kept). */
  reset(): void {
    this.#stats = this.#emptyStats();
    this.#injected = [];
    this.#day = '';
    this.#dayCount = 0;
    this.#lockedUntil = 0;
    this.#minute = -1;
    this.#minuteCount = 0;
  }

  stats(): SandboxStats {
    const now = this.#clock();
    this.#rollDay(now);
    const s: SandboxStats = {
      ...this.#stats,
      byPurpose: { ...this.#stats.byPurpose },
      byOperator: { ...this.#stats.byOperator },
      byStatus: { ...this.#stats.byStatus },
      dayCount: this.#dayCount,
      day: this.#day,
      locked: this.#lockedUntil > now,
    };
    if (s.locked) s.lockedUntil = toVietnamIso(this.#lockedUntil);
    return s;
  }

  async handle(req: SimRequest): Promise<SimResponse> {
    const delayMs = this.#latency();
    if (req.method === 'POST' && req.path === REFERENCE_PATHS.token) return { ...this.#token(req), delayMs };
    const op = req.method !== 'POST' ? undefined
      : req.path === REFERENCE_PATHS.verify ? 'verify' : req.path === REFERENCE_PATHS.lookup ? 'lookup' : req.path === REFERENCE_PATHS.householdHead ? 'householdHead' : undefined;
    if (op !== undefined) {
      const res = this.#api(req, op);
      this.#stats.byStatus[res.status] = (this.#stats.byStatus[res.status] ?? 0) + 1;
      if (res.status === 200 && !res.fault) this.#stats.served++;
      else this.#stats.refused++;
      return { ...res, delayMs };
    }
    return { status: 404, headers: JSON_HEADERS, body: JSON.stringify({ MaLoi: '404', MoTa: 'Not found' }), delayMs };
  }

  #emptyStats() {
    return { total: 0, served: 0, refused: 0, tokenRequests: 0, byPurpose: {} as Record<string, number>,
      byOperator: {} as Record<string, number>, byStatus: {} as Record<string, number> };
  }

  #latency(): number {
    const l = this.#opts.latencyMs;
    if (l === undefined) return 0;
    if (typeof l === 'number') return l;
    return l[0] + Math.floor(this.#random() * (l[1] - l[0] + 1));
  }

  #token(req: SimRequest): Omit<SimResponse, 'delayMs'> {
    this.#stats.tokenRequests++;
    const refuse = { status: 401, headers: JSON_HEADERS, body: JSON.stringify({ error: 'invalid_client' }) };
    const m = /^Basic\s+(.+)$/i.exec(req.headers.get('authorization') ?? '');
    if (!m || !/(^|&)grant_type=client_credentials(&|$)/.test(req.body)) return refuse;
    const [id = '', secret = ''] = Buffer.from(m[1]!, 'base64').toString('utf8').split(':').map(decodeURIComponent);
    if (!safeEqual(id, this.credentials.clientId) || !safeEqual(secret, this.credentials.clientSecret)) return refuse;
    const token = randomBytes(24).toString('base64url');
    this.#tokens.set(token, this.#clock() + this.#opts.tokenTtlSeconds * 1000);
    return {
      status: 200,
      headers: { ...JSON_HEADERS, 'cache-control': 'no-store' },
      body: JSON.stringify({ access_token: token, token_type: 'Bearer', expires_in: this.#opts.tokenTtlSeconds }),
    };
  }

  #rollDay(now: number): void {
    const day = vietnamDayKey(now);
    if (day !== this.#day) {
      this.#day = day;
      this.#dayCount = 0;
    }
  }

  /**
   * An access token for a gateway that authenticates its callers by other means (a signature) and
   * then calls the API as this account: not counted as a token request.
   */
  issueToken(): string {
    const token = randomBytes(24).toString('base64url');
    this.#tokens.set(token, this.#clock() + this.#opts.tokenTtlSeconds * 1000);
    return token;
  }

  /** The head of a citizen's household: households are runs of three citizens, the first heading it. */
  headOf(idNumber: string): SandboxCitizen | undefined {
    const c = this.#byId.get(idNumber);
    if (c === undefined) return undefined;
    const i = this.population.indexOf(c);
    return this.population[i - (i % 3)];
  }

  #api(req: SimRequest, op: ApiOperation): Omit<SimResponse, 'delayMs'> {
    const now = this.#clock();
    this.#stats.total++;
    let body: unknown;
    try {
      body = JSON.parse(req.body);
    } catch {
      body = undefined;
    }
    const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    if (typeof b['MaDVC'] === 'string') this.#stats.byPurpose[b['MaDVC']] = (this.#stats.byPurpose[b['MaDVC']] ?? 0) + 1;
    if (typeof b['MaCanBo'] === 'string') this.#stats.byOperator[b['MaCanBo']] = (this.#stats.byOperator[b['MaCanBo']] ?? 0) + 1;

    const token = /^Bearer\s+(.+)$/i.exec(req.headers.get('authorization') ?? '')?.[1];
    const expiry = token === undefined ? undefined : this.#tokens.get(token);
    if (expiry === undefined || expiry <= now) return error(401, E.unauthorized, 'Access token invalid or expired');

    // The lock: every authenticated query counts, refused or not; past the threshold the account
    // is locked until the next Vietnam midnight and every request is refused.
    this.#rollDay(now);
    if (this.#lockedUntil > now) return locked(this.#lockedUntil);
    this.#dayCount++;
    if (this.#dayCount > this.#opts.lockThreshold) {
      this.#lockedUntil = nextVietnamMidnight(now);
      return locked(this.#lockedUntil);
    }
    const minute = Math.floor(now / 60_000);
    if (minute !== this.#minute) {
      this.#minute = minute;
      this.#minuteCount = 0;
    }
    this.#minuteCount++;
    if (this.#opts.perMinuteLimit !== undefined && this.#minuteCount > this.#opts.perMinuteLimit) {
      const retryAfter = Math.max(1, Math.ceil(((minute + 1) * 60_000 - now) / 1000));
      return { ...error(429, E.rateLimited, 'Too many requests'), headers: { ...JSON_HEADERS, 'retry-after': String(retryAfter) } };
    }

    const fault = this.#injected.shift() ??
      (this.#opts.faults && this.#random() < this.#opts.faults.rate ? pickFault(this.#opts.faults.kinds ?? FAULT_KINDS, this.#random) : undefined);
    const parsed = (op === 'verify' ? verifyBody : op === 'lookup' ? lookupBody : householdBody).safeParse(body);
    if (!parsed.success) return error(400, E.invalidInput, 'Invalid request');
    const p = parsed.data;
    if (this.#opts.licensedPurposes && !this.#opts.licensedPurposes.includes(p.MaDVC)) {
      return error(403, E.purposeNotLicensed, 'Procedure not licensed for this account');
    }
    if (this.#opts.permittedOperators && !this.#opts.permittedOperators.includes(p.MaCanBo)) {
      return error(403, E.operatorNotPermitted, 'Operator not permitted');
    }
    const answer = op === 'verify' ? this.#verify(p as z.infer<typeof verifyBody>)
      : op === 'lookup' ? this.#lookup(p as z.infer<typeof lookupBody>) : this.#household(p as z.infer<typeof householdBody>);
    return fault ? applyFault(fault, answer, p.MaYeuCau, this.#opts.slowMs) : answer;
  }

  #verify(p: z.infer<typeof verifyBody>): Omit<SimResponse, 'delayMs'> {
    const c = this.#byId.get(p.SoDinhDanh);
    const asked = parseIsoPartialDate(p.NgayThangNamSinh);
    const result = c === undefined
      ? { TrungKhop: false, HoVaTen: false, NgayThangNamSinh: false, ...(p.GioiTinh ? { GioiTinh: false } : {}) }
      : (() => {
          const name = nameKey(p.HoVaTen) === nameKey(c.fullName);
          const dob = asked !== undefined && partialDatesAgree(asked, parseIsoPartialDate(c.dateOfBirth)!);
          const sex = p.GioiTinh === undefined ? undefined : (p.GioiTinh === 'NAM') === (c.sex === 'male');
          return { TrungKhop: name && dob && sex !== false, HoVaTen: name, NgayThangNamSinh: dob, ...(sex === undefined ? {} : { GioiTinh: sex }) };
        })();
    return ok({ MaYeuCau: p.MaYeuCau, TonTai: c !== undefined, KetQua: result });
  }

  /** Whether name and date (each when given) are this citizen's, by the rules of verify. */
  #agrees(c: SandboxCitizen, name: string | undefined, date: string | undefined): boolean {
    if (name !== undefined && nameKey(name) !== nameKey(c.fullName)) return false;
    const asked = date === undefined ? undefined : parseIsoPartialDate(date);
    return date === undefined || (asked !== undefined && partialDatesAgree(asked, parseIsoPartialDate(c.dateOfBirth)!));
  }

  #household(p: z.infer<typeof householdBody>): Omit<SimResponse, 'delayMs'> {
    const c = this.#byId.get(p.SoDinhDanh);
    if (c === undefined || !this.#agrees(c, p.HoVaTen, p.NgayThangNamSinh)) return ok({ MaYeuCau: p.MaYeuCau, TonTai: false, ChuHo: null });
    const head = this.headOf(p.SoDinhDanh)!;
    return ok({ MaYeuCau: p.MaYeuCau, TonTai: true, ChuHo: { ...(head === c ? { QuanHe: 'CH01' } : {}), SoDinhDanh: head.idNumber, HoVaTen: head.fullName } });
  }

  #lookup(p: z.infer<typeof lookupBody>): Omit<SimResponse, 'delayMs'> {
    const c = this.#byId.get(p.SoDinhDanh);
    if (c === undefined || !this.#agrees(c, p.HoVaTen, p.NgayThangNamSinh)) return ok({ MaYeuCau: p.MaYeuCau, TonTai: false, CongDan: null });
    const out: Record<string, string> = {};
    for (const field of CITIZEN_FIELDS) {
      const wire = WIRE_FIELD_NAMES[field];
      if (!p.TruongThongTin.includes(wire)) continue;
      out[wire] = field === 'sex' ? (c.sex === 'male' ? 'NAM' : 'NU') : c[field];
    }
    return ok({ MaYeuCau: p.MaYeuCau, TonTai: true, CongDan: out });
  }
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function ok(body: unknown): Omit<SimResponse, 'delayMs'> {
  return { status: 200, headers: JSON_HEADERS, body: JSON.stringify(body) };
}

function error(status: number, code: string, message: string): Omit<SimResponse, 'delayMs'> {
  return { status, headers: JSON_HEADERS, body: JSON.stringify({ MaLoi: code, MoTa: message }) };
}

function locked(until: number): Omit<SimResponse, 'delayMs'> {
  return {
    status: 423,
    headers: JSON_HEADERS,
    body: JSON.stringify({ MaLoi: E.locked, MoTa: 'Connection locked: daily query limit exceeded', KhoaDen: toVietnamIso(until) }),
  };
}

function pickFault(kinds: readonly FaultKind[], random: () => number): FaultKind {
  return kinds[Math.floor(random() * kinds.length)]!;
}

function applyFault(kind: FaultKind, answer: Omit<SimResponse, 'delayMs'>, requestId: string, slowMs: number): Omit<SimResponse, 'delayMs'> {
  switch (kind) {
    case '500':
    case '502':
    case '503':
      return error(Number(kind), E.internal, 'Internal error');
    case 'unavailable':
      return { ...error(503, E.internal, 'Maintenance'), headers: { 'content-type': 'application/json', 'retry-after': '1' } };
    case 'reset':
    case 'flood':
    case 'drip':
      return { ...answer, fault: kind };
    case 'slow':
      return { ...answer, fault: 'slow', headers: { ...answer.headers, 'x-sandbox-slow-ms': String(slowMs) } };
    case 'malformed':
      return { ...answer, body: answer.body.slice(0, Math.max(1, Math.floor(answer.body.length / 2))) };
    case 'invalid-schema':
      return ok({ MaYeuCau: requestId, TonTai: 'yes', KetQua: 42 });
    case 'oversize':
      return ok({ MaYeuCau: requestId, padding: 'x'.repeat(2 * 1024 * 1024) });
    case 'redirect':
      return { status: 302, headers: { location: 'http://127.0.0.1:9/elsewhere' }, body: '' };
  }
}
