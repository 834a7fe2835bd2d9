/**
 * One contract, every QuotaStore: the memory store and the Redis store (through ioredis and
 * through node-redis, on a server and on a Cluster) must behave the same. Time is injected so day boundaries are exact.
 */
import { randomUUID } from 'node:crypto';
import { Redis as IORedis } from 'ioredis';
import { createClient as createNodeRedis } from 'redis';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { MemoryQuotaStore, RedisQuotaStore, type BudgetSpec, type QuotaStore } from '../../src/index.js';
import { nextVietnamMidnight } from '../../src/internal/time.js';
import { contractClusterClients, REDIS_URL, redisAvailable } from '../services.js';

const hasRedis = await redisAvailable();
const ioredis = hasRedis ? new IORedis(REDIS_URL, { lazyConnect: false }) : undefined;
const nodeRedis = hasRedis ? await createNodeRedis({ url: REDIS_URL }).connect() : undefined;
afterAll(async () => {
  ioredis?.disconnect();
  await nodeRedis?.quit();
});
const { ioredisCluster, nodeRedisCluster } = await contractClusterClients();

// 2026-11-23 23:59:59 in Vietnam = 16:59:59 UTC.
const BEFORE_VN_MIDNIGHT = Date.UTC(2026, 10, 23, 16, 59, 59);

type Factory = (clock: () => number) => QuotaStore;
const factories: Array<[string, Factory | undefined]> = [
  ['MemoryQuotaStore', (clock) => new MemoryQuotaStore({ clock })],
  ['RedisQuotaStore (ioredis)', ioredis && ((clock) => new RedisQuotaStore({ client: ioredis, prefix: `t-${randomUUID()}`, clock }))],
  ['RedisQuotaStore (node-redis)', nodeRedis && ((clock) => new RedisQuotaStore({ client: nodeRedis, prefix: `t-${randomUUID()}`, clock }))],
  ['RedisQuotaStore (ioredis Cluster)', ioredisCluster && ((clock) => new RedisQuotaStore({ client: ioredisCluster, prefix: `t-${randomUUID()}`, clock }))],
  ['RedisQuotaStore (node-redis cluster)', nodeRedisCluster && ((clock) => new RedisQuotaStore({ client: nodeRedisCluster, prefix: `t-${randomUUID()}`, clock }))],
];

const day = (limit: number, id = 'global.day'): BudgetSpec => ({ id, key: `d:${id}`, kind: 'day', limit });
const bucket = (limit: number, ratePerMinute: number, id = 'global.minute'): BudgetSpec => ({ id, key: `b:${id}`, kind: 'bucket', limit, ratePerMinute });

