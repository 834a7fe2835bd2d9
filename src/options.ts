/**
 * The options of `createClient`, as a user writes them: one source of truth for their types and
 * TSDoc. `config/schema.ts` validates exactly these (checked by the compiler both ways).
 */
import type { CredentialPolicy } from './credentials/policy.js';
import type { Clock } from './internal/time.js';
import type { PurposeDefinition } from './purpose/registry.js';
import type { FetchLike } from './transport/http.js';
import type { QuotaStore } from './quota/types.js';
import type { CacheStore } from './cache/types.js';
import type { GuardAlert } from './guard/guards.js';
import type { GuardStore } from './guard/types.js';
import type { AuditSink } from './audit/sink.js';
import type { CheckpointWitness } from './audit/witness.js';
import type { KeyObject } from 'node:crypto';
import type { ClientCredentials, WireProfile } from './transport/types.js';
import type { DancuLogger } from './internal/log.js';

/** PEM text or DER bytes. */
export type PemLike = string | Buffer;

/** mTLS material for the connection to the gateway (HTTPS only). */
export interface TlsOptions {
  /** CA certificate(s) that sign the gateway's certificate. Default: Node's bundled roots. */
  ca?: PemLike | PemLike[];
  /** Client certificate issued to this system. Requires `key`. */
  cert?: PemLike;
  /** Private key of `cert`. */
  key?: PemLike;
  /** Passphrase of `key`, if encrypted. */
  passphrase?: string;
}

/** Identity of the calling system, sent with every request and recorded in the fingerprint. */
export interface SystemIdentity {
  /** Id of this system as registered with the provincial police. */
  id: string;
  /** Unit (agency) code, `MaDonVi` on the wire. */
  unitCode: string;
  /** Version of your system (not of dancu). */
  version: string;
}

/**
 * Client-side quota. On by default: even with no `quota` option the client stops at
 * `floor(10000 × 0.9) = 9000` queries per Vietnam day. With several processes or hosts sharing one
 * upstream account, pass a shared `store` (`RedisQuotaStore`), or each process spends the budget alone.
 */
export interface QuotaOptions {
  /** Daily query count (Vietnam day) at which the upstream locks the connection. Default `10000`. */
  lockThreshold?: number;
  /** Share of `lockThreshold` kept unused, 0–0.9. Default `0.1` (stop at 9,000). */
  safetyMargin?: number;
  /** Global daily cap (Vietnam day). Default and maximum: `floor(lockThreshold × (1 − safetyMargin))`. */
  perDay?: number;
  /** Global token bucket: `rate` requests per minute, bucket size `burst` (default = `rate`). Default: none. */
  perMinute?: { rate: number; burst?: number };
  /** Budgets of this client's unit (`system.unitCode`), for several units sharing one account. Default: none. */
  perUnit?: { perMinute?: number; perDay?: number };
  /** Budgets of each operator: one officer's macro cannot drain the province. Default: none. */
  perOperator?: { perMinute?: number; perDay?: number };
  /** Daily budget per purpose code. Default: none. */
  perPurpose?: Record<string, { perDay: number }>;
  /** When a budget is exhausted: fail at once with `ERR_QUOTA_EXCEEDED` (default) or wait up to `maxWaitMs`. */
  onExhausted?: 'fail' | 'wait';
  /** Longest wait in the local queue with `onExhausted: 'wait'`, in ms. Default `5000`. */
  maxWaitMs?: number;
  /** Where budgets live. Default: a `MemoryQuotaStore` of this client. */
  store?: QuotaStore;
  /** Longest a store call may take before the call fails closed (`ERR_QUOTA_UNAVAILABLE`), in ms. Default `1000`. */
  storeTimeoutMs?: number;
  /**
   * Opt-in: when the store is unreachable, keep serving from a conservative local share of every
   * budget (budget ÷ `instances`) instead of failing closed. Set `instances` to the number of processes.
   */
  fallback?: { instances: number };
}

