import { z } from 'zod';
import { CITIZEN_FIELDS } from './citizen/types.js';
import { ConfigError, CredentialError, type ConfigIssue } from './errors.js';
import { DEFAULT_CREDENTIAL_POLICY, secretAgeDays, secretProblems, type CredentialPolicy } from './credentials/policy.js';
import { canonicalJson, sha256Hex } from './internal/canonical.js';
import type { Clock } from './internal/time.js';
import type { Operation, PurposeDefinition } from './purpose/registry.js';
import type { FetchLike } from './transport/http.js';
import { MemoryQuotaStore } from './quota/memory-store.js';
import type { QuotaPlan } from './quota/budgets.js';
import type { QuotaStore } from './quota/types.js';
import type { CachePlan } from './cache/dedup.js';
import { deriveCacheKeys } from './cache/keys.js';
import { BIND_CACHE_KEY } from './cache/redis-store.js';
import { MemoryCacheStore } from './cache/memory-store.js';
import type { CacheStore } from './cache/types.js';
import { hkdfSync, randomBytes } from 'node:crypto';
import type { GuardAlert, GuardPlan } from './guard/guards.js';
import { Networks, parseCidr } from './guard/ip.js';
import { MemoryGuardStore } from './guard/memory-store.js';
import { RedisGuardStore } from './guard/redis-store.js';
import type { GuardStore } from './guard/types.js';
import { sharedRedisOf } from './internal/redis.js';
import { deriveAuditKeys } from './audit/keys.js';
import { hostname } from 'node:os';
import { JsonlAuditSink } from './audit/jsonl-sink.js';
import type { AuditSink } from './audit/sink.js';
import type { AuditPlan } from './audit/trail.js';
import { referenceProfile } from './transport/reference-profile.js';
import { DEFAULT_RETRY, type RetryPolicy } from './transport/retry.js';
import { DEFAULT_BREAKER, type BreakerPolicy } from './transport/breaker.js';
import type { ClientCredentials, WireProfile } from './transport/types.js';
import { VERSION } from './version.js';

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
   * Secret (≥ 32 bytes) for the subject HMAC and the checkpoint signatures. Keep it: auditors need
   * it to find a citizen's lookups and to verify checkpoints. Default: random per client (no
   * checkpoints, subjects not comparable across restarts).
   */
  secret?: string | Buffer;
  /** Id of `secret`, recorded in checkpoints. Default `k1`. */
  keyId?: string;
  /** Record the raw ID number beside its HMAC. Default `false`: explicit opt-in only. */
  rawSubject?: boolean;
  /** Checkpoint every this many events (and at close). Default `1000`. */
  checkpointEvery?: number;
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
  /** Wire profile of the gateway. Default: {@link referenceProfile}. */
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
}

/** Options after validation and defaults. */
export interface ResolvedOptions {
  baseUrl: URL;
  credentials: ClientCredentials;
  tls: TlsOptions | undefined;
  system: SystemIdentity;
  purposes: PurposeDefinition[];
  profile: WireProfile;
  fetch: FetchLike | undefined;
  httpEngine: 'fetch' | 'undici';
  timeoutMs: number;
  connectTimeoutMs: number;
  maxResponseBytes: number;
  maxConnections: number;
  tokenRefreshSkewMs: number;
  clock: Clock;
  quota: {
    plan: QuotaPlan;
    store: QuotaStore;
    onExhausted: 'fail' | 'wait';
    maxWaitMs: number;
    storeTimeoutMs: number;
    fallbackInstances: number | undefined;
  };
  retry: RetryPolicy;
  breaker: BreakerPolicy | undefined;
  cache: CachePlan;
  audit: AuditPlan;
  guards: GuardPlan;
  /** sha256 over version, profile, system, purposes, quota, cache, audit, guards (no secrets). */
  fingerprint: string;
}

