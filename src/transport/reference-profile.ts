import { z } from 'zod';
import type { CitizenField, CitizenRecord } from '../citizen/types.js';
import { UpstreamError } from '../errors.js';
import { apiManagerThrottle, parseRetryAfter, upstreamError, type UpstreamFailure } from './errors-map.js';
import { HOUSEHOLD_HEAD_OPERATION, householdHead } from './household.js';
import type {
  ClientCredentials,
  ExtraOperation,
  ExtraRequest,
  LookupAnswer,
  LookupRequest,
  RequestMeta,
  TokenAnswer,
  VerifyAnswer,
  VerifyRequest,
  WireProfile,
  WireRequest,
  WireResponse,
} from './types.js';

/**
 * The reference wire profile: documented in `docs/protocol.md` and `docs/openapi.yaml`, spoken by
 * the sandbox. Field names follow the public NDXP description of the population service.
 */
export const REFERENCE_PATHS = {
  token: '/oauth2/token',
  verify: '/api/v1/citizens/verify',
  lookup: '/api/v1/citizens/lookup',
  householdHead: '/api/v1/citizens/household-head',
} as const;

/** Error codes (`MaLoi`) of the reference profile. */
export const REFERENCE_ERROR_CODES = {
  invalidInput: '001',
  unauthorized: '002',
  purposeNotLicensed: '004',
  operatorNotPermitted: '005',
  rateLimited: '006',
  locked: '007',
  internal: '099',
} as const;

/** Wire names of citizen fields. */
export const WIRE_FIELD_NAMES: Readonly<Record<CitizenField, string>> = {
  fullName: 'HoVaTen',
  dateOfBirth: 'NgayThangNamSinh',
  sex: 'GioiTinh',
  nationality: 'QuocTich',
  ethnicity: 'DanToc',
  religion: 'TonGiao',
  placeOfOrigin: 'QueQuan',
  permanentAddress: 'NoiThuongTru',
  currentAddress: 'NoiOHienTai',
};

const SEX_TO_WIRE = { male: 'NAM', female: 'NU' } as const;

const tokenSchema = z.object({
  access_token: z.string().min(1),
  token_type: z.string().regex(/^bearer$/i),
  expires_in: z.number().int().positive(),
});
const errorSchema = z.object({ MaLoi: z.string(), MoTa: z.string().optional(), KhoaDen: z.string().optional() });
const verifySchema = z.object({
  MaYeuCau: z.string(),
  TonTai: z.boolean(),
  KetQua: z.object({
    TrungKhop: z.boolean(),
    HoVaTen: z.boolean(),
    NgayThangNamSinh: z.boolean(),
    GioiTinh: z.boolean().optional(),
  }),
});
const wireCitizen = z.object({
  HoVaTen: z.string().optional(),
  NgayThangNamSinh: z.string().optional(),
  GioiTinh: z.enum(['NAM', 'NU']).optional(),
  QuocTich: z.string().optional(),
  DanToc: z.string().optional(),
  TonGiao: z.string().optional(),
  QueQuan: z.string().optional(),
  NoiThuongTru: z.string().optional(),
  NoiOHienTai: z.string().optional(),
});
const lookupSchema = z.object({ MaYeuCau: z.string(), TonTai: z.boolean(), CongDan: wireCitizen.nullable() });

function badResponse(res: WireResponse, what: string, requestId?: string, cause?: unknown): UpstreamError {
  return new UpstreamError('ERR_UPSTREAM_RESPONSE', res.status,
    `The upstream answer is not a valid ${what} (${describeIssue(cause)}); it was not used.`,
    { ...(requestId ? { requestId } : {}), cause });
}

/** Path and kind of the first schema problem: never the value, which may be personal data. */
function describeIssue(cause: unknown): string {
  if (cause instanceof z.ZodError) {
    const i = cause.issues[0]!;
    return `${i.path.join('.') || 'body'}: ${i.code}`;
  }
  return 'not JSON';
}

