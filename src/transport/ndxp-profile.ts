import { createHash } from 'node:crypto';
import { ConfigError } from '../errors.js';
import { HOUSEHOLD_HEAD_OPERATION } from './household.js';
import { failureMapper, serviceChildren, serviceOperations, soapEnvelope, type ErrorCodes } from './soap.js';
import type { ClientCredentials, WireProfile, WireRequest } from './types.js';

/** Options of {@link ndxpProfile}. The user name and secret are `credentials` (`clientId`, `clientSecret`). */
export interface NdxpProfileOptions {
  /**
   * The service URL that goes into the signature, exactly as the C06 issued it (public clients keep
   * it apart from the URL they post to). Required.
   */
  serviceUrl: string;
  /** `MaTichHop`: the integration code of the service. */
  integrationCode: string;
  /** Paths under `baseUrl`. Defaults: `/XacThucThongTinCongDan`, `/TraCuuThongTinCongDan`, `/XacMinhThongTinChuHo`. */
  paths?: { verify?: string; lookup?: string; householdHead?: string };
  /** Unit of the `timestamp` header and of the signature: `s` (the PHP client, default) or `ms` (the C# client). */
  timestampUnit?: 's' | 'ms';
  /** Send `MaDonVi` after `MaCanBo`, as the C# client does. Default `false`. */
  sendUnitCode?: boolean;
  /** `X-Road-Client` header, when your NDXP subsystem needs one (the C# client sends it). */
  xRoadClient?: string;
  /** `ApiKey` header, when the service issued one (the C# client sends it). A credential: never logged. */
  apiKey?: string;
  /** The gateway's `MaLoi` codes by meaning (defaults: the reference profile's; assumed). */
  errorCodes?: ErrorCodes;
}

/** Paths of the NDXP profile by default. */
export const NDXP_DEFAULT_PATHS = { verify: '/XacThucThongTinCongDan', lookup: '/TraCuuThongTinCongDan', householdHead: `/${HOUSEHOLD_HEAD_OPERATION}` } as const;

/**
 * The NDXP password: hex SHA-256 of `serviceUrl + user + timestamp + secret` (lower case). A
 * credential for the moment it is valid: never logged.
 */
export function ndxpSignature(serviceUrl: string, user: string, timestamp: string, secret: string): string {
  return createHash('sha256').update(`${serviceUrl}${user}${timestamp}${secret}`, 'utf8').digest('hex');
}

/**
 * The population service called directly through NDXP (the C06 service), as public PHP and C#
 * clients do: no token endpoint; every request carries `Authorization: Basic base64(user:signature)`,
 * a `timestamp` header, `Content-Type: application/xml` and the SOAP envelope as the body
 * ([`X-Road-Client`], [`ApiKey`], `SOAPAction: ""`). See docs/protocol.md, "Evidence".
 */
export function ndxpProfile(options: NdxpProfileOptions): WireProfile {
  for (const k of ['serviceUrl', 'integrationCode'] as const) {
    const v = (options as Partial<NdxpProfileOptions> | undefined)?.[k];
    if (typeof v !== 'string' || v.trim() === '') {
      throw new ConfigError([{ path: `profile.${k}`, received: typeof v, message: 'is required', fix: 'pass the values the C06 issued: ndxpProfile({ serviceUrl, integrationCode })' }]);
    }
  }
  const unit = options.timestampUnit ?? 's';
  if (unit !== 's' && unit !== 'ms') throw new ConfigError([{ path: 'profile.timestampUnit', received: typeof unit, message: 'must be "s" or "ms"', fix: 'leave it out (seconds) unless your gateway wants milliseconds' }]);
  const paths = { ...NDXP_DEFAULT_PATHS, ...options.paths };
  const fail = failureMapper(options.errorCodes);
  const children = { integrationCode: options.integrationCode, unitCode: options.sendUnitCode ?? false };
  const request = (path: string, element: string, r: Parameters<typeof serviceChildren>[0]): WireRequest => ({
    method: 'POST',
    path,
    headers: { 'content-type': 'application/xml', accept: '*/*', soapaction: '""' },
    body: soapEnvelope(element, serviceChildren(r, children), 'dan'),
  });
  return {
    name: 'ndxp',
    lookupRequires: ['fullName', 'dateOfBirth'],
    auth: {
      kind: 'signed',
      headers(credentials: ClientCredentials, now: number): Record<string, string> {
        const timestamp = String(unit === 's' ? Math.floor(now / 1000) : Math.floor(now));
        const signature = ndxpSignature(options.serviceUrl, credentials.clientId, timestamp, credentials.clientSecret);
        const headers: Record<string, string> = {
          authorization: `Basic ${Buffer.from(`${credentials.clientId}:${signature}`, 'utf8').toString('base64')}`,
          timestamp,
        };
        if (options.xRoadClient !== undefined) headers['x-road-client'] = options.xRoadClient;
        if (options.apiKey !== undefined) headers['apikey'] = options.apiKey;
        return headers;
      },
    },
    ...serviceOperations(paths, request, fail),
  };
}