export const DEFAULTS = {
  timeoutMs: 10_000,
  connectTimeoutMs: 5_000,
  maxResponseBytes: 256 * 1024,
  maxConnections: 16,
  tokenRefreshSkewMs: 60_000,
} as const;

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;
const OPERATIONS = ['verify', 'lookup'] as const satisfies readonly Operation[];

const text = (max: number) => z.string().trim().min(1).max(max);
const pem = z.union([z.string(), z.instanceof(Buffer)]);
const positiveInt = z.number().int().positive();
const fn = z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', { message: 'expected a function' });
const auditSinkSchema = z.custom<AuditSink>(
  (v) => typeof v === 'object' && v !== null && ['write', 'flush', 'close'].every((m) => typeof (v as Record<string, unknown>)[m] === 'function'),
  { message: 'expected an AuditSink { write, flush, close } (JsonlAuditSink, PostgresAuditSink, FanOutAuditSink, …)' },
);
const ttl = z.number().int().min(0).max(30 * 24 * 3_600_000);
const cacheStoreSchema = z.custom<CacheStore>(
  (v) => typeof v === 'object' && v !== null &&
    ['get', 'set', 'invalidateSubject', 'size'].every((m) => typeof (v as Record<string, unknown>)[m] === 'function'),
  { message: 'expected a CacheStore { get, set, invalidateSubject, size } (MemoryCacheStore or RedisCacheStore)' },
);
const quotaStoreSchema = z.custom<QuotaStore>(
  (v) => typeof v === 'object' && v !== null &&
    ['reserve', 'stop', 'status', 'activeStop'].every((m) => typeof (v as Record<string, unknown>)[m] === 'function'),
  { message: 'expected a QuotaStore { reserve, stop, status, activeStop } (MemoryQuotaStore or RedisQuotaStore)' },
);

const guardStoreSchema = z.custom<GuardStore>(
  (v) => typeof v === 'object' && v !== null &&
    ['admitDistinct', 'recordCall', 'block', 'remember'].every((m) => typeof (v as Record<string, unknown>)[m] === 'function'),
  { message: 'expected a GuardStore { admitDistinct, recordCall, block, remember } (MemoryGuardStore or RedisGuardStore)' },
);
const cidr = z.string().refine((v) => parseCidr(v) !== undefined, 'not an IP address or CIDR block (e.g. 10.0.0.0/8)');

const purposeSchema = z
  .strictObject({
    code: text(64).regex(/^[A-Za-z0-9._-]+$/, 'only letters, digits, ".", "_" and "-"'),
    title: text(256),
    legalBasis: text(512),
    operations: z.array(z.enum(OPERATIONS)).min(1),
    fields: z.array(z.enum(CITIZEN_FIELDS)).min(1).optional(),
  })
  .refine((p) => !p.operations.includes('lookup') || p.fields !== undefined, {
    message: 'a purpose that allows "lookup" must list the fields it may read',
    path: ['fields'],
  });

const profileSchema = z.custom<WireProfile>(
  (v) =>
    typeof v === 'object' && v !== null && typeof (v as WireProfile).name === 'string' &&
    typeof (v as WireProfile).token?.build === 'function' && typeof (v as WireProfile).operations === 'object',
  { message: 'expected a wire profile object { name, token, operations }' },
);

