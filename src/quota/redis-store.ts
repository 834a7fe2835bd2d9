import { LRUCache } from 'lru-cache';
import { ConfigError } from '../errors.js';
import { checkPrefix, LUA_NOW, RedisScript, scriptClientOption, type RedisClientLike, type RedisConnection } from '../internal/redis.js';
import type { ActiveStop, BudgetSpec, BudgetStatus, QuotaStore, ReservationResult, StopRequest } from './types.js';

/**
 * One script for reserve, peek and report. All budgets are checked, then all are taken, inside one
 * atomic script run: no other reservation can interleave, on any host. Time comes from Redis
 * `TIME` (hosts with skewed clocks agree), or from ARGV[1] when a test clock is injected.
 *
 * Surviving a Redis restart without persistence (docs/quotas.md, "Redis restarted"):
 * - A "life" hash (`id`, `born`, `rec`) marks the life of the data; it is created when missing.
 * - Each process remembers, per day budget, the highest count it has seen (from a grant, a refusal
 *   or a report) and the life it saw it in: its floor (at most `maxFloors`, the most recently used).
 *   Every call sends the floors of the budgets it names; a heartbeat (every `heartbeatMs` while the
 *   process holds floors of the current day) sends the 16 most recently used, and all of them when
 *   Redis answers from a life they were not seen in, so an idle process reports too.
 * - A floor from an older life is a lower bound of what was spent before the data was lost:
 *   `base = max(floors of older lives)`; the counter is `base + fresh`.
 * - The first floor from an older life that reaches a young life (under `recoveryMs` old) opens a
 *   recovery window of `recoveryMs`: every reservation is refused (`recovering`) while the live
 *   processes report, each within one heartbeat. After it, base is the highest count any live
 *   process saw, which is the exact count before the loss if the process that made the last
 *   reservation is alive. What is left: the spending of processes that died with the data, and
 *   what a process that never reserved before is granted between the restart and the first report.
 *
 * KEYS[1] = stop hash; KEYS[2] = life hash; KEYS[2+i] = state of budget i.
 * ARGV[1] = now ms or ''; ARGV[2] = cost; ARGV[3] = 'reserve' | 'peek' | 'report'; ARGV[4] = recoveryMs;
 * ARGV[4+6(i-1)+1..6] = kind ('b' | 'd'), limit, refill per ms (buckets), floor life, floor day, floor count.
 * Returns {1, life, day, v_1..v_n}                 granted (reserve), or the state (peek, report)
 *       | {0, life, day, i, retryAfterMs, v_1..v_n} refused by budget i
 *       | {-2, life, day, remainingMs, v_1..v_n}    refused: recovering after a data loss
 *       | {-1, stopRemainingMs, reason}             a shared stop is in force
 * where v_i is what budget i holds after the call: buckets, tokens left; days, the count used.
 *
 * Expiry is always relative (PEXPIRE of `deadline - now`), never PEXPIREAT: `now` may be a test
 * clock, and Redis expires keys on its own clock. On Redis `TIME` it is set only when it moves: a
 * day key's deadline (the end of the next Vietnam day) when its day begins; a bucket's (`limit /
 * rate` + 60 s: an untouched bucket is full again by then) when its last renewal, field `x`, is a
 * minute old or in the future (`node bench/reserve-script.mjs <old> <new>` compares two scripts).
 * With a test clock every write sets the expiry.
 */