for (const [name, make] of factories) {
  describe.skipIf(!make)(`QuotaStore contract: ${name}`, () => {
    let now = BEFORE_VN_MIDNIGHT - 3_600_000;
    let store: QuotaStore;
    beforeEach(() => {
      now = BEFORE_VN_MIDNIGHT - 3_600_000;
      store = make!(() => now);
    });

    it('takes from all budgets or from none, and names the budget that refused', async () => {
      const wide = day(10, 'global.day');
      const narrow = day(2, 'operator.day');
      expect(await store.reserve([wide, narrow], 1)).toEqual({ ok: true, remaining: { 'global.day': 9, 'operator.day': 1 } });
      expect(await store.reserve([wide, narrow], 1)).toMatchObject({ ok: true });
      const denied = await store.reserve([wide, narrow], 1);
      expect(denied).toMatchObject({ ok: false, budget: 'operator.day' });
      // The refused reservation took nothing from the wide budget.
      expect(await store.status([wide, narrow])).toEqual([
        { id: 'global.day', kind: 'day', limit: 10, used: 2, remaining: 8 },
        { id: 'operator.day', kind: 'day', limit: 2, used: 2, remaining: 0 },
      ]);
    });

    it('a token bucket refills at its rate and says when it has room', async () => {
      const b = bucket(3, 60); // 1 per second
      for (let i = 0; i < 3; i++) expect(await store.reserve([b], 1)).toMatchObject({ ok: true });
      const denied = await store.reserve([b], 1);
      expect(denied).toMatchObject({ ok: false, budget: 'global.minute' });
      expect((denied as { retryAfterMs: number }).retryAfterMs).toBe(1000);
      now += 999;
      expect(await store.reserve([b], 1)).toMatchObject({ ok: false });
      now += 1;
      expect(await store.reserve([b], 1)).toMatchObject({ ok: true });
      now += 60_000;
      expect((await store.status([b]))[0]).toMatchObject({ remaining: 3 }); // capped at the burst
    });

    it('day budgets reset at Vietnam midnight exactly once; UTC midnight resets nothing', async () => {
      const d = day(2);
      now = BEFORE_VN_MIDNIGHT;
      await store.reserve([d], 1);
      await store.reserve([d], 1);
      const denied = await store.reserve([d], 1);
      expect(denied).toMatchObject({ ok: false, budget: 'global.day', retryAfterMs: 1000 });
      now += 1000; // 00:00:00 in Vietnam
      expect(await store.reserve([d], 1)).toEqual({ ok: true, remaining: { 'global.day': 1 } });
      expect(await store.reserve([d], 1)).toMatchObject({ ok: true });
      expect(await store.reserve([d], 1)).toMatchObject({ ok: false });
      now = Date.UTC(2026, 10, 24, 23, 59, 59); // UTC midnight ahead, Vietnam 06:59:59 of the 25th…
      expect(await store.reserve([d], 1)).toMatchObject({ ok: true }); // …a new Vietnam day: one reset
      expect(await store.reserve([d], 1)).toMatchObject({ ok: true });
      now += 2000; // across UTC midnight: still the 25th in Vietnam
      expect(await store.reserve([d], 1)).toMatchObject({ ok: false, budget: 'global.day' });
    });

    it('a shared stop refuses every reservation until it passes; the longer stop wins', async () => {
      const d = day(100);
      await store.stop({ reason: 'rate-limited', until: { forMs: 5000 } });
      expect(await store.reserve([d], 1)).toEqual({ ok: false, stop: { reason: 'rate-limited', remainingMs: 5000 } });
      await store.stop({ reason: 'rate-limited', until: { forMs: 1000 } }); // shorter: ignored
      expect(await store.activeStop()).toEqual({ reason: 'rate-limited', remainingMs: 5000 });
      now += 5000;
      expect(await store.activeStop()).toBeUndefined();
      expect(await store.reserve([d], 1)).toMatchObject({ ok: true });
      await store.stop({ reason: 'locked', until: 'next-vietnam-day' });
      expect(await store.reserve([d], 1)).toEqual({ ok: false, stop: { reason: 'locked', remainingMs: BEFORE_VN_MIDNIGHT + 1000 - now } });
      now = BEFORE_VN_MIDNIGHT + 1000;
      expect(await store.reserve([d], 1)).toMatchObject({ ok: true });
    });

    it('status takes nothing', async () => {
      const budgets = [day(5), bucket(5, 5)];
      await store.status(budgets);
      await store.status(budgets);
      expect(await store.reserve(budgets, 1)).toEqual({ ok: true, remaining: { 'global.day': 4, 'global.minute': 4 } });
    });

    it('never overshoots under concurrency: 300 concurrent reservations against 50', async () => {
      const d = day(50);
      const results = await Promise.all(Array.from({ length: 300 }, () => store.reserve([d, bucket(1000, 1000)], 1)));
      expect(results.filter((r) => r.ok)).toHaveLength(50);
    });
  });
}

