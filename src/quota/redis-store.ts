import { RedisScript, registerSharedRedis, toScriptClient, type RedisClientLike } from '../internal/redis.js';
import type { ActiveStop, BudgetSpec, BudgetStatus, QuotaStore, ReservationResult, StopRequest } from './types.js';

/**
 * One script for reserve and peek. All budgets are checked, then all are taken, inside one
 * atomic script run: no other reservation can interleave, on any host. Time comes from Redis
 * `TIME` (hosts with skewed clocks agree), or from ARGV[1] when a test clock is injected.
 *
 * Surviving a Redis restart without persistence: an epoch key (created from `TIME` when missing)
 * marks the life of the data. Each caller remembers, per day budget, the count it last saw and the
 * epoch it saw it in, and sends that "floor" with every reservation. A floor from an older epoch
 * is a lower bound of what was spent before the data was lost, so the counter becomes
 * `base + fresh` with `base = max(floors from older epochs)`. The caller that made the last
 * reservation before the loss knows the exact count, so once every live process has called again
 * nothing is lost; only the spending of processes that died with the data can be.
 *
 * KEYS[1] = stop hash; KEYS[2] = epoch; KEYS[2+i] = state of budget i.
 * ARGV[1] = now ms or ''; ARGV[2] = cost; ARGV[3] = 'reserve' | 'peek';
 * ARGV[3+6(i-1)+1..6] = kind ('b' | 'd'), limit, refill per ms (buckets), floor epoch, floor day, floor count.
 * Returns {1, epoch, day, value_1..n} (buckets: tokens left; days: count used)
 *       | {0, i, retryAfterMs} | {-1, stopRemainingMs, reason}.
 *
 * Expiry is always relative (PEXPIRE of `deadline - now`), never PEXPIREAT: `now` may be a test
 * clock, and Redis expires keys on its own clock, so an absolute deadline from another clock
 * deletes keys at once (or keeps them for years). On Redis `TIME` it is set only when it moves:
 * a day key's deadline (the end of the next Vietnam day) when its day begins; a bucket's
 * (`limit / rate` + 60 s: an untouched bucket is full again by then, so losing it gives nothing
 * away) when its last renewal, field `x`, is a minute old or in the future; so at every write a
 * key has more than `limit / rate` left to live. Five PEXPIREs fewer per reservation of five
 * budgets: 0.80–0.92× the old script's time inside Redis, 4–14 µs less (`node
 * bench/reserve-script.mjs <old redis-store.ts> src/quota/redis-store.ts`, four runs on a 2-core
 * Xeon). With a test clock (which Redis time need not follow) every write sets the expiry, as
 * before.
 */
