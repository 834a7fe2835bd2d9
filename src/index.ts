export { createClient } from './client.js';
export { createClientFromConfig } from './config/from-file.js';
export type { ClientFromConfigOptions } from './config/from-file.js';
export type { DancuClient, VerifyResult, LookupResult, ResultSource, CallInput, CallResult } from './client.js';
export type { CacheStats } from './cache/dedup.js';
export type {
  DancuClientOptions,
  TlsOptions,
  PemLike,
  SystemIdentity,
  QuotaOptions,
  CacheOptions,
  AuditOptions,
  GuardOptions,
  RetryOptions,
  BreakerOptions,
} from './config.js';
export type { CallContext, LookupContext, OperatorContext, PurposeContext } from './context.js';
export type { Operation, PurposeDefinition } from './purpose/registry.js';
export {
  DancuError,
  isDancuError,
  ConfigError,
  CredentialError,
  ValidationError,
  PurposeError,
  GuardError,
  QuotaError,
  AuditError,
  ClientClosedError,
  TransportError,
  CircuitOpenError,
  UpstreamError,
  RateLimitedError,
  UpstreamLockedError,
  SessionEndedError,
} from './errors.js';
export type { AnyDancuError, DancuErrorCode, DancuErrorOf, DancuErrorOptions, ConfigIssue, TransportErrorCode, UpstreamErrorCode } from './errors.js';
export { CITIZEN_FIELDS } from './citizen/types.js';
export type { CitizenField, CitizenRecord, Sex, VerifyCitizenInput, LookupCitizenInput } from './citizen/types.js';
export { parseIdNumber, maskIdNumber, normaliseIdNumber } from './citizen/id-number.js';
export type { ParsedIdNumber, ParsedPersonalId, ParsedLegacyId } from './citizen/id-number.js';
export { parseDateOfBirth, formatPartialDate } from './citizen/date.js';
export type { PartialDate } from './citizen/date.js';
export { normaliseName, nameKey } from './citizen/name.js';
export { PROVINCE_CODES } from './citizen/provinces.js';
export type { WireProfile, ClientCredentials } from './transport/types.js';
export type { HouseholdHeadAnswer } from './transport/household.js';
export type { FetchLike } from './transport/http.js';
export { MemoryQuotaStore } from './quota/memory-store.js';
export type { MemoryQuotaStoreOptions } from './quota/memory-store.js';
export { RedisQuotaStore } from './quota/redis-store.js';
export type { RedisQuotaStoreOptions } from './quota/redis-store.js';
export type { ReadyOptions, ReadyReport } from './readiness.js';
export type { QuotaStore, BudgetSpec, BudgetStatus, ReservationResult, StopRequest, ActiveStop } from './quota/types.js';
export type { QuotaStatus, CallPriority } from './quota/manager.js';
export type { RedisScriptClient, RedisClientLike, RedisConnection } from './internal/redis.js';
export { createRedisStores } from './redis-stores.js';
export type { RedisStores, RedisStoresOptions } from './redis-stores.js';
export { MemoryGuardStore } from './guard/memory-store.js';
export type { MemoryGuardStoreOptions } from './guard/memory-store.js';
export { RedisGuardStore } from './guard/redis-store.js';
export type { RedisGuardStoreOptions } from './guard/redis-store.js';
export type { GuardStore, DistinctResult, CallsResult } from './guard/types.js';
export type { GuardAlert } from './guard/guards.js';
export { MemoryCacheStore } from './cache/memory-store.js';
export type { MemoryCacheStoreOptions } from './cache/memory-store.js';
export { RedisCacheStore } from './cache/redis-store.js';
export type { RedisCacheStoreOptions } from './cache/redis-store.js';
export type { CacheStore, CachedEntry } from './cache/types.js';
export { JsonlAuditSink } from './audit/jsonl-sink.js';
export type { JsonlAuditSinkOptions } from './audit/jsonl-sink.js';
export { MemoryAuditSink, FanOutAuditSink, PinoAuditSink } from './audit/sink.js';
export type { AuditSink, AuditRecovery, InfoLogger } from './audit/sink.js';
export type { AuditEvent, AuditEventBody, AuditEventType } from './audit/schema.js';
export { PostgresAuditSink, auditMigrationSql } from './audit/postgres-sink.js';
export type { PostgresAuditSinkOptions, SqlClient } from './audit/postgres-sink.js';
export type { ClientSession, SessionOptions, SessionCallContext, SessionLookupContext } from './session.js';
export { DEFAULT_CREDENTIAL_POLICY, secretProblems, estimateSecretBits } from './credentials/policy.js';
export type { CredentialPolicy } from './credentials/policy.js';
export { VERSION } from './version.js';
