/**
 * `dancu/profiles`: the wire profiles (reference REST, LGSP SOAP, NDXP direct) and every building
 * block a vendor needs to write one for a gateway that differs: the safe XML parser (DTDs refused),
 * escaping and the element writer, the envelope builder, the service's children and date rules,
 * the answer readers, the failure mapper (`MaLoi`, HTTP status, the API manager's throttle), and the
 * types of requests, answers and authentication strategies. See docs/protocol.md.
 *
 * @packageDocumentation
 */
export { referenceProfile, REFERENCE_PATHS, REFERENCE_ERROR_CODES, WIRE_FIELD_NAMES, fromWireCitizen } from './transport/reference-profile.js';
export { lgspSoapProfile, lgspAccessToken, authHash, LGSP_DEFAULT_PATHS } from './transport/lgsp-soap-profile.js';
export type { LgspSoapProfileOptions, OperatorKey } from './transport/lgsp-soap-profile.js';
export { ndxpProfile, ndxpSignature, NDXP_DEFAULT_PATHS } from './transport/ndxp-profile.js';
export type { NdxpProfileOptions } from './transport/ndxp-profile.js';
export {
  soapEnvelope,
  serviceChildren,
  idChild,
  dateOfBirthChild,
  soapBody,
  failureMapper,
  verifyAnswerOf,
  lookupAnswerOf,
  citizenFromCsdl,
  unusableAnswer,
  LGSP_NAMESPACE,
  CITIZEN_NAMESPACE,
  SOAP_ENV,
} from './transport/soap.js';
export type { SoapChild, ServiceChildrenOptions, ErrorCodes, CsdlCitizen } from './transport/soap.js';
export { householdHead, HOUSEHOLD_HEAD_OPERATION } from './transport/household.js';
export type { HouseholdHeadAnswer } from './transport/household.js';
export { parseXml, escapeXml, toXml } from './internal/xml.js';
export type { XmlNode } from './internal/xml.js';
export { upstreamError, parseRetryAfter, apiManagerThrottle, parseNextAccessTime } from './transport/errors-map.js';
export type { UpstreamFailure } from './transport/errors-map.js';
export type {
  WireProfile,
  WireRequest,
  WireResponse,
  OperationMapping,
  OperationTypes,
  ExtraOperation,
  ExtraRequest,
  ExtraAnswer,
  ProfileAuth,
  TokenAuth,
  SignedAuth,
  ClientCredentials,
  RequestMeta,
  VerifyRequest,
  VerifyAnswer,
  LookupRequest,
  LookupAnswer,
  TokenAnswer,
} from './transport/types.js';