const RESERVE = `
local now
local clocked = ARGV[1] ~= ''
if clocked then now = tonumber(ARGV[1]) else
  local t = redis.call('TIME'); now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) end
local cost = tonumber(ARGV[2])
local peek = ARGV[3] == 'peek'
local VN, DAY = 25200000, 86400000
local day = math.floor((now + VN) / DAY)
local nextMidnight = (day + 1) * DAY - VN
local epoch = redis.call('GET', KEYS[2])
if not epoch then
  local t = redis.call('TIME'); epoch = t[1] .. '.' .. t[2]
  if not peek then redis.call('SET', KEYS[2], epoch) end
end
if not peek then
  local stopUntil = tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
  if stopUntil > now then return {-1, stopUntil - now, redis.call('HGET', KEYS[1], 'reason') or 'locked'} end
end
local n = #KEYS - 2
local values, bases, renew = {}, {}, {}
for i = 1, n do
  local a = 3 + (i - 1) * 6
  local kind, limit = ARGV[a + 1], tonumber(ARGV[a + 2])
  local key = KEYS[i + 2]
  if kind == 'b' then
    local rate = tonumber(ARGV[a + 3])
    local s = redis.call('HMGET', key, 'tokens', 'ts', 'x')
    local tokens = tonumber(s[1]) or limit
    local ts = tonumber(s[2]) or now
    local x = tonumber(s[3])
    renew[i] = clocked or x == nil or now - x >= 60000 or now < x
    tokens = math.min(limit, tokens + math.max(0, now - ts) * rate)
    if not peek and tokens < cost then return {0, i, math.ceil((cost - tokens) / rate)} end
    values[i] = tokens
  else
    local s = redis.call('HMGET', key, 'day', 'base', 'fresh')
    local base, fresh = 0, 0
    if tonumber(s[1]) == day then base = tonumber(s[2]) or 0; fresh = tonumber(s[3]) or 0 end
    renew[i] = clocked or tonumber(s[1]) ~= day
    if ARGV[a + 4] ~= '' and ARGV[a + 4] ~= epoch and tonumber(ARGV[a + 5]) == day then
      base = math.max(base, tonumber(ARGV[a + 6]))
    end
    if not peek and base + fresh + cost > limit then return {0, i, nextMidnight - now} end
    values[i] = fresh
    bases[i] = base
  end
end
local out = {1, epoch, day}
for i = 1, n do
  local a = 3 + (i - 1) * 6
  local kind, limit = ARGV[a + 1], tonumber(ARGV[a + 2])
  local key = KEYS[i + 2]
  if kind == 'b' then
    local left = values[i] - (peek and 0 or cost)
    if not peek then
      if renew[i] then
        redis.call('HSET', key, 'tokens', tostring(left), 'ts', tostring(now), 'x', tostring(now))
        redis.call('PEXPIRE', key, math.ceil(limit / tonumber(ARGV[a + 3])) + 60000)
      else
        redis.call('HSET', key, 'tokens', tostring(left), 'ts', tostring(now))
      end
    end
    out[i + 3] = math.floor(left)
  else
    local fresh = values[i] + (peek and 0 or cost)
    if not peek then
      redis.call('HSET', key, 'day', tostring(day), 'base', tostring(bases[i]), 'fresh', tostring(fresh))
      if renew[i] then redis.call('PEXPIRE', key, nextMidnight + DAY - now) end
    end
    out[i + 3] = bases[i] + fresh
  end
end
return out
`;

/** KEYS[1] = stop hash. ARGV = now ms or '', reason, 'day' | ms. Keeps the longer stop. */
const STOP = `
local now
if ARGV[1] ~= '' then now = tonumber(ARGV[1]) else
  local t = redis.call('TIME'); now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) end
local untilMs
if ARGV[3] == 'day' then
  local VN, DAY = 25200000, 86400000
  untilMs = (math.floor((now + VN) / DAY) + 1) * DAY - VN
else untilMs = now + tonumber(ARGV[3]) end
local current = tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
if current >= untilMs then return current - now end
redis.call('HSET', KEYS[1], 'until', tostring(untilMs), 'reason', ARGV[2])
redis.call('PEXPIRE', KEYS[1], untilMs - now)
return untilMs - now
`;

/** KEYS[1] = stop hash. ARGV[1] = now ms or ''. Returns {remainingMs, reason} or {0, ''}. */
const ACTIVE_STOP = `
local now
if ARGV[1] ~= '' then now = tonumber(ARGV[1]) else
  local t = redis.call('TIME'); now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) end
local untilMs = tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
if untilMs > now then return {untilMs - now, redis.call('HGET', KEYS[1], 'reason') or 'locked'} end
return {0, ''}
`;

/** Options of {@link RedisQuotaStore}. */
export interface RedisQuotaStoreOptions {
  /** Your ioredis or node-redis (v4/v5) client, connected. dancu never closes it. */
  client: RedisClientLike;
  /**
   * Key prefix, so several deployments can share one Redis. Keys are `{prefix}:…`: the braces are a
   * Redis Cluster hash tag, so all keys of a reservation live in one slot. Default `dancu`.
   */
  prefix?: string;
  /** Test clock in epoch ms. Default: Redis `TIME`, so every host agrees whatever its own clock. */
  clock?: () => number;
}

/**
 * Budgets in Redis, shared by every process and host of a deployment: one Lua script per
 * reservation (EVALSHA, reloaded on NOSCRIPT), all budgets in one round trip.
 */