describe.skipIf(!hasRedis)('RedisQuotaStore specifics', () => {
  it('survives a script cache flush (NOSCRIPT → reload) and uses Redis TIME by default', async () => {
    const prefix = `t-${randomUUID()}`;
    const store = new RedisQuotaStore({ client: ioredis!, prefix });
    expect(await store.reserve([day(3)], 1)).toMatchObject({ ok: true });
    await ioredis!.script('FLUSH');
    expect(await store.reserve([day(3)], 1)).toMatchObject({ ok: true, remaining: { 'global.day': 1 } });
    // Every key of the deployment carries the {prefix} hash tag (one Cluster slot) and a TTL.
    const keys = (await ioredis!.keys(`{${prefix}}:*`)).sort();
    expect(keys).toEqual([`{${prefix}}:d:global.day`, `{${prefix}}:life`]);
    expect(await ioredis!.pttl(keys[0]!)).toBeGreaterThan(0);
  });

  it('data lost in Redis (restart without persistence): a recovery window, then the highest count any process saw', async () => {
    const prefix = `t-${randomUUID()}`;
    const fast = { heartbeatMs: 50, recoveryMs: 400 };
    const a = new RedisQuotaStore({ client: ioredis!, prefix, ...fast });
    const b = new RedisQuotaStore({ client: nodeRedis!, prefix, ...fast }); // another process
    try {
      const budget = day(10);
      for (let i = 0; i < 3; i++) await b.reserve([budget], 1);
      for (let i = 0; i < 4; i++) await a.reserve([budget], 1); // a saw the last count: 7
      a.close(); // a is idle and silent: only b reports at first
      await ioredis!.del(...(await ioredis!.keys(`{${prefix}}:*`))); // what a restart without persistence does
      // b comes back first with its older floor (3): the store refuses while the processes report.
      expect(await b.reserve([budget], 1)).toMatchObject({ ok: false, recovering: { remainingMs: expect.any(Number) } });
      await a.report(); // a's heartbeat (closed here, so by hand): the exact count, 7
      await new Promise((r) => setTimeout(r, 450));
      expect(await b.reserve([budget], 1)).toEqual({ ok: true, remaining: { 'global.day': 2 } }); // 7 + 1
      expect(await a.reserve([budget], 1)).toEqual({ ok: true, remaining: { 'global.day': 1 } });
      expect(await b.reserve([budget], 1)).toEqual({ ok: true, remaining: { 'global.day': 0 } });
      expect(await a.reserve([budget], 1)).toMatchObject({ ok: false, budget: 'global.day' }); // 10 spent in all: no overshoot
    } finally {
      a.close();
      b.close();
    }
  });

  it('a refused process learns the count too: B spends 1, A the rest of 50, Redis loses its data, B gets nothing more', async () => {
    // The reproduction of the independent check: before, B's floor stayed at 1 and it was granted 49 more.
    const prefix = `t-${randomUUID()}`;
    const fast = { heartbeatMs: 50, recoveryMs: 300 };
    const a = new RedisQuotaStore({ client: ioredis!, prefix, ...fast });
    const b = new RedisQuotaStore({ client: nodeRedis!, prefix, ...fast });
    try {
      const budget = day(50);
      expect(await b.reserve([budget], 1)).toMatchObject({ ok: true });
      for (let i = 0; i < 49; i++) expect(await a.reserve([budget], 1)).toMatchObject({ ok: true });
      expect(await b.reserve([budget], 1)).toMatchObject({ ok: false, budget: 'global.day' }); // B now knows 50
      a.close(); // A stays silent: B alone must be enough
      await ioredis!.del(...(await ioredis!.keys(`{${prefix}}:*`)));
      let granted = 0;
      const until = Date.now() + 800;
      while (Date.now() < until) {
        if ((await b.reserve([budget], 1)).ok) granted++;
        await new Promise((r) => setTimeout(r, 5));
      }
      expect(granted).toBe(0);
    } finally {
      a.close();
      b.close();
    }
  });

  it('an idle process reports by its heartbeat: after the window the count is its count', async () => {
    const prefix = `t-${randomUUID()}`;
    const fast = { heartbeatMs: 50, recoveryMs: 300 };
    const a = new RedisQuotaStore({ client: ioredis!, prefix, ...fast });
    const b = new RedisQuotaStore({ client: nodeRedis!, prefix, ...fast });
    try {
      const budget = day(20);
      await b.reserve([budget], 1);
      for (let i = 0; i < 15; i++) await a.reserve([budget], 1); // a: 16, then idle (its heartbeat runs)
      await ioredis!.del(...(await ioredis!.keys(`{${prefix}}:*`)));
      await new Promise((r) => setTimeout(r, 60)); // a heartbeat opens the window with 16
      expect(await b.reserve([budget], 1)).toMatchObject({ ok: false, recovering: {} });
      await new Promise((r) => setTimeout(r, 350));
      expect(await b.reserve([budget], 1)).toEqual({ ok: true, remaining: { 'global.day': 3 } });
    } finally {
      a.close();
      b.close();
    }
  });

  it('maxFloors: a process remembers the most recently used day counts; its heartbeat sends them all once Redis lost its data', async () => {
    const prefix = `t-${randomUUID()}`;
    const fast = { heartbeatMs: 50, recoveryMs: 300 };
    const a = new RedisQuotaStore({ client: ioredis!, prefix, ...fast, maxFloors: 40 });
    const b = new RedisQuotaStore({ client: nodeRedis!, prefix, ...fast });
    const op = (i: number) => day(5, `operator-${i}.day`);
    try {
      for (let i = 0; i < 100; i++) expect(await a.reserve([day(1_000), op(i)], 1)).toMatchObject({ ok: true });
      expect(a.floorCount).toBe(40); // global.day and the 39 operators seen last
      await ioredis!.del(...(await ioredis!.keys(`{${prefix}}:*`)));
      // a is idle: its heartbeat sends its 16 newest counts, sees a new life, then sends the other 24.
      await new Promise((r) => setTimeout(r, 80));
      expect(await b.reserve([day(1_000)], 1)).toMatchObject({ ok: false, recovering: {} });
      await new Promise((r) => setTimeout(r, 350));
      const used = async (i: number) => (await b.status([op(i)]))[0]!.used;
      expect((await b.status([day(1_000)]))[0]!.used).toBe(100); // the deployment's count came back whole
      expect(await used(99)).toBe(1); // in the probe
      expect(await used(61)).toBe(1); // the oldest remembered: only in the full report
      expect(await used(60)).toBe(0); // forgotten by a: the documented loss
    } finally {
      a.close();
      b.close();
    }
  });

  it('a test clock far from Redis time keeps keys as long as that clock says (expiry is relative)', async () => {
    // Redis expires keys on its own clock; a deadline computed on an injected clock must become a
    // TTL, or a clock in the past deletes every key at once and a clock in the future keeps them for years.
    for (const offset of [-10 * 365 * 86_400_000, 10 * 365 * 86_400_000]) {
      const now = BEFORE_VN_MIDNIGHT + offset - 3_600_000; // 22:59:59 in Vietnam, ten years away
      const prefix = `t-${randomUUID()}`;
      const store = new RedisQuotaStore({ client: ioredis!, prefix, clock: () => now });
      expect(await store.reserve([day(5)], 1)).toMatchObject({ ok: true });
      expect(await store.reserve([day(5)], 1)).toMatchObject({ ok: true, remaining: { 'global.day': 3 } });
      await store.stop({ reason: 'rate-limited', until: { forMs: 30_000 } });
      expect(await store.activeStop()).toEqual({ reason: 'rate-limited', remainingMs: 30_000 });
      // Day state lives until the end of the next Vietnam day: 1 h 1 s + 24 h from this clock's now.
      const dayTtl = await ioredis!.pttl(store.keyOf('d:global.day'));
      expect(dayTtl).toBeGreaterThan(25 * 3_600_000 + 1_000 - 5_000);
      expect(dayTtl).toBeLessThanOrEqual(25 * 3_600_000 + 1_000);
      const stopTtl = await ioredis!.pttl(store.keyOf('stop'));
      expect(stopTtl).toBeGreaterThan(25_000);
      expect(stopTtl).toBeLessThanOrEqual(30_000);
    }
  });

  it('on Redis TIME an expiry is set only when it moves: a day key when its day begins, a bucket once a minute', async () => {
    const store = new RedisQuotaStore({ client: ioredis!, prefix: `t-${randomUUID()}` });
    const budgets = [day(100), bucket(600, 60)]; // the bucket: full again 10 min after its last use
    const life = 600_000 + 60_000;
    const dayKey = store.keyOf('d:global.day'), bucketKey = store.keyOf('b:global.minute');
    const redisNow = async () => {
      const [s, us] = await ioredis!.time();
      return Number(s) * 1000 + Math.floor(Number(us) / 1000);
    };
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

    expect(await store.reserve(budgets, 1)).toMatchObject({ ok: true });
    const now = await redisNow();
    const dayTtl = await ioredis!.pttl(dayKey), bucketTtl = await ioredis!.pttl(bucketKey);
    expect(Math.abs(now + dayTtl - (nextVietnamMidnight(now) + 86_400_000))).toBeLessThan(2_000); // the end of the next Vietnam day
    expect(bucketTtl).toBeGreaterThan(life - 2_000);
    expect(bucketTtl).toBeLessThanOrEqual(life);

    // Within its day a day key's expiry is not set again (an hour set by hand stays an hour), and a
    // bucket renewed less than a minute ago only counts down, with more than 10 min still to live.
    await ioredis!.pexpire(dayKey, 3_600_000);
    await sleep(60);
    expect(await store.reserve(budgets, 1)).toMatchObject({ ok: true });
    expect(await ioredis!.pttl(dayKey)).toBeLessThanOrEqual(3_600_000);
    expect(await ioredis!.pttl(bucketKey)).toBeLessThanOrEqual(bucketTtl - 40);
    expect(await ioredis!.pttl(bucketKey)).toBeGreaterThan(600_000);

    // A renewal a minute old, or one in the future (Redis time went back), is renewed.
    for (const x of [(await redisNow()) - 61_000, (await redisNow()) + 3_600_000]) {
      await ioredis!.hset(bucketKey, 'x', String(x));
      await ioredis!.pexpire(bucketKey, 601_000);
      expect(await store.reserve(budgets, 1)).toMatchObject({ ok: true });
      expect(await ioredis!.pttl(bucketKey)).toBeGreaterThan(life - 2_000);
    }
    // A bucket written without the field (by an older version) is renewed at its next write.
    await ioredis!.hdel(bucketKey, 'x');
    await ioredis!.pexpire(bucketKey, 601_000);
    expect(await store.reserve(budgets, 1)).toMatchObject({ ok: true, remaining: { 'global.day': 95 } });
    expect(await ioredis!.pttl(bucketKey)).toBeGreaterThan(life - 2_000);
  });

  it('prefixes keep deployments apart', async () => {
    const a = new RedisQuotaStore({ client: ioredis!, prefix: `a-${randomUUID()}` });
    const b = new RedisQuotaStore({ client: nodeRedis!, prefix: `b-${randomUUID()}` });
    expect(await a.reserve([day(1)], 1)).toMatchObject({ ok: true });
    expect(await a.reserve([day(1)], 1)).toMatchObject({ ok: false });
    expect(await b.reserve([day(1)], 1)).toMatchObject({ ok: true });
  });

  it('refuses a client it cannot adapt and a bad prefix', () => {
    for (const bad of [{ client: {} }, { client: ioredis!, prefix: 'has space' }, { client: ioredis!, heartbeatMs: 1000, recoveryMs: 1500 }, { client: ioredis!, maxFloors: 0 }, undefined]) {
      expect(() => new RedisQuotaStore(bad as never)).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
    }
  });
});
