// The reservation script's own time inside Redis, two versions side by side: the RESERVE script of
// each `redis-store.ts` given, run in turns (12 rounds × 500 reservations of five budgets, the order
// alternating) and timed by Redis itself (`INFO commandstats`). For a change to the script:
//   git show <commit>:src/quota/redis-store.ts > /tmp/old-store.ts
//   node bench/reserve-script.mjs /tmp/old-store.ts src/quota/redis-store.ts
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { evalshaStats, median } from './stats.mjs';

const files = process.argv.slice(2);
if (files.length === 0) throw new Error('usage: node bench/reserve-script.mjs <redis-store.ts> [<redis-store.ts> ...]');
const redis = new Redis(process.env.DANCU_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
const script = (file) => /const RESERVE = `([\s\S]*?)`;/.exec(readFileSync(file, 'utf8'))?.[1] ?? (() => { throw new Error(`no RESERVE script in ${file}`); })();
const shas = await Promise.all(files.map((f) => redis.script('LOAD', script(f))));

// As RedisQuotaStore sends them: global minute bucket, global, purpose and operator days, operator bucket.
const budgets = [['b', 1e9], ['d', 1e9], ['d', 1e9], ['b', 1e9], ['d', 1e9]];
const prefix = `{bench-script-${randomUUID()}}`;
const keys = [`${prefix}:stop`, `${prefix}:epoch`, ...budgets.map((_, i) => `${prefix}:k${i}`)];
const args = () => ['', '1', 'reserve', ...budgets.flatMap(([kind, limit]) => [kind, String(limit), String(limit / 60_000), '', '', '0'])];

const us = files.map(() => []);
for (let round = 0; round < 12; round++) {
  const order = files.map((_, i) => i);
  if (round % 2) order.reverse();
  for (const i of order) {
    const before = await evalshaStats(redis);
    for (let n = 0; n < 500; n++) await redis.evalsha(shas[i], keys.length, ...keys, ...args());
    const after = await evalshaStats(redis);
    us[i].push((after.usec - before.usec) / (after.calls - before.calls));
  }
}
await redis.del(...keys);
redis.disconnect();
files.forEach((f, i) => console.log(`${f}: ${median(us[i]).toFixed(1)} µs inside Redis per reservation (median of 12 rounds)`));
if (files.length === 2) console.log(`ratio: ${(median(us[1]) / median(us[0])).toFixed(2)}`);
