/**
 * The population service's SOAP operations as public integration code sends and reads them, shared
 * by every profile that carries them (LGSP, NDXP direct, a vendor's): the envelope, the identifying
 * children, the date of birth, the answers seen in public code, and the failure mapping. Each rule
 * cites its evidence in `docs/protocol.md` ("Evidence").
 */
import { z } from 'zod';
import type { CitizenField, CitizenRecord } from '../citizen/types.js';
import { UpstreamError } from '../errors.js';
import { parseXml, toXml, type XmlNode } from '../internal/xml.js';
import { apiManagerThrottle, parseRetryAfter, upstreamError, type UpstreamFailure } from './errors-map.js';
import { REFERENCE_ERROR_CODES, WIRE_FIELD_NAMES } from './reference-profile.js';
import { HOUSEHOLD_HEAD_OPERATION, householdHead } from './household.js';
import type { ExtraRequest, LookupAnswer, LookupRequest, RequestMeta, VerifyAnswer, VerifyRequest, WireProfile, WireRequest, WireResponse } from './types.js';

/** Namespace of the population service's operations (`qldc:` in OpenCPS, `dan:` in the C06 clients). */
export const LGSP_NAMESPACE = 'http://dancuquocgia.bca';
/** Namespace of the citizen records a lookup answers (`CongdanCollection`). */
export const CITIZEN_NAMESPACE = 'http://www.mic.gov.vn/dancu/1.0';
export const SOAP_ENV = 'http://schemas.xmlsoap.org/soap/envelope/';

/** A child of an operation element: a name and its text or children. */
export type SoapChild = readonly [string, XmlNode];

/** The SOAP envelope of one operation call, every value escaped; `prefix` binds {@link LGSP_NAMESPACE}. */
export function soapEnvelope(element: string, children: ReadonlyArray<SoapChild>, prefix = 'qldc'): string {
  return `<soapenv:Envelope xmlns:soapenv="${SOAP_ENV}" xmlns:${prefix}="${LGSP_NAMESPACE}"><soapenv:Header/><soapenv:Body>` +
    `${toXml(prefix, [[element, children]])}</soapenv:Body></soapenv:Envelope>`;
}

/** A 9-digit legacy number goes as `SoCMND`, a 12-digit one as `SoDinhDanh`. */
export function idChild(idNumber: string): SoapChild {
  return [idNumber.length === 9 ? 'SoCMND' : 'SoDinhDanh', idNumber];
}

/**
 * `NgayThangNamSinh`: a full date as `NgayThangNam` `yyyyMMdd`; a year as `Nam`. A year and month
 * has no public example: it goes as its year (`Nam`), so the gateway checks the year only.
 */
export function dateOfBirthChild(iso: string): SoapChild {
  const [y, m, d] = iso.split('-');
  return ['NgayThangNamSinh', [m !== undefined && d !== undefined ? ['NgayThangNam', `${y}${m}${d}`] : ['Nam', y!]]];
}

/** Options of {@link serviceChildren}. */
export interface ServiceChildrenOptions {
  /** `MaTichHop`: the integration code of the population service at this gateway. */
  integrationCode: string;
  /** Send `MaDonVi` (the unit code) after `MaCanBo`, as the C06 C# client does. Default `false`. */
  unitCode?: boolean;
}

/**
 * The children of an operation, in the order public clients send them: `MaYeuCau`, `MaDVC`,
 * `MaTichHop`, `MaCanBo`, [`MaDonVi`], `SoCMND` | `SoDinhDanh`, then `HoVaTen` and
 * `NgayThangNamSinh` when given.
 */