const RESERVE = `${LUA_NOW}
local cost = tonumber(ARGV[2])
local mode = ARGV[3]
local grace = tonumber(ARGV[4])
local peek, reserve = mode == 'peek', mode == 'reserve'
local VN, DAY = 25200000, 86400000
local day = math.floor((now + VN) / DAY)
local nextMidnight = (day + 1) * DAY - VN
local n = #KEYS - 2
local P = 4
local life = redis.call('HMGET', KEYS[2], 'id', 'born', 'rec')
local epoch, born, rec = life[1], tonumber(life[2]), tonumber(life[3]) or 0
local stale = false
for i = 1, n do
  local a = P + (i - 1) * 6
  if ARGV[a + 1] == 'd' and ARGV[a + 5] ~= '' and ARGV[a + 4] ~= epoch and tonumber(ARGV[a + 5]) == day then stale = true end
end
if not epoch then
  if peek then epoch = '' else
    local t = redis.call('TIME'); epoch = t[1] .. '.' .. t[2]; born = now
    redis.call('HSET', KEYS[2], 'id', epoch, 'born', tostring(now))
  end
end
if stale and not peek and rec <= now and born and now - born < grace then
  rec = now + grace
  redis.call('HSET', KEYS[2], 'rec', tostring(rec))
end
if reserve then
  local stopUntil = tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
  if stopUntil > now then return {-1, stopUntil - now, redis.call('HGET', KEYS[1], 'reason') or 'locked'} end
end
local values, bases, fresh, renew, moved = {}, {}, {}, {}, {}
local refused, retry = 0, 0
for i = 1, n do
  local a = P + (i - 1) * 6
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
    if refused == 0 and tokens < cost then refused = i; retry = math.ceil((cost - tokens) / rate) end
    values[i] = tokens
  else
    local s = redis.call('HMGET', key, 'day', 'base', 'fresh')
    local base, f = 0, 0
    if tonumber(s[1]) == day then base = tonumber(s[2]) or 0; f = tonumber(s[3]) or 0 end
    renew[i] = clocked or tonumber(s[1]) ~= day
    moved[i] = renew[i]
    if ARGV[a + 5] ~= '' and ARGV[a + 4] ~= epoch and tonumber(ARGV[a + 5]) == day and tonumber(ARGV[a + 6]) > base then
      base = tonumber(ARGV[a + 6]); moved[i] = true
    end
    if refused == 0 and base + f + cost > limit then refused = i; retry = nextMidnight - now end
    values[i] = base + f
    bases[i] = base
    fresh[i] = f
  end
end
local granted = reserve and rec <= now and refused == 0
for i = 1, n do
  local a = P + (i - 1) * 6
  local key = KEYS[i + 2]
  if ARGV[a + 1] == 'b' then
    if granted then
      values[i] = values[i] - cost
      if renew[i] then
        redis.call('HSET', key, 'tokens', tostring(values[i]), 'ts', tostring(now), 'x', tostring(now))
        redis.call('PEXPIRE', key, math.ceil(tonumber(ARGV[a + 2]) / tonumber(ARGV[a + 3])) + 60000)
      else
        redis.call('HSET', key, 'tokens', tostring(values[i]), 'ts', tostring(now))
      end
    end
    values[i] = math.floor(values[i])
  elseif granted or (moved[i] and not peek) then
    if granted then fresh[i] = fresh[i] + cost; values[i] = values[i] + cost end
    redis.call('HSET', key, 'day', tostring(day), 'base', tostring(bases[i]), 'fresh', tostring(fresh[i]))
    if renew[i] then redis.call('PEXPIRE', key, nextMidnight + DAY - now) end
  end
end
local out
if not reserve or granted then out = {1, epoch, day}
elseif rec > now then out = {-2, epoch, day, rec - now}
else out = {0, epoch, day, refused, retry} end
for i = 1, n do out[#out + 1] = values[i] end
return out
`;

/** KEYS[1] = stop hash. ARGV = now ms or '', reason, 'day' | ms. Keeps the longer stop. */
const STOP = `${LUA_NOW}
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
const ACTIVE_STOP = `${LUA_NOW}
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
  /**
   * How often this process reports the day counts it has seen, in ms, while it holds counts of the
   * current Vietnam day (so that after a Redis restart an idle process reports too). Default `1000`.
   */
  heartbeatMs?: number;
  /**
   * After Redis lost its data, how long every reservation is refused while the live processes
   * report what they saw, in ms. At least 2 × `heartbeatMs`; the same in every process. Default `3000`.
   */
  recoveryMs?: number;
  /**
   * How many day counts (one per day budget: global, unit, purpose, operator) this process
   * remembers for that recovery, the most recently used kept. Each costs about 200 B of heap.
   * A count it forgot is one it cannot report after a data loss (docs/quotas.md). Default `10000`.
   */
  maxFloors?: number;
}