function parseJson(res: WireResponse, what: string, requestId?: string): unknown {
  try {
    return JSON.parse(res.body);
  } catch {
    // No cause: a JSON SyntaxError quotes the body, and bodies hold personal data.
    throw badResponse(res, what, requestId);
  }
}

function failure(res: WireResponse, requestId?: string): never {
  const throttle = apiManagerThrottle(res, Date.now());
  if (throttle) throw upstreamError({ status: res.status, kind: 'rate_limited', upstreamCode: throttle.code, retryAfterMs: throttle.retryAfterMs, requestId });
  let body: z.infer<typeof errorSchema> | undefined;
  try {
    const parsed = errorSchema.safeParse(JSON.parse(res.body));
    if (parsed.success) body = parsed.data;
  } catch {
    /* a non-JSON error body: classify by status alone */
  }
  const C = REFERENCE_ERROR_CODES;
  const code = body?.MaLoi;
  let kind: UpstreamFailure['kind'] = 'other';
  if (res.status === 423 || code === C.locked) kind = 'locked';
  else if (res.status === 429 || code === C.rateLimited) kind = 'rate_limited';
  else if (res.status === 401 || code === C.unauthorized) kind = 'unauthorized';
  else if (code === C.purposeNotLicensed) kind = 'purpose_refused';
  else if (code === C.operatorNotPermitted) kind = 'operator_refused';
  else if (res.status === 400 || code === C.invalidInput) kind = 'invalid_input';
  throw upstreamError({
    status: res.status,
    kind,
    upstreamCode: code,
    retryAfterMs:
      kind === 'rate_limited' || res.headers.has('retry-after') ? parseRetryAfter(res.headers.get('retry-after'), Date.now()) : undefined,
    lockedUntil: body?.KhoaDen,
    requestId,
  });
}

/**
 * A 200 answer of an operation: JSON, of the schema, and for the request that was sent (an answer
 * for another request id, e.g. from a confused gateway cache, is never used). Error statuses throw.
 */
function answer<T extends { MaYeuCau: string }>(res: WireResponse, schema: z.ZodType<T>, what: string, requestId: string): T {
  if (res.status !== 200) failure(res, requestId);
  const parsed = schema.safeParse(parseJson(res, what, requestId));
  if (!parsed.success) throw badResponse(res, what, requestId, parsed.error);
  if (parsed.data.MaYeuCau !== requestId) {
    throw new UpstreamError('ERR_UPSTREAM_RESPONSE', res.status,
      `The upstream ${what} answer is for another request id; it was not used.`, { requestId });
  }
  return parsed.data;
}

function metaBody(m: RequestMeta): Record<string, string> {
  return {
    MaYeuCau: m.requestId,
    MaDVC: m.purposeCode,
    MaDonVi: m.unitCode,
    MaHeThong: m.systemId,
    MaCanBo: m.operatorId,
    DiaChiIP: m.operatorIp,
  };
}

function apiRequest(path: string, m: RequestMeta, body: Record<string, unknown>): WireRequest {
  return {
    method: 'POST',
    path,
    headers: {
      'content-type': 'application/json',
      accept: 'application/json',
      'x-request-id': m.requestId,
    },
    body: JSON.stringify(Object.assign(metaBody(m), body)),
  };
}

/** A citizen record by wire names → the fields asked for, by SDK names (shared by every profile that uses these names). */
export function fromWireCitizen(c: Readonly<Record<string, string | undefined>>, fields: readonly CitizenField[]): CitizenRecord {
  const out: CitizenRecord = {};
  for (const f of fields) {
    const v = c[WIRE_FIELD_NAMES[f]];
    if (v === undefined) continue;
    if (f === 'sex') out.sex = v === 'NAM' ? 'male' : 'female';
    else out[f] = v;
  }
  return out;
}

const householdSchema = z.object({
  MaYeuCau: z.string(),
  TonTai: z.boolean(),
  ChuHo: z.object({ QuanHe: z.string().optional(), SoDinhDanh: z.string().optional(), HoVaTen: z.string().optional() }).nullable(),
});

