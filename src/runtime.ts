/**
 * What a client runs with, built from resolved options: the credential check (it may warn), the
 * stores, the sink, the keys. Explicit wiring: every store and key is handed to the part that
 * uses it here, and nothing reaches into a user's store but through its declared members.
 */
import { randomBytes } from 'node:crypto';
import { buildAudit } from './audit/config.js';
import type { AuditPlan } from './audit/trail.js';
import { buildCache } from './cache/config.js';
import type { CachePlan } from './cache/dedup.js';
import type { ResolvedOptions } from './config.js';
import { fixFor } from './config/schema.js';
import { secretAgeDays, secretProblems, type CredentialPolicy } from './credentials/policy.js';
import { ConfigError, CredentialError } from './errors.js';
import { buildGuards } from './guard/config.js';
import type { GuardPlan } from './guard/guards.js';
import { MemoryGuardStore } from './guard/memory-store.js';
import { secretBytes } from './internal/options.js';
import type { RedisConnection } from './internal/redis.js';
import { buildQuota } from './quota/config.js';
import type { QuotaManagerOptions } from './quota/manager.js';
import { MemoryQuotaStore } from './quota/memory-store.js';
import type { ClientCredentials } from './transport/types.js';
import type { Diagnose } from './internal/log.js';

/** A client's parts, wired. */
export interface Runtime extends Omit<ResolvedOptions, 'credentials' | 'quota' | 'cache' | 'audit' | 'guards' | 'stateSecret'> {
  credentials: ClientCredentials;
  quota: Omit<QuotaManagerOptions, 'clock'>;
  cache: CachePlan;
  audit: AuditPlan;
  guards: GuardPlan;
}

export function buildRuntime(r: ResolvedOptions): Runtime {
  checkCredentials(r.credentials, r.credentialPolicy, r.clock(), [r.system.id], r.diagnose);
  const redis = redisOf(r.quota.store) ?? redisOf(r.cache.store);
  const stateSecret = stateSecretFor(r, redis);
  const { credentials, stateSecret: _s, ...rest } = r;
  return {
    ...rest,
    credentials: { clientId: credentials.clientId, clientSecret: credentials.clientSecret },
    quota: { ...buildQuota(r.quota, r.clock, stateSecret), diagnose: r.diagnose },
    cache: buildCache(r.cache, r.testClock),
    audit: { ...buildAudit(r.audit, r.testClock), diagnose: r.diagnose },
    guards: { ...buildGuards(r.guards, redis, stateSecret, r.testClock), diagnose: r.diagnose },
  };
}

/** The Redis a store declares it lives in (`RedisQuotaStore`, `RedisCacheStore`). */
function redisOf(store: object | undefined): RedisConnection | undefined {
  const redis = (store as { redis?: unknown } | undefined)?.redis;
  return typeof redis === 'object' && redis !== null && 'client' in redis && 'prefix' in redis ? (redis as RedisConnection) : undefined;
}

/**
 * The secret behind the HMACs that key shared state (guards, operator budgets). Without one the
 * state must stay in this process (a random key), or each process would key the same operator
 * differently: shared state without a secret is refused.
 */
function stateSecretFor(r: ResolvedOptions, redis: RedisConnection | undefined): Buffer {
  const given = r.stateSecret;
  if (given !== undefined) return secretBytes(given);
  const q = r.quota.store;
  const shared = redis !== undefined ||
    (q !== undefined && !(q instanceof MemoryQuotaStore) && r.quota.limits.perOperator !== undefined) ||
    (r.guards.store !== undefined && !(r.guards.store instanceof MemoryGuardStore));
  if (shared) {
    throw new ConfigError([{
      path: 'stateSecret', received: 'undefined',
      message: 'shared state (a Redis quota, cache or guard store) is keyed by HMACs of operator ids, IPs and citizens, and every process must use the same key',
      fix: fixFor('stateSecret'),
    }]);
  }
  return randomBytes(32);
}

function checkCredentials(c: { clientId: string; clientSecret: string; issuedAt?: string | Date | undefined }, policy: CredentialPolicy, now: number, names: readonly string[], diagnose: Diagnose): void {
  const problems = secretProblems(c.clientId, c.clientSecret, policy, names);
  if (problems.length > 0) throw new CredentialError('ERR_CREDENTIALS_WEAK', problems);
  if (c.issuedAt === undefined) return;
  const age = secretAgeDays(new Date(c.issuedAt), now);
  if (age > policy.maxAgeDays) throw new CredentialError('ERR_CREDENTIALS_EXPIRED', [`issued ${Math.floor(age)} days ago, at most ${policy.maxAgeDays} allowed`]);
  if (age > policy.maxAgeDays - policy.warnDays) {
    const daysLeft = Math.ceil(policy.maxAgeDays - age);
    diagnose('warn', 'DANCU_CREDENTIALS_EXPIRING', `dancu client secret expires in ${daysLeft} day(s) under the credential policy; rotate it.`, { daysLeft });
  }
}