/** What a process saw of one day budget: the count, in which life of the Redis data, on which Vietnam day. */
interface Floor {
  epoch: string;
  day: string;
  count: number;
  limit: number;
}

/** Day budgets {@link RedisQuotaStore.report} sends in one script run. */
const REPORT_BATCH = 200;
/** The most recently used day budgets a heartbeat sends first; the rest only when Redis answers from a newer life. */
const PROBE = 16;

/**
 * Budgets in Redis, shared by every process and host of a deployment: one Lua script per
 * reservation (EVALSHA, reloaded on NOSCRIPT), all budgets in one round trip. Survives a Redis
 * restart without persistence: see docs/quotas.md.
 */
export class RedisQuotaStore implements QuotaStore {
  /** The Redis this store lives in (the client's guard state is kept beside it). */
  readonly redis: RedisConnection;
  readonly #reserve: RedisScript;
  readonly #stop: RedisScript;
  readonly #activeStop: RedisScript;
  readonly #prefix: string;
  readonly #clock: (() => number) | undefined;
  readonly #heartbeatMs: number;
  readonly #recoveryMs: number;
  /**
   * Per day-budget key: the highest count this process saw. Only the current Vietnam day's, and at
   * most `maxFloors` of them (the least recently used is dropped first). An LRU, not a Map kept in
   * order by delete + set: in V8 that grows quadratic with the map's size.
   */
  readonly #floors: LRUCache<string, Floor>;
  /** The Vietnam day of the floors held (all of them are of one day). */
  #day = '';
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #beating = false;
  #closed = false;

