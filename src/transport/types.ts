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
  /** Whether the ID number exists upstream (with an `overall` answer: what `match` says). */
  found: boolean;
  /** Whether every given field matched. */
  match: boolean;
  /**
   * `fields`: the gateway said field by field what matched (`fields` below is its word).
   * `overall`: it answered one yes/no (`TonTai`) for the whole tuple; `fields` then repeats `match`
   * for each field sent, and a wrong name cannot be told from an unknown ID number.
   */
  detail: 'fields' | 'overall';
  fields: { fullName: boolean; dateOfBirth: boolean; sex?: boolean };
}

export interface LookupRequest extends RequestMeta {
  idNumber: string;
  fields: readonly CitizenField[];
  /** Sent when the caller gave it (required when the profile's `lookupRequires` names it). NFC, single-spaced. */
  fullName?: string;
  /** Canonical ISO partial date, when the caller gave it. */
  dateOfBirth?: string;
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

/** An extra operation's answer (`client.call`): plain JSON data with `found`. */
export type ExtraAnswer = { found: boolean; [key: string]: unknown };

/** Any operation's answer, as the cache keeps it and the trail summarises it. */
export type AnyAnswer = VerifyAnswer | LookupAnswer | ExtraAnswer;

/** The typed operations and their request/answer types. */
export interface OperationTypes {
  verify: { request: VerifyRequest; answer: VerifyAnswer };
  lookup: { request: LookupRequest; answer: LookupAnswer };
}

/**
 * How one operation maps to HTTP and back. `build` may be async (a per-operator credential looked
 * up by the integrator's function); `parse` throws a `DancuError` for error answers. Authentication
 * is not the operation's business: the transport adds the headers of the profile's {@link ProfileAuth}.
 */
export interface OperationMapping<Req, Ans> {
  build(request: Req): WireRequest | Promise<WireRequest>;
  parse(response: WireResponse, request: Req): Ans;
}

/** The request of an operation declared by a profile beyond verify and lookup (see {@link ExtraOperation}). */
export interface ExtraRequest extends RequestMeta {
  idNumber: string;
  /** Present when the operation's `input` is `identity`. */
  fullName?: string;
  /** Present when the operation's `input` is `identity`: canonical ISO partial date. */
  dateOfBirth?: string;
}

/**
 * An operation of the population service beyond verify and lookup (household head, marital status,
 * …), called through `client.call(name, input, context)`: purpose-checked (the purpose lists the
 * name in `operations`), validated, guarded, cached, counted and audited like the others.
 *
 * `input` says what the caller passes and how it is checked before anything is sent: `identity` is
 * the verify tuple `{ idNumber, fullName, dateOfBirth }` (validated and watched by the enumeration
 * guard as verify is), `idNumber` the ID number alone. The answer must be plain JSON data with a
 * boolean `found`; it is what `client.call` returns as `answer`.
 */
export interface ExtraOperation<Ans extends { found: boolean } = { found: boolean }> {
  readonly input: 'identity' | 'idNumber';
  build(request: ExtraRequest): WireRequest | Promise<WireRequest>;
  parse(response: WireResponse, request: ExtraRequest): Ans;
}

/**
 * Token exchange: the transport fetches a token with `request`/`parse` (one refresh in flight, kept
 * until `refreshSkewMs` before it expires, dropped and fetched once more on a 401) and adds
 * `headers(accessToken, credentials)` to every operation request.
 */
export interface TokenAuth {
  readonly kind: 'token';
  request(credentials: ClientCredentials): WireRequest;
  parse(response: WireResponse): TokenAnswer;
  headers(accessToken: string, credentials: ClientCredentials): Record<string, string>;
}

/**
 * Per-request signing: no token endpoint; the transport adds `headers(credentials, now, request)` to
 * every operation request (`now`: the client's clock, epoch ms). A 401 is not retried: there is
 * nothing to refresh.
 */
export interface SignedAuth {
  readonly kind: 'signed';
  headers(credentials: ClientCredentials, now: number, request: WireRequest): Record<string, string>;
}

/** How a profile authenticates: the transport asks it, never the other way round. Whatever it returns is a secret. */
export type ProfileAuth = TokenAuth | SignedAuth;

/** A wire profile: its authentication and one mapping per operation. */
export interface WireProfile {
  /** Name shown in diagnostics, e.g. `reference`. */
  readonly name: string;
  readonly auth: ProfileAuth;
  /** What a lookup must carry besides the ID number at this gateway (the LGSP and NDXP services look up by the three). */
  readonly lookupRequires?: readonly ('fullName' | 'dateOfBirth')[];
  readonly operations: {
    readonly [K in keyof OperationTypes]: OperationMapping<OperationTypes[K]['request'], OperationTypes[K]['answer']>;
  };
  /** Operations beyond verify and lookup, by name (e.g. `XacMinhThongTinChuHo`). */
  readonly extraOperations?: Readonly<Record<string, ExtraOperation>>;
}