export class RedisQuotaStore implements QuotaStore {
  readonly #reserve: RedisScript;
  readonly #stop: RedisScript;
  readonly #activeStop: RedisScript;
  readonly #prefix: string;
  readonly #clock: (() => number) | undefined;
  /** Per day-budget key: the count this process last saw, with its epoch and Vietnam day number. */
  readonly #floors = new Map<string, { epoch: string; day: string; count: number }>();

  constructor(options: RedisQuotaStoreOptions) {
    const client = toScriptClient(options.client);
    this.#reserve = new RedisScript(client, RESERVE);
    this.#stop = new RedisScript(client, STOP);
    this.#activeStop = new RedisScript(client, ACTIVE_STOP);
    const prefix = options.prefix ?? 'dancu';
    if (!/^[A-Za-z0-9:._-]{1,64}$/.test(prefix)) throw new TypeError('prefix: 1–64 of [A-Za-z0-9:._-]');
    this.#prefix = `{${prefix}}`;
    this.#clock = options.clock;
    registerSharedRedis(this, { scriptClient: client, prefix, clock: options.clock });
  }

  /** The Redis key of a budget (for inspection in tests and operations). */
  keyOf(budgetKey: string): string {
    return `${this.#prefix}:${budgetKey}`;
  }

  async reserve(budgets: readonly BudgetSpec[], cost: number): Promise<ReservationResult> {
    const r = (await this.#run(budgets, cost, 'reserve')) as unknown[];
    if (Number(r[0]) === -1) return { ok: false, stop: { remainingMs: Number(r[1]), reason: String(r[2]) as ActiveStop['reason'] } };
    if (Number(r[0]) === 0) return { ok: false, budget: budgets[Number(r[1]) - 1]!.id, retryAfterMs: Number(r[2]) };
    const epoch = String(r[1]);
    const day = String(r[2]);
    const remaining: Record<string, number> = {};
    budgets.forEach((b, i) => {
      const value = Number(r[i + 3]);
      if (b.kind === 'day') {
        remaining[b.id] = b.limit - value;
        const seen = this.#floors.get(b.key);
        if (!seen || seen.epoch !== epoch || seen.day !== day || seen.count < value) this.#floors.set(b.key, { epoch, day, count: value });
      } else {
        remaining[b.id] = value;
      }
    });
    return { ok: true, remaining };
  }

  async status(budgets: readonly BudgetSpec[]): Promise<BudgetStatus[]> {
    const r = (await this.#run(budgets, 0, 'peek')) as unknown[];
    return budgets.map((b, i) => {
      const value = Number(r[i + 3]);
      const remaining = b.kind === 'day' ? b.limit - value : value;
      return { id: b.id, kind: b.kind, limit: b.limit, used: b.limit - remaining, remaining };
    });
  }

  async stop(request: StopRequest): Promise<void> {
    const span = request.until === 'next-vietnam-day' ? 'day' : String(Math.max(1, Math.ceil(request.until.forMs)));
    await this.#stop.run([this.keyOf('stop')], [this.#now(), request.reason, span]);
  }

  async activeStop(): Promise<ActiveStop | undefined> {
    const r = (await this.#activeStop.run([this.keyOf('stop')], [this.#now()])) as unknown[];
    const remainingMs = Number(r[0]);
    return remainingMs > 0 ? { remainingMs, reason: String(r[1]) as ActiveStop['reason'] } : undefined;
  }

  #now(): string {
    return this.#clock ? String(this.#clock()) : '';
  }

  #run(budgets: readonly BudgetSpec[], cost: number, mode: 'reserve' | 'peek'): Promise<unknown> {
    const keys = [this.keyOf('stop'), this.keyOf('epoch'), ...budgets.map((b) => this.keyOf(b.key))];
    const args = [this.#now(), String(cost), mode];
    for (const b of budgets) {
      const floor = b.kind === 'day' ? this.#floors.get(b.key) : undefined;
      args.push(
        b.kind === 'bucket' ? 'b' : 'd',
        String(b.limit),
        String((b.ratePerMinute ?? b.limit) / 60_000),
        floor?.epoch ?? '',
        floor?.day ?? '',
        String(floor?.count ?? 0),
      );
    }
    return this.#reserve.run(keys, args);
  }
}
