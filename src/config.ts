import { canonicalJson, sha256Hex } from './internal/canonical.js';
import type { Clock } from './internal/time.js';
import { callScope, diagnostics, type DancuLogger, type Diagnose } from './internal/log.js';
import { ConfigError } from './errors.js';
import { DEFAULT_CREDENTIAL_POLICY, type CredentialPolicy } from './credentials/policy.js';
import type { PurposeDefinition } from './purpose/registry.js';
import type { FetchLike } from './transport/http.js';
import { referenceProfile } from './transport/reference-profile.js';
import { DEFAULT_RETRY, type RetryPolicy } from './transport/retry.js';
import { DEFAULT_BREAKER, type BreakerPolicy } from './transport/breaker.js';
import type { ClientCredentials, WireProfile } from './transport/types.js';
import { VERSION } from './version.js';
import { checkBaseUrl, DEFAULTS, issuesFrom, optionsSchema } from './config/schema.js';
import type { AuditOptions, CacheOptions, GuardOptions, QuotaOptions, SystemIdentity, TlsOptions } from './options.js';
import { auditSettings, type AuditSettings } from './audit/config.js';
import { cacheSettings, type CacheSettings } from './cache/config.js';
import { guardSettings, type GuardSettings } from './guard/config.js';
import { quotaSettings, type QuotaSettings } from './quota/config.js';

export type { AuditOptions, BreakerOptions, CacheOptions, DancuClientOptions, GuardOptions, PemLike, QuotaOptions, RetryOptions, SystemIdentity, TlsOptions } from './options.js';
export { DEFAULTS } from './config/schema.js';

/**
 * The options after validation and defaults: pure data. Nothing is built here — no store, no sink,
 * no key, no host name read, no warning — so `dancu doctor` can resolve a deployment file as
 * `createClient` does; `runtime.ts` builds what a client runs with.
 */
export interface ResolvedOptions {
  baseUrl: URL;
  credentials: ClientCredentials & { issuedAt?: string | Date | undefined };
  credentialPolicy: CredentialPolicy;
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
  /** The injected clock, when there is one (stores read it only then). */
  testClock: Clock | undefined;
  quota: QuotaSettings;
  retry: RetryPolicy;
  breaker: BreakerPolicy | undefined;
  cache: CacheSettings;
  audit: AuditSettings;
  guards: GuardSettings;
  /** `stateSecret`, else `cache.secret`, else `audit.secret`; never the upstream credential. */
  stateSecret: string | Buffer | undefined;
  /** sha256 over version, profile, system, purposes, quota, cache, audit, guards (no secrets). */
  fingerprint: string;
  /** Where diagnostics go: the `logger` option, else process warnings (see `diagnostics`). */
  diagnose: Diagnose;
  /** Runs one call so that its diagnostics name it (with a logger; else `fn` as it is). */
  inCall: ReturnType<typeof callScope>;
}

/** What a store is, for the fingerprint (its kind, never its contents). */
const kindOf = (store: object | undefined) => (store === undefined ? 'default' : (store.constructor?.name ?? 'custom'));

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
  const purposes = o.purposes.map((p) => {
    const def: PurposeDefinition = { code: p.code, title: p.title, legalBasis: p.legalBasis, operations: [...new Set(p.operations)] };
    if (p.fields) def.fields = [...new Set(p.fields)];
    return def;
  });
  const profile = o.profile ?? referenceProfile;
  purposes.forEach((p, i) => {
    const j = p.operations.findIndex((op) => op !== 'verify' && op !== 'lookup' && profile.extraOperations?.[op] === undefined);
    if (j >= 0) {
      throw new ConfigError([{ path: `purposes.${i}.operations.${j}`, received: 'string', message: `an operation the profile "${profile.name}" does not declare`,
        fix: `use "verify", "lookup" or one of the profile's extraOperations (${Object.keys(profile.extraOperations ?? {}).join(', ') || 'none'})` }]);
    }
  });
  const quota = quotaSettings(o.quota as QuotaOptions | undefined);
  const retry: RetryPolicy = { ...DEFAULT_RETRY, ...(o.retry as Partial<RetryPolicy> | undefined) };
  const breaker: BreakerPolicy | undefined = o.breaker === false ? undefined : { ...DEFAULT_BREAKER, ...(o.breaker as Partial<BreakerPolicy> | undefined) };
  const audit = auditSettings(o.audit as AuditOptions | undefined);
  const cache = cacheSettings(o.cache as CacheOptions | undefined);
  const guardOptions = o.guards as GuardOptions | undefined;
  const guards = guardSettings(guardOptions);
  const { secret: _cacheSecret, store: cacheStore, ...cacheShape } = cache;
  const fingerprint = sha256Hex(
    canonicalJson({
      version: VERSION,
      profile: profile.name,
      baseUrl: baseUrl.href,
      system: o.system,
      purposes,
      quota: { ...quota, store: kindOf(quota.store) },
      retry,
      breaker,
      cache: { ...cacheShape, store: kindOf(cacheStore) },
      audit: { sink: kindOf(audit.sink), rawSubject: audit.rawSubject, failOpen: audit.failOpen }, // not the instance: it names a process
      guards: {
        enumeration: guards.enumeration ?? false,
        velocity: guards.velocity ?? false,
        ip: { allow: guardOptions?.ip?.allow, operators: guardOptions?.ip?.operators, alertOnNewIp: guards.ip.alertOnNewIp },
        store: kindOf(guards.store),
      },
    }),
  );
  return {
    baseUrl,
    credentials: { clientId: o.credentials.clientId, clientSecret: o.credentials.clientSecret, issuedAt: o.credentials.issuedAt },
    credentialPolicy: { ...DEFAULT_CREDENTIAL_POLICY, ...(o.credentialPolicy as Partial<CredentialPolicy> | undefined) },
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
    clock: (o.clock as Clock | undefined) ?? Date.now,
    testClock: o.clock as Clock | undefined,
    quota,
    retry,
    breaker,
    cache,
    audit,
    guards,
    stateSecret: (o.stateSecret as string | Buffer | undefined) ?? cache.secret ?? audit.secret,
    fingerprint,
    diagnose: diagnostics(o.logger as DancuLogger | undefined),
    inCall: callScope(o.logger as DancuLogger | undefined),
  };
}