/** Retry of failed attempts (5xx, connection failures, timeouts only). Every attempt spends quota. */
export interface RetryOptions {
  /** Attempts in all, the first included; `1` disables retries. Default `3`, at most `5`. */
  attempts?: number;
  /** Base of the full-jitter exponential backoff, in ms. Default `200`. */
  baseDelayMs?: number;
  /** Cap of one backoff delay, in ms. Default `5000`. */
  maxDelayMs?: number;
  /**
   * Longest `Retry-After` of a 5xx answer that is waited for inside a call, in ms; a longer one is
   * not retried. Default `10000`. (A 429 is never retried: it opens the shared stop.)
   */
  maxRetryAfterMs?: number;
}

/**
 * Circuit breaker, per process: after `failureThreshold` consecutive failed attempts (5xx,
 * unreachable, timeout, unusable answer) calls are refused at once (`ERR_CIRCUIT_OPEN`) for
 * `cooldownMs`, then one probe goes through. A lock answer opens it until the lock ends.
 */
export interface BreakerOptions {
  /** Default `5`. */
  failureThreshold?: number;
  /** Default `30000`. */
  cooldownMs?: number;
}

/**
 * Dedup: single-flight and a result cache. On by default (in memory). With several processes, pass a
 * shared `store` (`RedisCacheStore`) and a `secret` shared by all of them.
 */
export interface CacheOptions {
  /** Default `true`. `false` turns off the cache and the single-flight. */
  enabled?: boolean;
  /**
   * Secret from which the cache-key HMAC key and the value encryption key are derived (HKDF-SHA256).
   * At least 32 bytes. Required with a shared store; default for the memory store: random per client.
   */
  secret?: string | Buffer;
  /** Id of `secret`; change both together to rotate (old entries become unreachable). Default `k1`. */
  keyId?: string;
  /** Time to live by outcome, in ms. Defaults: match 24 h, mismatch 5 min, not found 5 min, lookup 0 (off). */
  ttlMs?: { match?: number; mismatch?: number; notFound?: number; lookup?: number };
  /** Bound of the default memory store, in entries. Default `10000`. */
  maxEntries?: number;
  /** Whether an answer obtained under one purpose may serve a call under another. Default `false`. */
  shareAcrossPurposes?: boolean;
  /** Where answers live. Default: a `MemoryCacheStore` of this client. */
  store?: CacheStore;
  /** How long a process waits for another process's identical call before calling itself, in ms. Default `2000`. */
  joinTimeoutMs?: number;
  /** Longest a store call may take before it counts as a miss, in ms. Default `500`. */
  storeTimeoutMs?: number;
}

/**
 * The audit trail. On by default: a JSONL trail in `./dancu-audit/<instance>/`, fsynced before each
 * request leaves, hash-chained; calls fail closed when it cannot be written.
 */
export interface AuditOptions {
  /** Where events go. Default: a `JsonlAuditSink` in `directory`. */
  sink?: AuditSink;
  /** Directory of the default JSONL sink. Default `./dancu-audit` (relative to the working directory). */
  directory?: string;
  /**
   * This process's name in the trail (its chain lives in `<directory>/<instance>/`); one live writer
   * per name. Default: `<host>-<pid>-<random>` (one chain per client). Set a stable name per process
   * for one chain per process across restarts.
   */
  instance?: string;
  /**
   * Secret (≥ 32 bytes) for the subject HMAC. Keep it: auditors need it to find a citizen's lookups
   * (`dancu audit subject`). Without `signingKey`, it also signs checkpoints with HMAC — a
   * development setting: whoever holds the secret can re-sign a rewritten trail. Default: random
   * per client (subjects not comparable across restarts).
   */
  secret?: string | Buffer;
  /** Id of `secret`, recorded in HMAC checkpoints. Default `k1`. */
  keyId?: string;
  /**
   * Ed25519 private key (PEM, from `dancu audit keygen`) that signs checkpoints; auditors verify
   * them with the public key alone (`dancu audit verify --public-key`). Passed to any sink, the
   * default JSONL one, `PostgresAuditSink`, `FanOutAuditSink` or yours (`AuditSink.useCheckpoints`).
   */
  signingKey?: string | Buffer | KeyObject;
  /**
   * Where checkpoints are also delivered, out of the writer's reach (`DirectoryWitness`,
   * `HttpWitness`, `PostgresWitness`). A witness that is down is retried; the lag is recorded as a
   * `guard.alert` (guard `audit.witness`).
   */
  witness?: CheckpointWitness;
  /** Refuse calls (`ERR_AUDIT_UNAVAILABLE`, reason `witness_lag`) while the witness lags by more than this. Default: calls continue. */
  witnessMaxLagMs?: number;
  /** Record the raw ID number beside its HMAC. Default `false`: explicit opt-in only. */
  rawSubject?: boolean;
  /** Checkpoint every this many events (and at close). Default `1000`. */
  checkpointEvery?: number;
  /** And at most this long after an event that no checkpoint covers yet. Default `60000` (1 minute). */
  checkpointIntervalMs?: number;
  /** DEVELOPMENT ONLY: keep calling when the sink fails. Default `false`; `dancu doctor` flags it. */
  failOpen?: boolean;
}

