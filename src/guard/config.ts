import { hkdfSync } from 'node:crypto';
import type { RedisConnection } from '../internal/redis.js';
import type { Clock } from '../internal/time.js';
import type { GuardOptions } from '../options.js';
import type { GuardPlan } from './guards.js';
import { Networks } from './ip.js';
import { MemoryGuardStore } from './memory-store.js';
import { RedisGuardStore } from './redis-store.js';

/** The guards' options after defaults: pure data, the user's store if any. */
export type GuardSettings = Omit<GuardPlan, 'store' | 'fallback' | 'key'> & { store: GuardPlan['store'] | undefined };

export function guardSettings(g: GuardOptions | undefined): GuardSettings {
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
    store: g?.store,
    storeTimeoutMs: g?.storeTimeoutMs ?? 500,
    onAlert: g?.onAlert,
  };
}

/**
 * The guards a client runs: the user's store; else one in the Redis of the client's quota or cache
 * store (`redis`), so a macro spread over processes is seen as one; else this process's memory. The
 * key of every HMAC comes from the state secret, the same in every process.
 */
export function buildGuards(s: GuardSettings, redis: RedisConnection | undefined, stateSecret: Buffer, clock: Clock | undefined): GuardPlan {
  const store =
    s.store ??
    (redis
      ? new RedisGuardStore({ client: redis.client, prefix: redis.prefix, ...(redis.clock ? { clock: redis.clock } : {}) })
      : new MemoryGuardStore(clock ? { clock } : {}));
  return {
    ...s,
    store,
    // Only HMAC input; never stored or sent.
    key: Buffer.from(hkdfSync('sha256', stateSecret, Buffer.from('dancu-guard'), 'key', 32)),
    fallback: new MemoryGuardStore(clock ? { clock } : {}),
  };
}