  constructor(options: RedisQuotaStoreOptions) {
    const client = scriptClientOption((options as Partial<RedisQuotaStoreOptions> | undefined)?.client);
    this.#reserve = new RedisScript(client, RESERVE);
    this.#stop = new RedisScript(client, STOP);
    this.#activeStop = new RedisScript(client, ACTIVE_STOP);
    const prefix = checkPrefix(options.prefix);
    this.#prefix = `{${prefix}}`;
    this.#clock = options.clock;
    this.#heartbeatMs = options.heartbeatMs ?? 1_000;
    this.#recoveryMs = options.recoveryMs ?? 3_000;
    const maxFloors = options.maxFloors ?? 10_000;
    if (!(Number.isInteger(maxFloors) && maxFloors >= 1)) {
      throw new ConfigError([{ path: 'maxFloors', received: String(options.maxFloors), message: 'maxFloors must be a whole number ≥ 1', fix: 'keep the default (10000), or raise it to the number of operators active in a day' }]);
    }
    if (!(Number.isInteger(this.#heartbeatMs) && this.#heartbeatMs >= 10) || !(Number.isInteger(this.#recoveryMs) && this.#recoveryMs >= 2 * this.#heartbeatMs)) {
      throw new ConfigError([{ path: 'recoveryMs', received: typeof options.recoveryMs, message: 'heartbeatMs must be a whole number ≥ 10 and recoveryMs ≥ 2 × heartbeatMs', fix: 'keep the defaults (1000 and 3000) unless you know why' }]);
    }
    this.#floors = new LRUCache({ max: maxFloors });
    this.redis = { client, prefix, clock: options.clock };
  }

  /** The Redis key of a budget (for inspection in tests and operations). */
  keyOf(budgetKey: string): string {
    return `${this.#prefix}:${budgetKey}`;
  }

  async reserve(budgets: readonly BudgetSpec[], cost: number): Promise<ReservationResult> {
    const r = (await this.#run(budgets, cost, 'reserve')) as unknown[];
    const status = Number(r[0]);
    if (status === -1) return { ok: false, stop: { remainingMs: Number(r[1]), reason: String(r[2]) as ActiveStop['reason'] } };
    const first = status === 1 ? 3 : status === 0 ? 5 : 4;
    const remaining = this.#saw(budgets, String(r[1]), String(r[2]), r, first);
    if (status === 1) return { ok: true, remaining };
    if (status === -2) return { ok: false, recovering: { remainingMs: Number(r[3]) } };
    return { ok: false, budget: budgets[Number(r[3]) - 1]!.id, retryAfterMs: Number(r[4]) };
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

  /**
   * Send what this process saw of every day budget now, without taking anything (the heartbeat
   * does this every `heartbeatMs`). Resolves when Redis has it.
   */
  async report(): Promise<void> {
    const floors = [...this.#floors.entries()];
    for (let i = 0; i < floors.length; i += REPORT_BATCH) await this.#report(floors.slice(i, i + REPORT_BATCH));
  }

  /** The number of day counts this process remembers (at most `maxFloors`). */
  get floorCount(): number {
    return this.#floors.size;
  }

  /** Report some floors; resolves to the life of the data that answered. */
  async #report(floors: readonly (readonly [string, Floor])[]): Promise<string> {
    const budgets: BudgetSpec[] = floors.map(([key, f]) => ({ id: key, key, kind: 'day', limit: f.limit }));
    const r = (await this.#run(budgets, 0, 'report')) as unknown[];
    this.#saw(budgets, String(r[1]), String(r[2]), r, 3);
    return String(r[1]);
  }

  /**
   * The heartbeat: the most recently used floors first (one short script run). Only when Redis
   * answers from a life some floor was not seen in (its data was lost) are all of them sent.
   */
  async #beat(): Promise<void> {
    const newest: [string, Floor][] = [];
    for (const entry of this.#floors.entries()) {
      if (newest.push(entry) === PROBE) break;
    }
    const life = await this.#report(newest);
    for (const f of this.#floors.values()) {
      if (f.epoch !== life) return this.report();
    }
  }

  /** Load the three scripts (SCRIPT LOAD): rejects if Redis does not answer. */
  async ready(): Promise<void> {
    await Promise.all([this.#reserve.load(), this.#stop.load(), this.#activeStop.load()]);
  }

  /** Stop the heartbeat. The store stays usable (a later reservation starts it again). */
  close(): void {
    this.#closed = true;
    this.#stopHeartbeat();
  }

  /** Record the day counts of a reply as floors; returns what is left of every budget. */
  #saw(budgets: readonly BudgetSpec[], epoch: string, day: string, r: unknown[], first: number): Record<string, number> {
    const remaining: Record<string, number> = {};
    if (day !== this.#day) {
      this.#floors.clear(); // another day's counts are no floor of this one: dropped once, when the day changes
      this.#day = day;
    }
    budgets.forEach((b, i) => {
      const value = Number(r[first + i]);
      if (b.kind !== 'day') {
        remaining[b.id] = value;
        return;
      }
      remaining[b.id] = b.limit - value;
      const seen = this.#floors.get(b.key); // marks it used
      if (!seen || seen.epoch !== epoch || seen.count < value) this.#floors.set(b.key, { epoch, day, count: value, limit: b.limit });
    });
    if (this.#floors.size > 0) this.#startHeartbeat();
    else this.#stopHeartbeat();
    return remaining;
  }

  #startHeartbeat(): void {
    if (this.#heartbeat !== undefined) return;
    this.#closed = false;
    this.#heartbeat = setInterval(() => {
      if (this.#beating || this.#closed) return; // one report in flight at most: nothing piles up while Redis is away
      this.#beating = true;
      this.#beat().catch(() => undefined).finally(() => void (this.#beating = false));
    }, this.#heartbeatMs);
    this.#heartbeat.unref();
  }

  #stopHeartbeat(): void {
    if (this.#heartbeat !== undefined) clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }

  #now(): string {
    return this.#clock ? String(this.#clock()) : '';
  }

  #run(budgets: readonly BudgetSpec[], cost: number, mode: 'reserve' | 'peek' | 'report'): Promise<unknown> {
    const keys = [this.keyOf('stop'), this.keyOf('life'), ...budgets.map((b) => this.keyOf(b.key))];
    const args = [this.#now(), String(cost), mode, String(this.#recoveryMs)];
    for (const b of budgets) {
      const floor = b.kind === 'day' ? this.#floors.peek(b.key) : undefined;
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