const optionsSchema = z.strictObject({
  baseUrl: z.union([z.string(), z.instanceof(URL)]),
  credentials: z.strictObject({
    clientId: text(256),
    clientSecret: z.string().min(1).max(1024),
    issuedAt: z.union([z.string(), z.date()]).refine((v) => !Number.isNaN(new Date(v).getTime()), 'not a date').optional(),
  }),
  credentialPolicy: z
    .strictObject({
      minLength: positiveInt.max(256).optional(),
      requireMixed: z.boolean().optional(),
      minEntropyBits: z.number().min(0).max(256).optional(),
      maxAgeDays: positiveInt.max(3650).optional(),
      warnDays: z.number().int().min(0).max(365).optional(),
    })
    .optional(),
  tls: z
    .strictObject({ ca: z.union([pem, z.array(pem)]).optional(), cert: pem.optional(), key: pem.optional(), passphrase: z.string().optional() })
    .refine((t) => (t.cert === undefined) === (t.key === undefined), { message: 'cert and key go together', path: ['key'] })
    .optional(),
  system: z.strictObject({ id: text(128), unitCode: text(64), version: text(64) }),
  purposes: z
    .array(purposeSchema)
    .min(1)
    .refine((ps) => new Set(ps.map((p) => p.code)).size === ps.length, { message: 'purpose codes must be unique' }),
  profile: profileSchema.optional(),
  fetch: fn.optional(),
  httpEngine: z.enum(['fetch', 'undici']).optional(),
  timeoutMs: positiveInt.max(120_000).optional(),
  connectTimeoutMs: positiveInt.max(60_000).optional(),
  maxResponseBytes: positiveInt.max(64 * 1024 * 1024).optional(),
  maxConnections: positiveInt.max(1024).optional(),
  tokenRefreshSkewMs: z.number().int().min(0).max(3_600_000).optional(),
  clock: fn.optional(),
  stateSecret: z.union([z.string(), z.instanceof(Buffer)]).refine((v) => Buffer.byteLength(v) >= 32, 'must be at least 32 bytes').optional(),
  quota: z
    .strictObject({
      lockThreshold: positiveInt.optional(),
      safetyMargin: z.number().min(0).max(0.9).optional(),
      perMinute: z.strictObject({ rate: positiveInt, burst: positiveInt.optional() }).optional(),
      perDay: positiveInt.optional(),
      perUnit: z.strictObject({ perMinute: positiveInt.optional(), perDay: positiveInt.optional() }).optional(),
      perOperator: z.strictObject({ perMinute: positiveInt.optional(), perDay: positiveInt.optional() }).optional(),
      perPurpose: z.record(z.string(), z.strictObject({ perDay: positiveInt })).optional(),
      onExhausted: z.enum(['fail', 'wait']).optional(),
      maxWaitMs: z.number().int().min(0).max(600_000).optional(),
      store: quotaStoreSchema.optional(),
      storeTimeoutMs: positiveInt.max(30_000).optional(),
      fallback: z.strictObject({ instances: positiveInt.max(1000) }).optional(),
    })
    .refine(
      (q) => q.perDay === undefined || q.perDay <= Math.floor((q.lockThreshold ?? 10_000) * (1 - (q.safetyMargin ?? 0.1))),
      { message: 'perDay must not exceed floor(lockThreshold × (1 − safetyMargin)): the client must stop below the lock', path: ['perDay'] },
    )
    .optional(),
  retry: z
    .strictObject({
      attempts: positiveInt.max(5).optional(),
      baseDelayMs: z.number().int().min(0).max(60_000).optional(),
      maxDelayMs: z.number().int().min(0).max(300_000).optional(),
      maxRetryAfterMs: z.number().int().min(0).max(300_000).optional(),
    })
    .optional(),
  breaker: z
    .union([
      z.literal(false),
      z.strictObject({ failureThreshold: positiveInt.max(1000).optional(), cooldownMs: positiveInt.max(3_600_000).optional() }),
    ])
    .optional(),
  cache: z
    .strictObject({
      enabled: z.boolean().optional(),
      secret: z.union([z.string(), z.instanceof(Buffer)]).refine((v) => Buffer.byteLength(v) >= 32, 'must be at least 32 bytes').optional(),
      keyId: z.string().regex(/^[A-Za-z0-9._-]{1,32}$/).optional(),
      ttlMs: z
        .strictObject({ match: ttl.optional(), mismatch: ttl.optional(), notFound: ttl.optional(), lookup: ttl.optional() })
        .optional(),
      maxEntries: positiveInt.max(10_000_000).optional(),
      shareAcrossPurposes: z.boolean().optional(),
      store: cacheStoreSchema.optional(),
      joinTimeoutMs: z.number().int().min(0).max(60_000).optional(),
      storeTimeoutMs: positiveInt.max(30_000).optional(),
    })
    .refine((c) => c.store === undefined || typeof (c.store as CacheStore).acquire !== 'function' || c.secret !== undefined, {
      message: 'a shared cache store needs cache.secret, the same in every process',
      path: ['secret'],
    })
    .optional(),
  audit: z
    .strictObject({
      sink: auditSinkSchema.optional(),
      directory: text(4096).optional(),
      instance: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/).optional(),
      secret: z.union([z.string(), z.instanceof(Buffer)]).refine((v) => Buffer.byteLength(v) >= 32, 'must be at least 32 bytes').optional(),
      keyId: z.string().regex(/^[A-Za-z0-9._-]{1,32}$/).optional(),
      rawSubject: z.boolean().optional(),
      checkpointEvery: positiveInt.max(1_000_000).optional(),
      failOpen: z.boolean().optional(),
    })
    .refine((a) => a.sink === undefined || (a.directory === undefined && a.checkpointEvery === undefined), {
      message: 'directory and checkpointEvery configure the default JSONL sink; give them to your sink instead',
    })
    .optional(),
  guards: z
    .strictObject({
      enumeration: z
        .union([z.literal(false), z.strictObject({ maxDistinct: positiveInt.max(1000).optional(), windowMs: positiveInt.max(30 * 86_400_000).optional() })])
        .optional(),
      velocity: z
        .strictObject({
          perMinute: positiveInt.max(100_000).optional(),
          blockMs: positiveInt.max(7 * 86_400_000).optional(),
          regularity: z
            .union([
              z.literal(false),
              z.strictObject({
                samples: z.number().int().min(3).max(1000).optional(),
                maxCv: z.number().min(0).max(1).optional(),
                maxMeanGapMs: positiveInt.max(3_600_000).optional(),
              }),
            ])
            .optional(),
        })
        .optional(),
      ip: z
        .strictObject({
          allow: z.array(cidr).optional(),
          operators: z.record(z.string(), z.array(cidr)).optional(),
          alertOnNewIp: z.boolean().optional(),
          rememberDays: positiveInt.max(3650).optional(),
        })
        .optional(),
      store: guardStoreSchema.optional(),
      storeTimeoutMs: positiveInt.max(30_000).optional(),
      onAlert: fn.optional(),
    })
    .optional(),
});

