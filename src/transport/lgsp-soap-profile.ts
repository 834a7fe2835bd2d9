import { z } from 'zod';
import { ConfigError, UpstreamError } from '../errors.js';
import { HOUSEHOLD_HEAD_OPERATION } from './household.js';
import { failureMapper, serviceChildren, serviceOperations, soapEnvelope, type ErrorCodes } from './soap.js';
import type { ClientCredentials, TokenAnswer, WireProfile, WireRequest, WireResponse } from './types.js';

export { LGSP_NAMESPACE, soapEnvelope } from './soap.js';

/** An officer's own key at the gateway, whose `keyName:keyPass` goes base64 in the `AuthHash` header. A credential. */
export interface OperatorKey {
  keyName: string;
  keyPass: string;
}

/** Options of {@link lgspSoapProfile}. The account's secrets are not here: they are `credentials` (AccessKey → `clientId`, SecretKey → `clientSecret`). */
export interface LgspSoapProfileOptions {
  /** `AppName` registered with the provincial LGSP. */
  appName: string;
  /** `PartnerCode` of your unit at the LGSP. */
  partnerCode: string;
  /** `PartnerCodeCus`, when the gateway issued one. Default `''`. */
  partnerCodeCus?: string;
  /** `MaTichHop`: the integration code of the population service at this gateway. */
  integrationCode: string;
  /** Paths under `baseUrl`. Defaults: `/token`, `/XacThucThongTinCongDan`, `/TraCuuThongTinCongDan`, `/XacMinhThongTinChuHo`. */
  paths?: { token?: string; verify?: string; lookup?: string; householdHead?: string };
  /** Token lifetime assumed when the token answer has no `expires_in`, in seconds. Default `300`. */
  defaultTokenTtlSeconds?: number;
  /** Send `MaDonVi` (the client's `system.unitCode`) after `MaCanBo`. Default `false` (OpenCPS does not send it). */
  sendUnitCode?: boolean;
  /**
   * The officer's own key for the `AuthHash` header (Hậu Giang / Đồng Tháp gateways), looked up by
   * operator id for every request. Absent: no `AuthHash`. Return `undefined` for an operator without
   * a key and the call fails before anything is sent (`ERR_UPSTREAM_OPERATOR_REFUSED`, status 0).
   */
  operatorKey?: (operatorId: string) => OperatorKey | undefined | Promise<OperatorKey | undefined>;
  /**
   * The gateway's error codes (`MaLoi` in the fault detail) by meaning. Defaults: the reference
   * profile's (`001` invalid input, `002` unauthorized, `004` procedure not licensed, `005` operator
   * not permitted, `006` throttled, `007` locked) — assumed: no public example of an LGSP fault.
   */
  errorCodes?: ErrorCodes;
}

/** Paths of the LGSP profile by default. */
export const LGSP_DEFAULT_PATHS = { token: '/token', verify: '/XacThucThongTinCongDan', lookup: '/TraCuuThongTinCongDan', householdHead: `/${HOUSEHOLD_HEAD_OPERATION}` } as const;

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

/** `AuthHash`: base64 of `keyName:keyPass`. A credential: never logged. */
export function authHash(key: OperatorKey): string {
  return Buffer.from(`${key.keyName}:${key.keyPass}`, 'utf8').toString('base64');
}

const tokenSchema = z.object({ access_token: z.string().min(1), expires_in: z.coerce.number().int().positive().optional() });

/**
 * The LGSP gateway profile, as public integration code speaks it (OpenCPS v2 `QLCDIntegrationActionImpl`
 * and `ApiThirdPartyServiceImpl.callApiWithRawBody`): a token from `POST {token}` with the
 * `lgspaccesstoken` header; then each operation as `POST {path}` with `Authorization: Bearer <token>`,
 * `lgspaccesstoken`, `Content-Type: application/xml`, [`AuthHash`], and the SOAP envelope itself
 * as the body. `docs/protocol.md` cites the evidence line by line and says what is assumed.
 *
 * @example
 * ```ts
 * createClient({
 *   baseUrl: 'https://lgsp.tinh.gov.vn/dancu',
 *   credentials: { clientId: process.env.LGSP_ACCESS_KEY!, clientSecret: process.env.LGSP_SECRET_KEY! },
 *   profile: lgspSoapProfile({ appName: 'MOTCUA', partnerCode: 'H29', integrationCode: '037' }),
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
  if (options.operatorKey !== undefined && typeof options.operatorKey !== 'function') {
    throw new ConfigError([{ path: 'profile.operatorKey', received: typeof options.operatorKey, message: 'must be a function', fix: 'pass (operatorId) => ({ keyName, keyPass }) from your officer directory' }]);
  }
  const paths = { ...LGSP_DEFAULT_PATHS, ...options.paths };
  const fail = failureMapper(options.errorCodes);
  const children = { integrationCode: options.integrationCode, unitCode: options.sendUnitCode ?? false };

  async function request(path: string, element: string, r: Parameters<typeof serviceChildren>[0]): Promise<WireRequest> {
    const headers: Record<string, string> = { 'content-type': 'application/xml', accept: '*/*' };
    if (options.operatorKey) {
      const key = await options.operatorKey(r.operatorId);
      if (key === undefined || typeof key.keyName !== 'string' || typeof key.keyPass !== 'string') {
        throw new UpstreamError('ERR_UPSTREAM_OPERATOR_REFUSED', 0,
          'This operator has no key at the gateway (operatorKey returned none); nothing was sent. Register the officer\'s key.', { requestId: r.requestId });
      }
      headers['authhash'] = authHash(key);
    }
    return { method: 'POST', path, headers, body: soapEnvelope(element, serviceChildren(r, children)) };
  }

  // The header is the same for every request of these credentials: built once per credentials object, not per call.
  const tokens = new WeakMap<ClientCredentials, string>();
  const accessHeader = (c: ClientCredentials): string => {
    let v = tokens.get(c);
    if (v === undefined) tokens.set(c, (v = lgspAccessToken(c, options)));
    return v;
  };

  return {
    name: 'lgsp-soap',
    lookupRequires: ['fullName', 'dateOfBirth'],
    auth: {
      kind: 'token',
      request(credentials: ClientCredentials): WireRequest {
        return {
          method: 'POST',
          path: paths.token,
          headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', lgspaccesstoken: accessHeader(credentials) },
          body: 'grant_type=client_credentials',
        };
      },
      parse(res: WireResponse): TokenAnswer {
        if (res.status !== 200) fail(res, undefined);
        let json: unknown;
        try {
          json = JSON.parse(res.body);
        } catch {
          throw new UpstreamError('ERR_UPSTREAM_RESPONSE', res.status, 'The gateway\'s token answer is not usable (not JSON); it was not used.');
        }
        const t = tokenSchema.safeParse(json);
        if (!t.success) throw new UpstreamError('ERR_UPSTREAM_RESPONSE', res.status, `The gateway's token answer is not usable (${t.error.issues[0]!.path.join('.')}: ${t.error.issues[0]!.code}); it was not used.`);
        return { accessToken: t.data.access_token, expiresInMs: (t.data.expires_in ?? options.defaultTokenTtlSeconds ?? 300) * 1000 };
      },
      headers: (accessToken, credentials) => ({ authorization: `Bearer ${accessToken}`, lgspaccesstoken: accessHeader(credentials) }),
    },
    ...serviceOperations(paths, request, fail),
  };
}