export function serviceChildren(r: RequestMeta & { idNumber: string; fullName?: string | undefined; dateOfBirth?: string | undefined }, o: ServiceChildrenOptions): SoapChild[] {
  const out: SoapChild[] = [['MaYeuCau', r.requestId], ['MaDVC', r.purposeCode], ['MaTichHop', o.integrationCode], ['MaCanBo', r.operatorId]];
  if (o.unitCode) out.push(['MaDonVi', r.unitCode]);
  out.push(idChild(r.idNumber));
  if (r.fullName !== undefined) out.push(['HoVaTen', r.fullName]);
  if (r.dateOfBirth !== undefined) out.push(dateOfBirthChild(r.dateOfBirth));
  return out;
}

function unusable(status: number, what: string, requestId: string | undefined, detail: string): UpstreamError {
  // No cause: parser errors quote the body, and bodies hold personal data.
  return new UpstreamError('ERR_UPSTREAM_RESPONSE', status, `The gateway's ${what} answer is not usable (${detail}); it was not used.`, requestId ? { requestId } : {});
}

/** The gateway's error codes (`MaLoi` of a SOAP fault) by meaning; the defaults are the reference profile's. */
export type ErrorCodes = Partial<Record<Exclude<UpstreamFailure['kind'], 'other'>, readonly string[]>>;

/** A failure mapper: `MaLoi` → meaning, with the HTTP status and the API manager's throttle as fallbacks. */
export function failureMapper(errorCodes: ErrorCodes = {}): (res: WireResponse, requestId: string | undefined, fault?: Record<string, unknown>) => never {
  const C = REFERENCE_ERROR_CODES;
  const defaults: Required<ErrorCodes> = {
    invalid_input: [C.invalidInput], unauthorized: [C.unauthorized], purpose_refused: [C.purposeNotLicensed],
    operator_refused: [C.operatorNotPermitted], rate_limited: [C.rateLimited], locked: [C.locked],
  };
  const codes = new Map<string, UpstreamFailure['kind']>();
  for (const [kind, list] of Object.entries({ ...defaults, ...errorCodes })) for (const c of list ?? []) codes.set(c, kind as UpstreamFailure['kind']);
  return (res, requestId, fault) => {
    const throttle = apiManagerThrottle(res, Date.now());
    if (throttle) throw upstreamError({ status: res.status, kind: 'rate_limited', upstreamCode: throttle.code, retryAfterMs: throttle.retryAfterMs, requestId });
    const detail = (fault?.['detail'] ?? {}) as Record<string, unknown>;
    const code = typeof detail['MaLoi'] === 'string' ? detail['MaLoi'] : undefined;
    let kind: UpstreamFailure['kind'] = code !== undefined ? codes.get(code) ?? 'other' : 'other';
    if (kind === 'other') {
      if (res.status === 423) kind = 'locked';
      else if (res.status === 429) kind = 'rate_limited';
      else if (res.status === 401) kind = 'unauthorized';
    }
    throw upstreamError({
      status: res.status,
      kind,
      upstreamCode: code,
      retryAfterMs: kind === 'rate_limited' || res.headers.has('retry-after') ? parseRetryAfter(res.headers.get('retry-after'), Date.now()) : undefined,
      lockedUntil: typeof detail['KhoaDen'] === 'string' ? detail['KhoaDen'] : undefined,
      requestId,
    });
  };
}

/**
 * The `Body` of a SOAP answer: a fault or a non-200 status goes to `fail`; an answer that is not a
 * SOAP envelope is `ERR_UPSTREAM_RESPONSE`. A DTD is refused by the parser.
 */