/** How to fix the most common mistakes, by the first segment(s) of the option path. */
const FIXES: Array<[RegExp, string]> = [
  [/^baseUrl/, 'pass the gateway URL, e.g. "https://lgsp.example.gov.vn/dancu" (http only for 127.0.0.1/localhost)'],
  [/^credentials/, 'pass { clientId, clientSecret, issuedAt? } as issued for this system (load the secret from the environment)'],
  [/^credentialPolicy/, 'pass { minLength?, minEntropyBits?, requireMixed?, maxAgeDays?, warnDays? }'],
  [/^tls/, 'pass PEM strings or Buffers: { ca?, cert, key } (cert and key together)'],
  [/^system/, 'pass { id, unitCode, version } of your system (unitCode is MaDonVi)'],
  [/^purposes\.\d+\.fields/, `list the fields the purpose may read, from: ${CITIZEN_FIELDS.join(', ')}`],
  [/^purposes\.\d+\.operations/, 'list "verify" and/or "lookup"'],
  [/^purposes/, 'register at least one purpose { code, title, legalBasis, operations } per licensed procedure, each code once'],
  [/^profile/, 'pass referenceProfile or your own WireProfile object'],
  [/Ms$|^maxResponseBytes|^maxConnections/, 'pass a positive whole number in the unit the option name says'],
  [/^quota\.perDay/, 'lower perDay, or raise lockThreshold only if the upstream threshold really is higher (docs/quotas.md)'],
  [/^quota\.store/, 'pass new MemoryQuotaStore() or new RedisQuotaStore({ client }) (docs/quotas.md)'],
  [/^quota/, 'see docs/quotas.md for the shape of the quota options'],
  [/^retry/, 'pass { attempts (1–5), baseDelayMs, maxDelayMs, maxRetryAfterMs }'],
  [/^breaker/, 'pass { failureThreshold, cooldownMs } or false'],
  [/^cache\.secret/, 'pass a random secret of at least 32 bytes from your secret store, the same in every process'],
  [/^cache/, 'see docs/caching.md for the shape of the cache options'],
  [/^audit\.secret/, 'pass a random secret of at least 32 bytes from your secret store; keep it for the auditors'],
  [/^stateSecret/, 'pass a random secret of at least 32 bytes from your secret store, the same in every process (or set cache.secret or audit.secret)'],
  [/^audit/, 'see docs/audit.md for the shape of the audit options'],
  [/^guards\.ip/, 'list addresses or CIDR blocks, e.g. { allow: ["10.20.0.0/16"], operators: { "cb.an": ["10.20.1.15"] } }'],
  [/^guards/, 'see docs/guards.md for the shape of the guard options'],
];