/**
 * Guards (step 3): refuse the patterns of the Quảng Trị and Bình Thuận incidents before any cache,
 * quota or network use, and record each refusal. Enumeration is on by default; velocity and the IP
 * allowlist when configured; new-IP alerts by default. State is in memory, or in Redis when the quota
 * or cache store is Redis (a macro spread over processes is still seen), or in `store`.
 */
export interface GuardOptions {
  /**
   * The same citizen tried with more than `maxDistinct` different dates of birth (or names) within
   * `windowMs` → further new values are refused (`ERR_GUARD_ENUMERATION`) and a `guard.alert` is
   * written. Catches birth-year enumeration on 9-digit CMND numbers, which carry no year.
   * Default `{ maxDistinct: 3, windowMs: 24 h }`; `false` turns it off.
   */
  enumeration?: { maxDistinct?: number; windowMs?: number } | false;
  /**
   * An operator faster than a person (more than `perMinute` calls in a minute) or machine-regular
   * (the last `regularity.samples` calls spaced with a coefficient of variation ≤ `maxCv`, mean gap
   * ≤ `maxMeanGapMs`) is blocked for `blockMs` (`ERR_GUARD_VELOCITY`) and a `guard.alert` is written.
   * Counts every call of the operator, cached ones included. Default: off. Regularity defaults
   * (when `velocity` is given): `{ samples: 10, maxCv: 0.1, maxMeanGapMs: 60000 }`; `false` turns it off.
   */
  velocity?: {
    perMinute?: number;
    blockMs?: number;
    regularity?: { samples?: number; maxCv?: number; maxMeanGapMs?: number } | false;
  };
  /**
   * Where operators may call from: `allow` for the whole unit, `operators[id]` per operator (it
   * replaces `allow` for that operator). Addresses or CIDR blocks, IPv4 or IPv6. A call from
   * elsewhere is refused (`ERR_GUARD_IP`). `alertOnNewIp` (default `true`): the first call of an
   * operator from an IP not seen in `rememberDays` (default 90) writes a `guard.alert`.
   */
  ip?: { allow?: string[]; operators?: Record<string, string[]>; alertOnNewIp?: boolean; rememberDays?: number };
  /** Where guard state lives. Default: Redis when the quota or cache store is Redis, else memory. */
  store?: GuardStore;
  /**
   * Longest a guard store check may take, in ms. Default `500`. When the store fails or is slower,
   * the guards keep working on this process's own memory for 5 s before trying the store again:
   * they still refuse what this process sees, and the store's outage is left to the quota (which
   * fails closed) to decide.
   */
  storeTimeoutMs?: number;
  /** Called with every alert (also written to the audit trail): page someone. Must not throw. */
  onAlert?: (alert: GuardAlert) => void;
}

