import type { RedisClientLike } from './internal/redis.js';
import { RedisCacheStore } from './cache/redis-store.js';
import { RedisGuardStore } from './guard/redis-store.js';
import { RedisQuotaStore } from './quota/redis-store.js';

/** Options of {@link createRedisStores}. */
export interface RedisStoresOptions {
  /** Your ioredis or node-redis (v4/v5) client, connected. dancu never closes it. */
  client: RedisClientLike;
  /** Key prefix of the deployment, the same in every process. Default `dancu`. */
  prefix?: string;
  /** Test clock in epoch ms. Default: Redis `TIME`. */
  clock?: () => number;
  /** See `RedisQuotaStoreOptions.heartbeatMs` (default 1000). */
  heartbeatMs?: number;
  /** See `RedisQuotaStoreOptions.recoveryMs` (default 3000). */
  recoveryMs?: number;
  /** See `RedisQuotaStoreOptions.maxFloors` (default 10000). */
  maxFloors?: number;
}

/** The three stores of a deployment, in one Redis under one prefix. */
export interface RedisStores {
  quota: RedisQuotaStore;
  cache: RedisCacheStore;
  guards: RedisGuardStore;
}

/**
 * The quota, cache and guard stores that share one Redis, wired explicitly: pass each where it
 * goes. The cache store takes the value key the client derives from `cache.secret`.
 *
 * @example
 * ```ts
 * const stores = createRedisStores({ client: redis, prefix: 'dancu-tinh' })
 * createClient({ ...options, quota: { store: stores.quota }, cache: { store: stores.cache, secret }, guards: { store: stores.guards } })
 * ```
 */
export function createRedisStores(options: RedisStoresOptions): RedisStores {
  const o = (typeof options === 'object' && options !== null ? options : {}) as Partial<RedisStoresOptions>;
  const common = { client: o.client as RedisClientLike, ...(o.prefix !== undefined ? { prefix: o.prefix } : {}) };
  const clock = o.clock !== undefined ? { clock: o.clock } : {};
  return {
    quota: new RedisQuotaStore({ ...common, ...clock, ...(o.heartbeatMs !== undefined ? { heartbeatMs: o.heartbeatMs } : {}), ...(o.recoveryMs !== undefined ? { recoveryMs: o.recoveryMs } : {}), ...(o.maxFloors !== undefined ? { maxFloors: o.maxFloors } : {}) }),
    cache: new RedisCacheStore(common),
    guards: new RedisGuardStore({ ...common, ...clock }),
  };
}