function fixFor(path: string): string {
  for (const [re, fix] of FIXES) if (re.test(path)) return fix;
  return 'remove the option or correct its name (see DancuClientOptions in the API reference)';
}

function typeAt(input: unknown, path: readonly PropertyKey[]): string {
  let v: unknown = input;
  for (const key of path) {
    if (typeof v !== 'object' || v === null) return 'undefined';
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (Buffer.isBuffer(v)) return 'Buffer';
  return typeof v;
}

function issuesFrom(error: z.ZodError, input: unknown): ConfigIssue[] {
  return error.issues.map((i) => {
    const path = i.path.map(String).join('.');
    let message = i.message;
    if (i.code === 'unrecognized_keys') message = `unknown option(s): ${i.keys.join(', ')}`;
    return { path, received: typeAt(input, i.path), message, fix: fixFor(path) };
  });
}

function checkBaseUrl(raw: string | URL, tls: unknown): URL {
  let url: URL;
  try {
    url = new URL(String(raw));
  } catch {
    throw new ConfigError([{ path: 'baseUrl', received: typeof raw, message: 'not a valid absolute URL', fix: fixFor('baseUrl') }]);
  }
  const problem =
    url.protocol !== 'https:' && url.protocol !== 'http:' ? 'only https: is allowed'
    : url.protocol === 'http:' && !LOOPBACK.test(url.hostname) ? 'http: is allowed only for loopback hosts (the sandbox); use https:'
    : url.username || url.password ? 'must not contain credentials; use the credentials option'
    : url.search || url.hash ? 'must not contain a query or fragment'
    : url.protocol === 'http:' && tls !== undefined ? 'tls options need an https: URL'
    : undefined;
  if (problem) throw new ConfigError([{ path: 'baseUrl', received: typeof raw, message: problem, fix: fixFor('baseUrl') }]);
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
}

function checkCredentials(c: { clientId: string; clientSecret: string; issuedAt?: string | Date | undefined }, policy: CredentialPolicy, now: number, names: readonly string[]): void {
  const problems = secretProblems(c.clientId, c.clientSecret, policy, names);
  if (problems.length > 0) throw new CredentialError('ERR_CREDENTIALS_WEAK', problems);
  if (c.issuedAt === undefined) return;
  const age = secretAgeDays(new Date(c.issuedAt), now);
  if (age > policy.maxAgeDays) throw new CredentialError('ERR_CREDENTIALS_EXPIRED', [`issued ${Math.floor(age)} days ago, at most ${policy.maxAgeDays} allowed`]);
  if (age > policy.maxAgeDays - policy.warnDays) {
    process.emitWarning(`dancu client secret expires in ${Math.ceil(policy.maxAgeDays - age)} day(s) under the credential policy; rotate it.`, { code: 'DANCU_CREDENTIALS_EXPIRING' });
  }
}

function clockOf(c: unknown): Clock {
  return (c as Clock | undefined) ?? Date.now;
}

function resolveQuota(q: QuotaOptions | undefined, clock: Clock, stateSecret: Buffer): ResolvedOptions['quota'] {
  const lockThreshold = q?.lockThreshold ?? 10_000;
  const safetyMargin = q?.safetyMargin ?? 0.1;
  const plan: QuotaPlan = {
    lockThreshold,
    safetyMargin,
    perDay: q?.perDay ?? Math.floor(lockThreshold * (1 - safetyMargin)),
    perMinute: q?.perMinute ? { rate: q.perMinute.rate, burst: q.perMinute.burst ?? q.perMinute.rate } : undefined,
    perUnit: q?.perUnit,
    perOperator: q?.perOperator,
    perPurpose: q?.perPurpose ?? {},
    // Operator ids reach store keys only as this HMAC: Redis holds no operator id (docs/security-model.md).
    operatorKey: Buffer.from(hkdfSync('sha256', stateSecret, Buffer.from('dancu-quota'), 'operator', 32)),
  };
  return {
    plan,
    store: q?.store ?? new MemoryQuotaStore({ clock }),
    onExhausted: q?.onExhausted ?? 'fail',
    maxWaitMs: q?.maxWaitMs ?? 5_000,
    storeTimeoutMs: q?.storeTimeoutMs ?? 1_000,
    fallbackInstances: q?.fallback?.instances,
  };
}

function resolveAudit(a: AuditOptions | undefined, clock: Clock | undefined): AuditPlan {
  // Default: one chain per client (host, pid, random), so any number of clients can share a directory;
  // whichever starts next seals the chain of one that crashed.
  const instance = a?.instance ?? `${hostname().replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 40) || 'dancu'}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const keyId = a?.keyId ?? 'k1';
  const keys = deriveAuditKeys(a?.secret, keyId);
  const sink =
    a?.sink ??
    new JsonlAuditSink({
      directory: a?.directory ?? 'dancu-audit',
      instance,
      checkpointKey: keys.checkpoint ? { key: keys.checkpoint, kid: keyId } : undefined,
      checkpointEvery: a?.checkpointEvery ?? 1000,
      ...(clock ? { clock } : {}),
    });
  return { sink, instance, subjectKey: keys.subject, rawSubject: a?.rawSubject ?? false, failOpen: a?.failOpen ?? false };
}

type GuardInputs = { quotaStore: QuotaStore; cacheStore: CacheStore | undefined; stateSecret: Buffer; clock: Clock | undefined };

/**
 * The secret behind the HMACs that key shared state (guards, operator budgets): `stateSecret`, else
 * `cache.secret`, else `audit.secret`; never the upstream credential. Without any of them the state
 * must stay in this process (a random key), or each process would key the same operator differently.
 */
function stateSecretOf(o: { stateSecret?: unknown; cache?: unknown; audit?: unknown; quota?: unknown; guards?: unknown }): Buffer {
  const cache = o.cache as CacheOptions | undefined;
  const given = (o.stateSecret as string | Buffer | undefined) ?? cache?.secret ?? (o.audit as AuditOptions | undefined)?.secret;
  if (given !== undefined) return Buffer.isBuffer(given) ? given : Buffer.from(given, 'utf8');
  const quota = o.quota as QuotaOptions | undefined;
  const guardStore = (o.guards as GuardOptions | undefined)?.store;
  const shared =
    (quota?.store !== undefined && !(quota.store instanceof MemoryQuotaStore) && (quota.perOperator !== undefined || sharedRedisOf(quota.store) !== undefined)) ||
    (guardStore !== undefined && !(guardStore instanceof MemoryGuardStore)) ||
    sharedRedisOf(cache?.store) !== undefined;
  if (shared) {
    throw new ConfigError([{
      path: 'stateSecret', received: 'undefined',
      message: 'shared state (a Redis quota, cache or guard store) is keyed by HMACs of operator ids, IPs and citizens, and every process must use the same key',
      fix: FIXES.find(([re]) => re.test('stateSecret'))![1],
    }]);
  }
  return randomBytes(32);
}

function resolveGuards(g: GuardOptions | undefined, shared: GuardInputs): GuardPlan {
  const redis = sharedRedisOf(shared.quotaStore) ?? sharedRedisOf(shared.cacheStore);
  const store =
    g?.store ??
    (redis
      ? new RedisGuardStore({ client: redis.scriptClient, prefix: redis.prefix, ...(redis.clock ? { clock: redis.clock } : {}) })
      : new MemoryGuardStore(shared.clock ? { clock: shared.clock } : {}));
  const e = g?.enumeration;
  const v = g?.velocity;
  const r = v?.regularity;
  return {
    enumeration: e === false ? undefined : { maxDistinct: e?.maxDistinct ?? 3, windowMs: e?.windowMs ?? 86_400_000 },
    velocity: v && {
      perMinute: v.perMinute,
      blockMs: v.blockMs ?? 15 * 60_000,
      regularity: r === false ? undefined : { samples: r?.samples ?? 10, maxCv: r?.maxCv ?? 0.1, maxMeanGapMs: r?.maxMeanGapMs ?? 60_000 },
    },
    ip: {
      allow: g?.ip?.allow ? new Networks(g.ip.allow) : undefined,
      operators: new Map(Object.entries(g?.ip?.operators ?? {}).map(([id, list]) => [id, new Networks(list)])),
      alertOnNewIp: g?.ip?.alertOnNewIp ?? true,
      rememberMs: (g?.ip?.rememberDays ?? 90) * 86_400_000,
    },
    store,
    // From the state secret (see stateSecretOf), the same in every process. Only HMAC input; never stored or sent.
    key: Buffer.from(hkdfSync('sha256', shared.stateSecret, Buffer.from('dancu-guard'), 'key', 32)),
    storeTimeoutMs: g?.storeTimeoutMs ?? 500,
    fallback: new MemoryGuardStore(shared.clock ? { clock: shared.clock } : {}),
    onAlert: g?.onAlert,
  };
}

function resolveCache(c: CacheOptions | undefined, clock: Clock | undefined): CachePlan {
  const ttl = c?.ttlMs ?? {};
  const store = c?.store ?? new MemoryCacheStore({ maxEntries: c?.maxEntries ?? 10_000, ...(clock ? { clock } : {}) });
  const keys = deriveCacheKeys(c?.secret, c?.keyId ?? 'k1');
  const bindable = store as CacheStore & { [BIND_CACHE_KEY]?: (key: Buffer) => void };
  if (typeof bindable[BIND_CACHE_KEY] === 'function') bindable[BIND_CACHE_KEY](keys.aes);
  return {
    enabled: c?.enabled ?? true,
    keys,
    ttlMs: {
      match: ttl.match ?? 24 * 3_600_000,
      mismatch: ttl.mismatch ?? 5 * 60_000,
      notFound: ttl.notFound ?? 5 * 60_000,
      lookup: ttl.lookup ?? 0,
    },
    shareAcrossPurposes: c?.shareAcrossPurposes ?? false,
    store,
    joinTimeoutMs: c?.joinTimeoutMs ?? 2_000,
    storeTimeoutMs: c?.storeTimeoutMs ?? 500,
  };
}

/**
 * Validate options once and apply defaults. Throws {@link ConfigError} (`ERR_CONFIG_INVALID`)
 * listing every problem with its path, the type received, and how to fix it. Values are never
 * echoed: an option may be a secret.
 */
export function resolveOptions(input: unknown): ResolvedOptions {
  const parsed = optionsSchema.safeParse(input);
  if (!parsed.success) throw new ConfigError(issuesFrom(parsed.error, input));
  const o = parsed.data;
  const baseUrl = checkBaseUrl(o.baseUrl, o.tls);
  if (o.httpEngine === 'undici' && o.fetch !== undefined) {
    throw new ConfigError([{ path: 'httpEngine', received: 'string', message: 'httpEngine "undici" does not use fetch, so the injected fetch would be ignored', fix: 'remove fetch, or use httpEngine "fetch"' }]);
  }
  checkCredentials(o.credentials, { ...DEFAULT_CREDENTIAL_POLICY, ...(o.credentialPolicy as Partial<CredentialPolicy> | undefined) }, clockOf(o.clock)(), [o.system.id]);
  const purposes = o.purposes.map((p) => {
    const def: PurposeDefinition = { code: p.code, title: p.title, legalBasis: p.legalBasis, operations: [...new Set(p.operations)] };
    if (p.fields) def.fields = [...new Set(p.fields)];
    return def;
  });
  const profile = o.profile ?? referenceProfile;
  const stateSecret = stateSecretOf(o);
  const quota = resolveQuota(o.quota as QuotaOptions | undefined, clockOf(o.clock), stateSecret);
  const retry: RetryPolicy = { ...DEFAULT_RETRY, ...(o.retry as Partial<RetryPolicy> | undefined) };
  const breaker: BreakerPolicy | undefined = o.breaker === false ? undefined : { ...DEFAULT_BREAKER, ...(o.breaker as Partial<BreakerPolicy> | undefined) };
  const audit = resolveAudit(o.audit as AuditOptions | undefined, o.clock as Clock | undefined);
  const cache = resolveCache(o.cache as CacheOptions | undefined, o.clock as Clock | undefined);
  const guardOptions = o.guards as GuardOptions | undefined;
  const guards = resolveGuards(guardOptions, {
    quotaStore: quota.store,
    cacheStore: (o.cache as CacheOptions | undefined)?.store,
    stateSecret,
    clock: o.clock as Clock | undefined,
  });
  const fingerprint = sha256Hex(
    canonicalJson({
      version: VERSION,
      profile: profile.name,
      baseUrl: baseUrl.href,
      system: o.system,
      purposes,
      quota: { ...quota, plan: { ...quota.plan, operatorKey: undefined } }, // a key, not configuration
      retry,
      breaker,
      cache: { ...cache, keys: cache.keys.keyId },
      audit: { sink: audit.sink, rawSubject: audit.rawSubject, failOpen: audit.failOpen }, // not the instance: it names a process
      guards: {
        enumeration: guards.enumeration ?? false,
        velocity: guards.velocity ?? false,
        ip: { allow: guardOptions?.ip?.allow, operators: guardOptions?.ip?.operators, alertOnNewIp: guards.ip.alertOnNewIp },
        store: guards.store,
      },
    }),
  );
  return {
    baseUrl,
    credentials: { clientId: o.credentials.clientId, clientSecret: o.credentials.clientSecret },
    tls: o.tls as TlsOptions | undefined,
    system: o.system,
    purposes,
    profile,
    fetch: o.fetch as FetchLike | undefined,
    httpEngine: o.httpEngine ?? 'fetch',
    timeoutMs: o.timeoutMs ?? DEFAULTS.timeoutMs,
    connectTimeoutMs: o.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs,
    maxResponseBytes: o.maxResponseBytes ?? DEFAULTS.maxResponseBytes,
    maxConnections: o.maxConnections ?? DEFAULTS.maxConnections,
    tokenRefreshSkewMs: o.tokenRefreshSkewMs ?? DEFAULTS.tokenRefreshSkewMs,
    clock: clockOf(o.clock),
    quota,
    retry,
    breaker,
    cache,
    audit,
    guards,
    fingerprint,
  };
}