/** The worked extra operation over REST: the same names, the answer shaped as the SOAP one. */
const householdHeadOperation: ExtraOperation = {
  input: 'identity',
  build(r: ExtraRequest) {
    return apiRequest(REFERENCE_PATHS.householdHead, r, { SoDinhDanh: r.idNumber, HoVaTen: r.fullName, NgayThangNamSinh: r.dateOfBirth });
  },
  parse(res: WireResponse, r: ExtraRequest) {
    const data = answer(res, householdSchema, HOUSEHOLD_HEAD_OPERATION, r.requestId);
    const body = data.TonTai ? { CongdanCollection: { CongDan: { ChuHo: data.ChuHo ?? '' } } } : { CongdanCollection: '' };
    return householdHead(body, r, res.status);
  },
};

/** The reference profile object (stateless; share it freely). */
export const referenceProfile: WireProfile = {
  name: 'reference',
  auth: {
    kind: 'token',
    request(credentials: ClientCredentials): WireRequest {
      const basic = Buffer.from(
        `${encodeURIComponent(credentials.clientId)}:${encodeURIComponent(credentials.clientSecret)}`,
      ).toString('base64');
      return {
        method: 'POST',
        path: REFERENCE_PATHS.token,
        headers: {
          authorization: `Basic ${basic}`,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: 'grant_type=client_credentials',
      };
    },
    parse(res: WireResponse): TokenAnswer {
      if (res.status !== 200) failure(res);
      const parsed = tokenSchema.safeParse(parseJson(res, 'token'));
      if (!parsed.success) throw badResponse(res, 'token', undefined, parsed.error);
      return { accessToken: parsed.data.access_token, expiresInMs: parsed.data.expires_in * 1000 };
    },
    headers: (accessToken) => ({ authorization: `Bearer ${accessToken}` }),
  },
  operations: {
    verify: {
      build(r: VerifyRequest) {
        const body: Record<string, unknown> = { SoDinhDanh: r.idNumber, HoVaTen: r.fullName, NgayThangNamSinh: r.dateOfBirth };
        if (r.sex !== undefined) body['GioiTinh'] = SEX_TO_WIRE[r.sex];
        return apiRequest(REFERENCE_PATHS.verify, r, body);
      },
      parse(res: WireResponse, r: VerifyRequest): VerifyAnswer {
        const data = answer(res, verifySchema, 'verify', r.requestId);
        const k = data.KetQua;
        const fields: VerifyAnswer['fields'] = { fullName: k.HoVaTen, dateOfBirth: k.NgayThangNamSinh };
        if (r.sex !== undefined) fields.sex = k.GioiTinh ?? false;
        const match = data.TonTai && k.TrungKhop && fields.fullName && fields.dateOfBirth && fields.sex !== false;
        return { found: data.TonTai, match, detail: 'fields', fields };
      },
    },
    lookup: {
      build(r: LookupRequest) {
        const body: Record<string, unknown> = { SoDinhDanh: r.idNumber, TruongThongTin: r.fields.map((f) => WIRE_FIELD_NAMES[f]) };
        if (r.fullName !== undefined) body['HoVaTen'] = r.fullName;
        if (r.dateOfBirth !== undefined) body['NgayThangNamSinh'] = r.dateOfBirth;
        return apiRequest(REFERENCE_PATHS.lookup, r, body);
      },
      parse(res: WireResponse, r: LookupRequest): LookupAnswer {
        const data = answer(res, lookupSchema, 'lookup', r.requestId);
        const c = data.CongDan;
        if (!data.TonTai || c === null) return { found: false, citizen: null };
        // Minimisation: keep only what was asked for, whatever the upstream sent.
        return { found: true, citizen: fromWireCitizen(c, r.fields) };
      },
    },
  },
  extraOperations: { [HOUSEHOLD_HEAD_OPERATION]: householdHeadOperation },
};
