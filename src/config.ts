import { ConfigError, CredentialError } from './errors.js';
import { DEFAULT_CREDENTIAL_POLICY, secretAgeDays, secretProblems, type CredentialPolicy } from './credentials/policy.js';
import { canonicalJson, sha256Hex } from './internal/canonical.js';
import type { Clock } from './internal/time.js';
import type { PurposeDefinition } from './purpose/registry.js';
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
import type { GuardPlan } from './guard/guards.js';
import { Networks } from './guard/ip.js';
import { MemoryGuardStore } from './guard/memory-store.js';
import { RedisGuardStore } from './guard/redis-store.js';
import { sharedRedisOf } from './internal/redis.js';
import { deriveAuditKeys } from './audit/keys.js';
import { hostname } from 'node:os';
import { JsonlAuditSink } from './audit/jsonl-sink.js';
import type { AuditPlan } from './audit/trail.js';
import { referenceProfile } from './transport/reference-profile.js';
import { DEFAULT_RETRY, type RetryPolicy } from './transport/retry.js';
import { DEFAULT_BREAKER, type BreakerPolicy } from './transport/breaker.js';
import type { ClientCredentials, WireProfile } from './transport/types.js';
import { VERSION } from './version.js';

import { checkBaseUrl, DEFAULTS, fixFor, issuesFrom, optionsSchema } from './config/schema.js';
import type { AuditOptions, CacheOptions, GuardOptions, QuotaOptions, SystemIdentity, TlsOptions } from './options.js';

export type { AuditOptions, BreakerOptions, CacheOptions, DancuClientOptions, GuardOptions, PemLike, QuotaOptions, RetryOptions, SystemIdentity, TlsOptions } from './options.js';
export { DEFAULTS } from './config/schema.js';

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
      fix: fixFor('stateSecret'),
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

