import { z } from 'zod';
import { ConfigError, UpstreamError } from '../errors.js';
import { parseXml, toXml, type XmlNode } from '../internal/xml.js';
import { parseRetryAfter, upstreamError, type UpstreamFailure } from './errors-map.js';
import { fromWireCitizen, REFERENCE_ERROR_CODES, WIRE_FIELD_NAMES } from './reference-profile.js';
import type {
  ClientCredentials,
  OperationTypes,
  RequestMeta,
  TokenAnswer,
  VerifyAnswer,
  WireProfile,
  WireRequest,
  WireResponse,
} from './types.js';

/** Namespace of the population service's SOAP operations, bound to the prefix `qldc`. */
export const LGSP_NAMESPACE = 'http://dancuquocgia.bca';
const SOAP_ENV = 'http://schemas.xmlsoap.org/soap/envelope/';

/** Options of {@link lgspSoapProfile}. The secrets are not here: they are `credentials` (AccessKey → `clientId`, SecretKey → `clientSecret`). */
export interface LgspSoapProfileOptions {
  /** `AppName` registered with the provincial LGSP. */
  appName: string;
  /** `PartnerCode` of your unit at the LGSP. */
  partnerCode: string;
  /** `PartnerCodeCus`, when the gateway issued one. Default `''`. */
  partnerCodeCus?: string;
  /** `MaTichHop`: the integration code of the population service at this gateway. */
  integrationCode: string;
  /** Paths under `baseUrl`. Defaults: `/token`, `/XacThucThongTinCongDan`, `/TraCuuThongTinCongDan`. */
  paths?: { token?: string; verify?: string; lookup?: string };
  /** Token lifetime assumed when the token answer has no `expires_in`, in seconds. Default `300`. */
  defaultTokenTtlSeconds?: number;
  /**
   * The gateway's error codes (`MaLoi` in the fault detail) by meaning. Defaults: the reference
   * profile's (`001` invalid input, `002` unauthorized, `004` procedure not licensed, `005` operator
   * not permitted, `006` throttled, `007` locked).
   */
  errorCodes?: Partial<Record<Exclude<UpstreamFailure['kind'], 'other'>, readonly string[]>>;
}

/** Paths of the LGSP profile by default. */
export const LGSP_DEFAULT_PATHS = { token: '/token', verify: '/XacThucThongTinCongDan', lookup: '/TraCuuThongTinCongDan' } as const;

/**
 * One SOAP operation of the population service: its body element, the children to send (in the
 * gateway's order), and the schema and mapping of its answer. Adding an operation of the service
 * (household head, marital status, …) is one more of these: a schema and a mapping, no plumbing.
 */
interface SoapOperation<K extends keyof OperationTypes, W> {
  element: string;
  children(r: OperationTypes[K]['request'], o: LgspSoapProfileOptions): Array<readonly [string, XmlNode]>;
  answer: z.ZodType<W>;
  toAnswer(w: W, r: OperationTypes[K]['request']): OperationTypes[K]['answer'];
}

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const text = z.string();
/** The identifying children, in the order public integration code sends them. */
function head(r: RequestMeta & { idNumber: string }, o: LgspSoapProfileOptions): Array<readonly [string, XmlNode]> {
  return [['MaYeuCau', r.requestId], ['MaDVC', r.purposeCode], ['MaTichHop', o.integrationCode], ['MaCanBo', r.operatorId], ['SoDinhDanh', r.idNumber]];
}

const verifyAnswer = z.object({
  MaYeuCau: text,
  TonTai: bool,
  KetQua: z.object({ TrungKhop: bool, HoVaTen: bool, NgayThangNamSinh: bool, GioiTinh: bool.optional() }),
});
const wireCitizen = z.object(Object.fromEntries(Object.values(WIRE_FIELD_NAMES).map((n) => [n, text.optional()])) as Record<string, z.ZodOptional<z.ZodString>>);
const lookupAnswer = z.object({ MaYeuCau: text, TonTai: bool, CongDan: z.union([wireCitizen, z.literal('')]).optional() });