/** Options of {@link createClient}. Validated once, at construction (`ERR_CONFIG_INVALID`). */
export interface DancuClientOptions {
  /**
   * Base URL of the gateway. Must be `https:`; `http:` only for loopback hosts (127.0.0.0/8,
   * `[::1]`, `localhost`), i.e. the sandbox. No credentials, query or fragment in it.
   */
  baseUrl: string | URL;
  /**
   * OAuth2 client credentials issued for this system. Never logged. `issuedAt` (when the secret was
   * issued) lets the client warn before and refuse after `credentialPolicy.maxAgeDays`.
   */
  credentials: ClientCredentials & { issuedAt?: string | Date };
  /**
   * Credential hygiene. Default: secret ≥ 8 characters, estimated ≥ 50 bits of strength (dictionary
   * words with digits or symbols appended, years, keyboard runs and repeats count for little; long
   * random keys pass without mixed classes), not a known default, not containing the client id or
   * `system.id` (`ERR_CREDENTIALS_WEAK`); with `issuedAt`, a warning `warnDays` (7) before and
   * `ERR_CREDENTIALS_EXPIRED` after `maxAgeDays` (90). `requireMixed: true` adds the old class rule.
   */
  credentialPolicy?: Partial<CredentialPolicy>;
  /** mTLS material, when the gateway requires a client certificate. */
  tls?: TlsOptions;
  /** Who is calling: recorded with every request. */
  system: SystemIdentity;
  /** The purposes this system is licensed for. A call under any other code is refused locally. */
  purposes: readonly PurposeDefinition[];
  /** Wire profile of the gateway (`dancu/profiles`). Default: `referenceProfile`. */
  profile?: WireProfile;
  /** Injected `fetch`. Default: `globalThis.fetch`, looked up at each call (so msw can intercept). */
  fetch?: FetchLike;
  /**
   * `fetch` (default): requests go through `fetch` with an undici Agent as dispatcher — msw can
   * intercept them. `undici`: through the Agent's `request` directly — several times cheaper per
   * request on Node 20 (see `npm run bench`), for bulk work; **msw cannot see these requests**, so
   * test with the sandbox over HTTP instead. Same timeouts, bounds, TLS and refusals.
   */
  httpEngine?: 'fetch' | 'undici';
  /** Whole-request timeout (connect, send, read body), in ms. Default `10000`. */
  timeoutMs?: number;
  /** TCP/TLS connect timeout, in ms. Default `5000`. */
  connectTimeoutMs?: number;
  /** Largest response body accepted, in bytes. Default `262144` (256 KiB). */
  maxResponseBytes?: number;
  /** Keep-alive connections to the gateway per client. Default `16`. */
  maxConnections?: number;
  /** Refresh the access token this long before it expires, in ms. Default `60000`. */
  tokenRefreshSkewMs?: number;
  /** Clock in epoch ms, for tests. Default `Date.now`. */
  clock?: Clock;
  /** Client-side quota. Default: 9,000 queries per Vietnam day in this process's memory. */
  quota?: QuotaOptions;
  /** Retry policy. Default: 3 attempts, 200 ms base, 5 s cap. */
  retry?: RetryOptions;
  /** Circuit breaker. Default: 5 consecutive failures, 30 s cooldown; `false` turns it off. */
  breaker?: BreakerOptions | false;
  /** Dedup (single-flight and result cache). Default: on, in memory, match 24 h, mismatch/not found 5 min, lookup off. */
  cache?: CacheOptions;
  /** Audit trail. Default: JSONL in `./dancu-audit`, fail closed. */
  audit?: AuditOptions;
  /** Guards: enumeration (default on), operator velocity, IP policy (default: new-IP alerts). */
  guards?: GuardOptions;
  /**
   * Secret (≥ 32 bytes) of the HMACs that pseudonymise what shared state is keyed by: operator ids
   * in quota budget keys, operator ids, IPs and citizens in guard state. The same in every process.
   * Default: `cache.secret`, else `audit.secret` — never the upstream credential, so rotating the
   * client secret does not reset the guards' memory. Required (`ERR_CONFIG_INVALID`) when that
   * state is shared (a Redis quota, cache or guard store) and none of the three is set; with only
   * in-memory stores a random key per process is used.
   */
  stateSecret?: string | Buffer;
  /**
   * Where the SDK's own diagnostics go (each with a stable `code`): a pino logger, or anything with
   * pino's `info/warn/error(obj, msg)`. Credential expiry, an unsigned or fail-open trail, witness
   * lag, guard alerts (without the operator id or IP: those are in the trail), a guard store that
   * failed, the quota's local fallback. Default: the first three as `process.emitWarning`, the
   * others in the audit trail only. See docs/operations.md.
   */
  logger?: DancuLogger;
}