export function soapBody(res: WireResponse, what: string, requestId: string | undefined, fail: ReturnType<typeof failureMapper>): Record<string, unknown> {
  let doc: Record<string, unknown>;
  try {
    doc = parseXml(res.body);
  } catch {
    if (res.status !== 200) fail(res, requestId);
    throw unusable(res.status, what, requestId, 'not a SOAP envelope');
  }
  const body = (doc['Envelope'] as Record<string, unknown> | undefined)?.['Body'];
  if (typeof body !== 'object' || body === null) {
    if (res.status !== 200) fail(res, requestId);
    throw unusable(res.status, what, requestId, 'not a SOAP envelope');
  }
  const b = body as Record<string, unknown>;
  if (b['Fault'] !== undefined || res.status !== 200) fail(res, requestId, b['Fault'] as Record<string, unknown> | undefined);
  return b;
}

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
/** `KetQuaXacThuc` (and `…Response`): one yes/no for the whole tuple, no request-id echo. */
const overallAnswer = z.object({ TonTai: bool, MaYeuCau: z.string().optional() });
/** Assumed (no public example): a field-by-field answer in the reference profile's names. */
const detailedAnswer = z.object({
  MaYeuCau: z.string(),
  TonTai: bool,
  KetQua: z.object({ TrungKhop: bool, HoVaTen: bool, NgayThangNamSinh: bool, GioiTinh: bool.optional() }),
});

function checkEcho(echo: string | undefined, requestId: string, status: number, what: string): void {
  if (echo !== undefined && echo !== requestId) {
    throw new UpstreamError('ERR_UPSTREAM_RESPONSE', status, `The gateway's ${what} answer is for another request id; it was not used.`, { requestId });
  }
}

function firstIssue(error: z.ZodError): string {
  const i = error.issues[0]!;
  return `${i.path.join('.') || 'body'}: ${i.code}`;
}

/**
 * A verify answer in any shape seen in public code: `KetQuaXacThuc { TonTai }` (or
 * `KetQuaXacThucResponse`) — `detail: 'overall'`; or `{element}Response` with `KetQua` field by field
 * (assumed) — `detail: 'fields'`. A request-id echo, when present, must be this request's.
 */
export function verifyAnswerOf(body: Record<string, unknown>, element: string, r: { requestId: string; sex?: unknown }, status: number): VerifyAnswer {
  const response = body[`${element}Response`];
  if (response !== undefined && typeof response === 'object' && response !== null && 'KetQua' in response) {
    const d = detailedAnswer.safeParse(response);
    if (!d.success) throw unusable(status, element, r.requestId, firstIssue(d.error));
    checkEcho(d.data.MaYeuCau, r.requestId, status, element);
    const k = d.data.KetQua;
    const fields: VerifyAnswer['fields'] = { fullName: k.HoVaTen, dateOfBirth: k.NgayThangNamSinh };
    if (r.sex !== undefined) fields.sex = k.GioiTinh ?? false;
    const match = d.data.TonTai && k.TrungKhop && fields.fullName && fields.dateOfBirth && fields.sex !== false;
    return { found: d.data.TonTai, match, detail: 'fields', fields };
  }
  const overall = body['KetQuaXacThuc'] ?? body['KetQuaXacThucResponse'] ?? response;
  const o = overallAnswer.safeParse(overall);
  if (!o.success) throw unusable(status, element, r.requestId, firstIssue(o.error));
  checkEcho(o.data.MaYeuCau, r.requestId, status, element);
  const yes = o.data.TonTai;
  const fields: VerifyAnswer['fields'] = { fullName: yes, dateOfBirth: yes };
  if (r.sex !== undefined) fields.sex = yes;
  return { found: yes, match: yes, detail: 'overall', fields };
}

const text = z.string();
const place = z.union([text, z.object({ ChiTiet: text.optional() }).passthrough()]);
/** `CongDan` as the lookup answers it (namespace {@link CITIZEN_NAMESPACE}); only what dancu maps is checked. */
const csdlCitizen = z.object({
  SoDinhDanh: text.optional(),
  SoCMND: text.optional(),
  HoVaTen: z.union([text, z.object({ Ho: text.optional(), ChuDem: text.optional(), Ten: text.optional() })]).optional(),
  GioiTinh: text.optional(),
  DanToc: text.optional(),
  TonGiao: text.optional(),
  QuocTich: text.optional(),
  NgayThangNamSinh: z.union([text, z.object({ Nam: text.optional(), NgayThangNam: text.optional() })]).optional(),
  QueQuan: place.optional(),
  ThuongTru: place.optional(),
  NoiOHienTai: place.optional(),
}).passthrough();