const VERIFY: SoapOperation<'verify', z.infer<typeof verifyAnswer>> = {
  element: 'XacThucThongTinCongDan',
  children: (r, o) => [
    ...head(r, o),
    ['HoVaTen', r.fullName],
    ['NgayThangNamSinh', [['NgayThangNam', r.dateOfBirth]]],
    ...(r.sex ? [['GioiTinh', r.sex === 'male' ? 'NAM' : 'NU'] as const] : []),
  ],
  answer: verifyAnswer,
  toAnswer(w, r) {
    const fields: VerifyAnswer['fields'] = { fullName: w.KetQua.HoVaTen, dateOfBirth: w.KetQua.NgayThangNamSinh };
    if (r.sex !== undefined) fields.sex = w.KetQua.GioiTinh ?? false;
    return { found: w.TonTai, match: w.TonTai && w.KetQua.TrungKhop && fields.fullName && fields.dateOfBirth && fields.sex !== false, fields };
  },
};

const LOOKUP: SoapOperation<'lookup', z.infer<typeof lookupAnswer>> = {
  element: 'TraCuuThongTinCongDan',
  // The operation returns the record; dancu keeps only the fields asked for (below), before anything sees it.
  children: (r, o) => head(r, o),
  answer: lookupAnswer,
  toAnswer(w, r) {
    const c = w.CongDan;
    if (!w.TonTai || c === undefined || c === '') return { found: false, citizen: null };
    return { found: true, citizen: fromWireCitizen(c, r.fields) };
  },
};

/** `lgspaccesstoken`: base64 of the JSON the gateway expects. A credential: never logged. */
export function lgspAccessToken(credentials: ClientCredentials, o: LgspSoapProfileOptions): string {
  if (typeof credentials?.clientId !== 'string' || typeof credentials.clientSecret !== 'string' || typeof o?.appName !== 'string' || typeof o.partnerCode !== 'string') {
    throw new ConfigError([{ path: 'credentials', received: typeof credentials, message: 'lgspAccessToken needs { clientId, clientSecret } and the profile options { appName, partnerCode }', fix: 'pass the credentials and options the gateway issued' }]);
  }
  const json = JSON.stringify({
    AccessKey: credentials.clientId,
    SecretKey: credentials.clientSecret,
    AppName: o.appName,
    PartnerCode: o.partnerCode,
    PartnerCodeCus: o.partnerCodeCus ?? '',
  });
  return Buffer.from(json, 'utf8').toString('base64');
}

/** The SOAP envelope of one operation call, every value escaped. */
export function soapEnvelope(element: string, children: ReadonlyArray<readonly [string, XmlNode]>): string {
  return `<soapenv:Envelope xmlns:soapenv="${SOAP_ENV}" xmlns:qldc="${LGSP_NAMESPACE}"><soapenv:Header/><soapenv:Body>` +
    `${toXml('qldc', [[element, children]])}</soapenv:Body></soapenv:Envelope>`;
}

const tokenSchema = z.object({ access_token: z.string().min(1), expires_in: z.coerce.number().int().positive().optional() });

function bad(res: WireResponse, what: string, requestId?: string, detail = 'not a SOAP envelope'): UpstreamError {
  // No cause: parser errors quote the body, and bodies hold personal data.
  return new UpstreamError('ERR_UPSTREAM_RESPONSE', res.status, `The gateway's ${what} answer is not usable (${detail}); it was not used.`,
    requestId ? { requestId } : {});
}

/**
 * The LGSP gateway profile: an OAuth-like token obtained with the `lgspaccesstoken` header, and
 * each operation as an HTTP POST of `{ accessToken, lgspAccessToken, data: <SOAP envelope> }`,
 * answered by a SOAP envelope. The shape follows public procedure-system code (OpenCPS v2, QLCD
 * integration); `docs/protocol.md` says what is verified and what is assumed.
 *
 * @example
 * ```ts
 * createClient({
 *   baseUrl: 'https://lgsp.tinh.gov.vn/dancu',
 *   credentials: { clientId: process.env.LGSP_ACCESS_KEY!, clientSecret: process.env.LGSP_SECRET_KEY! },
 *   profile: lgspSoapProfile({ appName: 'MOTCUA', partnerCode: 'H29', integrationCode: 'DC-01' }),
 *   ...
 * })
 * ```
 */
