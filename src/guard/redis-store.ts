import { checkPrefix, LUA_NOW, RedisScript, scriptClientOption, type RedisClientLike } from '../internal/redis.js';
import type { CallsResult, DistinctResult, GuardStore } from './types.js';

const NOW = LUA_NOW;

/** KEYS: set, denied flag. ARGV: now, member, max, windowMs. Returns {allowed, distinct, remainingMs, firstDenial}. */
const DISTINCT = `${NOW}
local max, window = tonumber(ARGV[3]), tonumber(ARGV[4])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('DEL', KEYS[1], KEYS[2]); ttl = window end
local n = redis.call('SCARD', KEYS[1])
if redis.call('SISMEMBER', KEYS[1], ARGV[2]) == 1 then return {1, n, ttl, 0} end
if n < max then
  redis.call('SADD', KEYS[1], ARGV[2])
  if n == 0 then redis.call('PEXPIRE', KEYS[1], window) end
  return {1, n + 1, ttl, 0}
end
local first = redis.call('SET', KEYS[2], '1', 'NX', 'PX', ttl)
return {0, n, ttl, first and 1 or 0}
`;

/** KEYS: call list (sorted set), block key. ARGV: now, keep, ttlMs, unique member. Returns {blockedMs, t1, t2, ...}. */
const RECORD = `${NOW}
local blocked = redis.call('PTTL', KEYS[2])
if blocked > 0 then return {blocked} end
local keep, ttl = tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZADD', KEYS[1], now, now .. ':' .. ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - ttl)
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -keep - 1)
redis.call('PEXPIRE', KEYS[1], ttl)
local out = {0}
for i, t in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')) do
  if i % 2 == 0 then out[#out + 1] = tonumber(t) end
end
return out
`;

/** KEYS: block key, call list. ARGV: forMs. Returns 1 if newly blocked. */
const BLOCK = `
if redis.call('SET', KEYS[1], '1', 'NX', 'PX', tonumber(ARGV[1])) then redis.call('DEL', KEYS[2]); return 1 end
return 0
`;

/**
 * KEYS: sorted set of member → until (ms). ARGV: now, member, ttlMs. Returns {isNew, knownBefore}.
 * Each member expires on its own `ttlMs` after it was last seen; the key lives as long as its newest.
 */
const REMEMBER = `${NOW}
local ttl = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local known = redis.call('ZCARD', KEYS[1])
local isNew = redis.call('ZSCORE', KEYS[1], ARGV[2]) == false
redis.call('ZADD', KEYS[1], now + ttl, ARGV[2])
if redis.call('ZCARD', KEYS[1]) > 256 then redis.call('ZREMRANGEBYRANK', KEYS[1], 0, 0) end
redis.call('PEXPIRE', KEYS[1], ttl)
return {isNew and 1 or 0, known}
`;

/** Options of {@link RedisGuardStore}. */
export interface RedisGuardStoreOptions {
  /** Your ioredis or node-redis (v4/v5) client, connected. dancu never closes it. */
  client: RedisClientLike;
  /**
   * Key prefix; keys are `<prefix>:g:{<operator or citizen key>}…`, so each check's keys share one
   * Redis Cluster slot and operators and citizens spread over the masters. Default `dancu`.
   */
  prefix?: string;
  /** Test clock in epoch ms. Default: Redis `TIME`, so every host agrees. */
  clock?: () => number;
}

/**
 * Guard state in Redis, shared by every process of a deployment: one Lua script per check, so two
 * processes cannot both admit the (K+1)th date of birth of one citizen. Holds only HMACs.
 */
export class RedisGuardStore implements GuardStore {
  readonly #distinct: RedisScript;
  readonly #record: RedisScript;
  readonly #block: RedisScript;
  readonly #remember: RedisScript;
  readonly #prefix: string;
  readonly #clock: (() => number) | undefined;
  #seq = 0;
  readonly #nonce = Math.random().toString(36).slice(2, 10);

  constructor(options: RedisGuardStoreOptions) {
    const client = scriptClientOption((options as { client?: unknown } | undefined)?.client);
    this.#distinct = new RedisScript(client, DISTINCT);
    this.#record = new RedisScript(client, RECORD);
    this.#block = new RedisScript(client, BLOCK);
    this.#remember = new RedisScript(client, REMEMBER);
    const prefix = checkPrefix(options.prefix);
    this.#prefix = `${prefix}:g`;
    this.#clock = options.clock;
  }

  /** Load the four scripts (SCRIPT LOAD): rejects if Redis does not answer. */
  async ready(): Promise<void> {
    await Promise.all([this.#distinct.load(), this.#record.load(), this.#block.load(), this.#remember.load()]);
  }

  async admitDistinct(key: string, member: string, max: number, windowMs: number): Promise<DistinctResult> {
    const k = this.#key(key);
    const r = (await this.#distinct.run([k, `${k}:denied`], [this.#now(), member, String(max), String(windowMs)])) as number[];
    return { allowed: Number(r[0]) === 1, distinct: Number(r[1]), remainingMs: Number(r[2]), firstDenial: Number(r[3]) === 1 };
  }

  async recordCall(key: string, keep: number, ttlMs: number): Promise<CallsResult> {
    const k = this.#key(key);
    const member = `${this.#nonce}.${(this.#seq = (this.#seq + 1) % 1e9)}`;
    const r = (await this.#record.run([k, `${k}:block`], [this.#now(), String(keep), String(ttlMs), member])) as number[];
    const blockedMs = Number(r[0]);
    return blockedMs > 0 ? { times: [], blockedMs } : { times: r.slice(1).map(Number), blockedMs: 0 };
  }

  async block(key: string, forMs: number): Promise<boolean> {
    const k = this.#key(key);
    return Number(await this.#block.run([`${k}:block`, k], [String(Math.max(1, Math.ceil(forMs)))])) === 1;
  }

  async remember(key: string, member: string, ttlMs: number): Promise<{ isNew: boolean; known: number }> {
    const r = (await this.#remember.run([this.#key(key)], [this.#now(), member, String(Math.max(1, Math.ceil(ttlMs)))])) as number[];
    return { isNew: Number(r[0]) === 1, known: Number(r[1]) };
  }

  #key(key: string): string {
    return `${this.#prefix}:{${key}}`;
  }

  #now(): string {
    return this.#clock ? String(this.#clock()) : '';
  }
}