/** A citizen record as the lookup answers it (`CongDan`), the parts dancu maps. */
export interface CsdlCitizen {
  SoDinhDanh?: string | undefined;
  SoCMND?: string | undefined;
  HoVaTen?: string | { Ho?: string | undefined; ChuDem?: string | undefined; Ten?: string | undefined } | undefined;
  GioiTinh?: string | undefined;
  DanToc?: string | undefined;
  TonGiao?: string | undefined;
  QuocTich?: string | undefined;
  NgayThangNamSinh?: string | { Nam?: string | undefined; NgayThangNam?: string | undefined } | undefined;
  QueQuan?: string | { ChiTiet?: string | undefined } | undefined;
  ThuongTru?: string | { ChiTiet?: string | undefined } | undefined;
  NoiOHienTai?: string | { ChiTiet?: string | undefined } | undefined;
}

/** `HoVaTen { Ho, ChuDem, Ten }` joined with single spaces, empty parts left out. */
function fullNameOf(v: CsdlCitizen['HoVaTen']): string | undefined {
  if (v === undefined || typeof v === 'string') return v || undefined;
  const name = [v.Ho, v.ChuDem, v.Ten].filter((p): p is string => typeof p === 'string' && p.trim() !== '').map((p) => p.trim()).join(' ');
  return name || undefined;
}

/** `NgayThangNam` `yyyyMMdd` → `YYYY-MM-DD` (a `00` day or month is left out), else `Nam`. */
function dateOf(v: CsdlCitizen['NgayThangNamSinh']): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'string') return /^\d{4}(-\d{2}(-\d{2})?)?$/.test(v) ? v : undefined;
  const full = /^(\d{4})(\d{2})(\d{2})$/.exec(v.NgayThangNam ?? '');
  if (full) {
    const [, y, m, d] = full;
    if (m === '00') return y;
    return d === '00' ? `${y}-${m}` : `${y}-${m}-${d}`;
  }
  return /^\d{4}$/.test(v.Nam ?? '') ? v.Nam : undefined;
}

function placeOf(v: CsdlCitizen['QueQuan']): string | undefined {
  if (v === undefined) return undefined;
  const s = typeof v === 'string' ? v : v.ChiTiet;
  return s?.trim() || undefined;
}

/** `GioiTinh` as the lookup answers it: `1` male, `2` female (assumed from one sample); `NAM`/`NU` too. */
function sexOf(v: string | undefined): 'male' | 'female' | undefined {
  if (v === '1' || v === 'NAM') return 'male';
  if (v === '2' || v === 'NU') return 'female';
  return undefined;
}

/** The evidence shape of a citizen → the fields asked for, by SDK names (minimisation: nothing else). */
export function citizenFromCsdl(c: CsdlCitizen, fields: readonly CitizenField[]): CitizenRecord {
  const all: Record<CitizenField, string | undefined> = {
    fullName: fullNameOf(c.HoVaTen),
    dateOfBirth: dateOf(c.NgayThangNamSinh),
    sex: sexOf(c.GioiTinh),
    nationality: c.QuocTich?.trim() || undefined,
    ethnicity: c.DanToc?.trim() || undefined,
    religion: c.TonGiao?.trim() || undefined,
    placeOfOrigin: placeOf(c.QueQuan),
    permanentAddress: placeOf(c.ThuongTru),
    currentAddress: placeOf(c.NoiOHienTai),
  };
  const out: CitizenRecord = {};
  for (const f of fields) if (all[f] !== undefined) (out as Record<string, unknown>)[f] = all[f];
  return out;
}