export function lgspSoapProfile(options: LgspSoapProfileOptions): WireProfile {
  for (const k of ['appName', 'partnerCode', 'integrationCode'] as const) {
    const v = (options as Partial<LgspSoapProfileOptions> | undefined)?.[k];
    if (typeof v !== 'string' || v.trim() === '') {
      throw new ConfigError([{ path: `profile.${k}`, received: typeof v, message: 'is required', fix: 'pass the values the provincial gateway issued: lgspSoapProfile({ appName, partnerCode, integrationCode })' }]);
    }
  }
  const paths = { ...LGSP_DEFAULT_PATHS, ...options.paths };
  const codes: Record<string, UpstreamFailure['kind']> = {};
  const C = REFERENCE_ERROR_CODES;
  const defaults: Record<Exclude<UpstreamFailure['kind'], 'other'>, readonly string[]> = {
    invalid_input: [C.invalidInput], unauthorized: [C.unauthorized], purpose_refused: [C.purposeNotLicensed],
    operator_refused: [C.operatorNotPermitted], rate_limited: [C.rateLimited], locked: [C.locked],
  };
  for (const [kind, list] of Object.entries({ ...defaults, ...options.errorCodes })) for (const c of list ?? []) codes[c] = kind as UpstreamFailure['kind'];

  const failure = (res: WireResponse, requestId: string | undefined, fault: Record<string, unknown> | undefined): never => {
    const detail = (fault?.['detail'] ?? {}) as Record<string, unknown>;
    const code = typeof detail['MaLoi'] === 'string' ? detail['MaLoi'] : undefined;
    let kind: UpstreamFailure['kind'] = code !== undefined ? codes[code] ?? 'other' : 'other';
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

  function operation<K extends keyof OperationTypes, W>(op: SoapOperation<K, W>, path: string) {
    return {
      build(r: OperationTypes[K]['request'], auth: { accessToken: string; credentials: ClientCredentials }): WireRequest {
        return {
          method: 'POST',
          path,
          headers: { 'content-type': 'application/json', accept: 'text/xml, application/json', 'x-request-id': r.requestId },
          body: JSON.stringify({
            accessToken: `Bearer ${auth.accessToken}`,
            lgspAccessToken: lgspAccessToken(auth.credentials, options),
            data: soapEnvelope(op.element, op.children(r, options)),
          }),
        };
      },
      parse(res: WireResponse, r: OperationTypes[K]['request']): OperationTypes[K]['answer'] {
        let doc: Record<string, unknown>;
        try {
          doc = parseXml(res.body);
        } catch {
          if (res.status !== 200) failure(res, r.requestId, undefined);
          throw bad(res, op.element, r.requestId);
        }
        const body = ((doc['Envelope'] as Record<string, unknown> | undefined)?.['Body'] ?? undefined) as Record<string, unknown> | undefined;
        if (body === undefined || typeof body !== 'object') {
          if (res.status !== 200) failure(res, r.requestId, undefined);
          throw bad(res, op.element, r.requestId);
        }
        if (body['Fault'] !== undefined || res.status !== 200) failure(res, r.requestId, body['Fault'] as Record<string, unknown> | undefined);
        const parsed = op.answer.safeParse(body[`${op.element}Response`]);
        if (!parsed.success) {
          const i = parsed.error.issues[0]!;
          throw bad(res, op.element, r.requestId, `${i.path.join('.') || 'body'}: ${i.code}`);
        }
        if ((parsed.data as { MaYeuCau: string }).MaYeuCau !== r.requestId) {
          throw new UpstreamError('ERR_UPSTREAM_RESPONSE', res.status, `The gateway's ${op.element} answer is for another request id; it was not used.`, { requestId: r.requestId });
        }
        return op.toAnswer(parsed.data, r);
      },
    };
  }

  return {
    name: 'lgsp-soap',
    token: {
      build(credentials: ClientCredentials): WireRequest {
        return {
          method: 'POST',
          path: paths.token,
          headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', lgspaccesstoken: lgspAccessToken(credentials, options) },
          body: 'grant_type=client_credentials',
        };
      },
      parse(res: WireResponse): TokenAnswer {
        if (res.status !== 200) failure(res, undefined, undefined);
        let json: unknown;
        try {
          json = JSON.parse(res.body);
        } catch {
          throw bad(res, 'token', undefined, 'not JSON');
        }
        const t = tokenSchema.safeParse(json);
        if (!t.success) throw bad(res, 'token', undefined, `${t.error.issues[0]!.path.join('.')}: ${t.error.issues[0]!.code}`);
        return { accessToken: t.data.access_token, expiresInMs: (t.data.expires_in ?? options.defaultTokenTtlSeconds ?? 300) * 1000 };
      },
    },
    operations: {
      verify: operation(VERIFY, paths.verify),
      lookup: operation(LOOKUP, paths.lookup),
    } as WireProfile['operations'],
  };
}
