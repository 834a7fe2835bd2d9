import type { CitizenField, CitizenRecord, Sex } from '../citizen/types.js';

/**
 * The wire layer: a {@link WireProfile} turns typed operations into HTTP requests and HTTP
 * answers back into typed results (or typed errors). The HTTP client underneath knows nothing of
 * the protocol. A vendor whose gateway speaks differently writes a profile, not a fork.
 */

/** One HTTP request, relative to the client's `baseUrl`. Holds credentials: never log it. */
export interface WireRequest {
  method: 'GET' | 'POST';
  /** Path (and query) relative to `baseUrl`, e.g. `/api/v1/citizens/verify`. */
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** One HTTP answer, body already read (and size-bounded) as text. */
export interface WireResponse {
  status: number;
  headers: Headers;
  body: string;
}

/** Client credentials of the reference profile (OAuth2 client credentials grant). */
export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
}

/** What every operation request carries besides its payload. */
export interface RequestMeta {
  /** `MaYeuCau`: reused across the attempts of one logical call. */
  requestId: string;
  /** `MaDVC`: the registered purpose (procedure) code. */
  purposeCode: string;
  /** `MaDonVi`: the unit (agency) code of the calling system. */
  unitCode: string;
  /** Id of the calling system. */
  systemId: string;
  /** `MaCanBo`: the operator. */
  operatorId: string;
  /** The operator's IP address. */
  operatorIp: string;
}

export interface VerifyRequest extends RequestMeta {
  idNumber: string;
  fullName: string;
  /** Canonical ISO partial date (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`). */
  dateOfBirth: string;
  sex?: Sex;
}

export interface VerifyAnswer {
  /** Whether the ID number exists upstream. */
  found: boolean;
  /** Whether every given field matched. */
  match: boolean;
  fields: { fullName: boolean; dateOfBirth: boolean; sex?: boolean };
}

export interface LookupRequest extends RequestMeta {
  idNumber: string;
  fields: readonly CitizenField[];
}

export interface LookupAnswer {
  found: boolean;
  citizen: CitizenRecord | null;
}

export interface TokenAnswer {
  accessToken: string;
  /** Lifetime of the token from now, in milliseconds. */
  expiresInMs: number;
}

/** The typed operations and their request/answer types. Adding one is a type and a mapping. */
export interface OperationTypes {
  verify: { request: VerifyRequest; answer: VerifyAnswer };
  lookup: { request: LookupRequest; answer: LookupAnswer };
}

/** How one operation maps to HTTP and back. `parse` throws a `DancuError` for error answers. */
export interface OperationMapping<Req, Ans> {
  /**
   * `auth.accessToken` is the current token; `auth.credentials` is there for gateways that want the
   * credentials in every call (the LGSP `lgspAccessToken`). Whatever carries them is a secret.
   */
  build(request: Req, auth: { accessToken: string; credentials: ClientCredentials }): WireRequest;
  parse(response: WireResponse, request: Req): Ans;
}

/** A wire profile: the token exchange and one mapping per operation. */
export interface WireProfile {
  /** Name shown in diagnostics, e.g. `reference`. */
  readonly name: string;
  readonly token: {
    build(credentials: ClientCredentials): WireRequest;
    parse(response: WireResponse): TokenAnswer;
  };
  readonly operations: {
    readonly [K in keyof OperationTypes]: OperationMapping<OperationTypes[K]['request'], OperationTypes[K]['answer']>;
  };
}
