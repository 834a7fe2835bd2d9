/**
 * `dancu/profiles`: the wire profiles (reference REST, LGSP SOAP) and the building blocks a vendor
 * needs to write one for a gateway that differs: the envelope builder, the failure mapper,
 * `Retry-After` parsing, and the types of requests and answers. See docs/protocol.md.
 *
 * @packageDocumentation
 */
export { referenceProfile, REFERENCE_PATHS, REFERENCE_ERROR_CODES } from './transport/reference-profile.js';
export { lgspSoapProfile, lgspAccessToken, soapEnvelope, LGSP_NAMESPACE, LGSP_DEFAULT_PATHS } from './transport/lgsp-soap-profile.js';
export type { LgspSoapProfileOptions } from './transport/lgsp-soap-profile.js';
export { upstreamError, parseRetryAfter } from './transport/errors-map.js';
export type { UpstreamFailure } from './transport/errors-map.js';
export type {
  WireProfile,
  WireRequest,
  WireResponse,
  OperationMapping,
  OperationTypes,
  ClientCredentials,
  RequestMeta,
  VerifyRequest,
  VerifyAnswer,
  LookupRequest,
  LookupAnswer,
  TokenAnswer,
} from './transport/types.js';
