// Reservation latency of the quota stores, next to a Redis PING measured in the same run over the
// same connection (the floor of any Redis round trip). Goal: Redis reservation p50 ≤ 2× PING.
import { randomUUID } from 'node:crypto';
import { Socket } from 'node:net';
import { Redis } from 'ioredis';
import { MemoryQuotaStore, RedisQuotaStore } from '../dist/index.js';
import { evalshaStats, latencies, median, pct } from './stats.mjs';

const REDIS_URL = process.env.DANCU_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

// A realistic reservation: global minute bucket + global day + operator minute + operator day + purpose day.
const budgets = [
  { id: 'global.minute', key: 'b:global', kind: 'bucket', limit: 1e9, ratePerMinute: 1e9 },
  { id: 'global.day', key: 'd:global', kind: 'day', limit: 1e9 },
  { id: 'purpose.day', key: 'd:purpose:HT', kind: 'day', limit: 1e9 },
  { id: 'operator.minute', key: 'b:op:bench', kind: 'bucket', limit: 1e9, ratePerMinute: 1e9 },
  { id: 'operator.day', key: 'd:op:bench', kind: 'day', limit: 1e9 },
];

// The baseline a reservation is held to: the least an atomic script over the same five budgets can
// do — read the clock, refill and take from two token buckets, check and count three day counters,
// all or nothing — with none of dancu's extras (stop key, epoch, refund ids, floors).
const BARE = `
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local n = tonumber(ARGV[1])
local tokens = {}
for i = 1, 2 do
  local b = redis.call('HMGET', KEYS[i], 't', 'at')
  local rate = tonumber(ARGV[1 + i * 2])
  local cap = tonumber(ARGV[i * 2])
  local t = tonumber(b[1]) or cap
  local at = tonumber(b[2]) or ms
  t = math.min(cap, t + (ms - at) * rate / 60000)
  if t < n then return 0 end
  tokens[i] = t
end
for i = 3, 5 do
  local c = tonumber(redis.call('GET', KEYS[i]) or '0')
  if c + n > tonumber(ARGV[3 + i]) then return 0 end
end
for i = 1, 2 do redis.call('HSET', KEYS[i], 't', tokens[i] - n, 'at', ms) redis.call('PEXPIRE', KEYS[i], 120000) end
for i = 3, 5 do if redis.call('INCRBY', KEYS[i], n) == n then redis.call('PEXPIRE', KEYS[i], 90000000) end end
return 1`;

function reachable(url) {
  const u = new URL(url);
  return new Promise((resolve) => {
    const s = new Socket();
    s.setTimeout(1000, () => { s.destroy(); resolve(false); });
    s.once('error', () => resolve(false));
    s.connect(Number(u.port || 6379), u.hostname, () => { s.destroy(); resolve(true); });
  });
}

export async function benchQuota({ rounds = 7, n = 2000 } = {}) {
  const memory = new MemoryQuotaStore();
  const out = { memoryP50ms: [], memoryP99ms: [], pingP50ms: [], pingP99ms: [], redisP50ms: [], redisP99ms: [], ratio: [], scriptUs: [], bareP50ms: [], addedRatio: [] };
  await latencies(() => memory.reserve(budgets, 1), n); // warm-up
  const redisUp = await reachable(REDIS_URL);
  const redis = redisUp ? new Redis(REDIS_URL) : undefined;
  // A prefix of this run's own: cleanup deletes exactly its keys, never another run's on a shared Redis.
  const prefix = `bench-${randomUUID()}`;
  const store = redis ? new RedisQuotaStore({ client: redis, prefix }) : undefined;
  let bare;
  if (redis) {
    const sha = await redis.script('LOAD', BARE);
    const keys = [`{${prefix}}:bare:bg`, `{${prefix}}:bare:bo`, `{${prefix}}:bare:dg`, `{${prefix}}:bare:dp`, `{${prefix}}:bare:do`];
    bare = () => redis.evalsha(sha, 5, ...keys, 1, 1e9, 1e9, 1e9, 1e9, 1e9, 1e9, 1e9);
    await latencies(() => redis.ping(), 500);
    await latencies(bare, 500);
    await latencies(() => store.reserve(budgets, 1), 500);
  }
  for (let r = 0; r < rounds; r++) {
    const m = await latencies(() => memory.reserve(budgets, 1), n);
    out.memoryP50ms.push(median(m));
    out.memoryP99ms.push(pct(m, 99));
    if (redis) {
      const ping = await latencies(() => redis.ping(), n);
      const b = await latencies(bare, n);
      const before = await evalshaStats(redis);
      const res = await latencies(() => store.reserve(budgets, 1), n);
      const after = await evalshaStats(redis);
      out.bareP50ms.push(median(b));
      // What a reservation adds over a round trip, against what the bare script adds over it.
      out.addedRatio.push((median(res) - median(ping)) / (median(b) - median(ping)));
      // The script's own time in Redis per reservation (a shared Redis's other EVALSHA calls would count too).
      if (after.calls > before.calls) out.scriptUs.push((after.usec - before.usec) / (after.calls - before.calls));
      out.pingP50ms.push(median(ping));
      out.pingP99ms.push(pct(ping, 99));
      out.redisP50ms.push(median(res));
      out.redisP99ms.push(pct(res, 99));
      out.ratio.push(median(res) / median(ping));
    }
  }
  if (redis) {
    await store.close?.();
    for (let cursor = '0'; ;) {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `{${prefix}}*`, 'COUNT', 1000);
      if (keys.length) await redis.del(...keys);
      cursor = next;
      if (cursor === '0') break;
    }
    redis.disconnect();
  }
  const result = {
    rounds, reservationsPerRound: n, budgetsPerReservation: budgets.length,
    memory: { p50ms: median(out.memoryP50ms), p99ms: median(out.memoryP99ms) },
    redis: redis
      ? { pingP50ms: median(out.pingP50ms), pingP99ms: median(out.pingP99ms), bareScriptP50ms: median(out.bareP50ms), addedToBare: median(out.addedRatio), p50ms: median(out.redisP50ms), p99ms: median(out.redisP99ms), p50RatioToPing: median(out.ratio), scriptUs: median(out.scriptUs) }
      : `skipped: Redis not reachable at ${REDIS_URL}`,
  };
  const f = (x) => x.toFixed(4);
  console.log(`\nquota reservation (${budgets.length} budgets each), ${rounds} rounds × ${n}, medians over rounds:`);
  console.log(`  MemoryQuotaStore          p50 ${f(result.memory.p50ms)} ms   p99 ${f(result.memory.p99ms)} ms`);
  if (typeof result.redis === 'string') console.log(`  RedisQuotaStore           ${result.redis}`);
  else {
    console.log(`  Redis PING (baseline)     p50 ${f(result.redis.pingP50ms)} ms   p99 ${f(result.redis.pingP99ms)} ms`);
    console.log(`  RedisQuotaStore           p50 ${f(result.redis.p50ms)} ms   p99 ${f(result.redis.p99ms)} ms`);
    console.log(`  bare atomic script, 5 budgets  p50 ${f(result.redis.bareScriptP50ms)} ms`);
    console.log(`  ratio reservation/PING (p50, per round): ${result.redis.p50RatioToPing.toFixed(2)}×`);
    console.log(`  what a reservation adds over PING / what the bare script adds: ${result.redis.addedToBare.toFixed(2)}×   (goal ≤ 1.3×)`);
    console.log(`  the script's own time inside Redis (INFO commandstats): ${result.redis.scriptUs.toFixed(1)} µs per reservation`);
  }
  return result;
}