const flatCitizen = z.object(Object.fromEntries(Object.values(WIRE_FIELD_NAMES).map((n) => [n, text.optional()])) as Record<string, z.ZodOptional<z.ZodString>>);
const flatLookup = z.object({ MaYeuCau: text.optional(), TonTai: bool, CongDan: z.union([flatCitizen, z.literal('')]).optional() });

/**
 * A lookup answer: `CongdanCollection/CongDan` (one record; empty or absent: not found), or, assumed,
 * `{element}Response { TonTai, CongDan }` in the reference profile's names. Only `fields` are kept.
 */
export function lookupAnswerOf(body: Record<string, unknown>, element: string, r: { requestId: string; fields: readonly CitizenField[] }, status: number): LookupAnswer {
  if ('CongdanCollection' in body) {
    const col = body['CongdanCollection'];
    const raw = typeof col === 'object' && col !== null ? (col as Record<string, unknown>)['CongDan'] : undefined;
    if (raw === undefined || raw === '') return { found: false, citizen: null };
    if (Array.isArray(raw)) throw unusable(status, element, r.requestId, 'CongDan: more than one record for one ID number');
    const c = csdlCitizen.safeParse(raw);
    if (!c.success) throw unusable(status, element, r.requestId, firstIssue(c.error));
    return { found: true, citizen: citizenFromCsdl(c.data, r.fields) };
  }
  const f = flatLookup.safeParse(body[`${element}Response`]);
  if (!f.success) throw unusable(status, element, r.requestId, firstIssue(f.error));
  checkEcho(f.data.MaYeuCau, r.requestId, status, element);
  const c = f.data.CongDan;
  if (!f.data.TonTai || c === undefined || c === '') return { found: false, citizen: null };
  const mapped: Record<string, string | undefined> = {};
  for (const [field, wire] of Object.entries(WIRE_FIELD_NAMES)) mapped[field] = c[wire];
  const out: CitizenRecord = {};
  for (const field of r.fields) {
    const v = mapped[field];
    if (v === undefined) continue;
    if (field === 'sex') out.sex = v === 'NAM' ? 'male' : 'female';
    else out[field] = v;
  }
  return { found: true, citizen: out };
}

/** Raised inside a profile for an answer it cannot use (exported for vendor profiles). */
export { unusable as unusableAnswer };

/** Paths of the service's operations under `baseUrl` (the same for every SOAP profile unless the gateway says otherwise). */
export interface ServicePaths {
  verify: string;
  lookup: string;
  householdHead: string;
}

/**
 * The service's operations — verify, lookup, and the household head — for a profile that sends the
 * envelope as the body: `request(path, element, r)` builds the HTTP request (its headers are the
 * profile's), `fail` maps its failures. The answers are read as public code reads them.
 */
export function serviceOperations(
  paths: ServicePaths,
  request: (path: string, element: string, r: ExtraRequest) => WireRequest | Promise<WireRequest>,
  fail: ReturnType<typeof failureMapper>,
): Pick<WireProfile, 'operations' | 'extraOperations'> {
  const V = 'XacThucThongTinCongDan';
  const L = 'TraCuuThongTinCongDan';
  return {
    operations: {
      verify: {
        build: (r: VerifyRequest) => request(paths.verify, V, r),
        parse: (res, r) => verifyAnswerOf(soapBody(res, V, r.requestId, fail), V, r, res.status),
      },
      lookup: {
        build: (r: LookupRequest) => request(paths.lookup, L, r),
        parse: (res, r) => lookupAnswerOf(soapBody(res, L, r.requestId, fail), L, r, res.status),
      },
    },
    extraOperations: {
      [HOUSEHOLD_HEAD_OPERATION]: {
        input: 'identity',
        build: (r) => request(paths.householdHead, HOUSEHOLD_HEAD_OPERATION, r),
        parse: (res, r) => householdHead(soapBody(res, HOUSEHOLD_HEAD_OPERATION, r.requestId, fail), r, res.status),
      },
    },
  };
}
