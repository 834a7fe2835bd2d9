/** One contract, every GuardStore: memory and Redis (ioredis, node-redis; a server and a Cluster) behave the same. */
import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { MemoryGuardStore, RedisGuardStore, type GuardStore } from '../../src/index.js';
import { contractClusterClients, contractRedisClients } from '../services.js';

const { ioredis, nodeRedis } = await contractRedisClients();
const { ioredisCluster, nodeRedisCluster } = await contractClusterClients();

type Factory = (clock: () => number) => GuardStore;
const factories: Array<[string, Factory | undefined]> = [
  ['MemoryGuardStore', (clock) => new MemoryGuardStore({ clock })],
  ['RedisGuardStore (ioredis)', ioredis && ((clock) => new RedisGuardStore({ client: ioredis, prefix: `t-${randomUUID()}`, clock }))],
  ['RedisGuardStore (node-redis)', nodeRedis && ((clock) => new RedisGuardStore({ client: nodeRedis, prefix: `t-${randomUUID()}`, clock }))],
  ['RedisGuardStore (ioredis Cluster)', ioredisCluster && ((clock) => new RedisGuardStore({ client: ioredisCluster, prefix: `t-${randomUUID()}`, clock }))],
  ['RedisGuardStore (node-redis cluster)', nodeRedisCluster && ((clock) => new RedisGuardStore({ client: nodeRedisCluster, prefix: `t-${randomUUID()}`, clock }))],
];

for (const [name, make] of factories) {
  describe.skipIf(!make)(`GuardStore contract: ${name}`, () => {
    let now = 1_800_000_000_000;
    let store: GuardStore;
    beforeEach(() => {
      now = 1_800_000_000_000;
      store = make!(() => now);
    });

    it('admits up to max distinct members, repeats always, and flags only the first denial', async () => {
      expect(await store.admitDistinct('s1', 'a', 2, 60_000)).toMatchObject({ allowed: true, distinct: 1, firstDenial: false });
      expect(await store.admitDistinct('s1', 'b', 2, 60_000)).toMatchObject({ allowed: true, distinct: 2 });
      expect(await store.admitDistinct('s1', 'a', 2, 60_000)).toMatchObject({ allowed: true, distinct: 2 });
      expect(await store.admitDistinct('s1', 'c', 2, 60_000)).toMatchObject({ allowed: false, distinct: 2, firstDenial: true });
      expect(await store.admitDistinct('s1', 'd', 2, 60_000)).toMatchObject({ allowed: false, firstDenial: false });
      expect(await store.admitDistinct('s2', 'c', 2, 60_000)).toMatchObject({ allowed: true, distinct: 1 });
      const r = await store.admitDistinct('s1', 'e', 2, 60_000);
      expect(r.remainingMs).toBeGreaterThan(0);
      expect(r.remainingMs).toBeLessThanOrEqual(60_000);
    });

    it('forgets a distinct set when its window ends', async () => {
      const real = name === 'MemoryGuardStore' ? 0 : 60; // Redis expires on its own clock
      for (const m of ['a', 'b']) await store.admitDistinct('w', m, 2, real ? real : 1_000);
      expect((await store.admitDistinct('w', 'c', 2, real || 1_000)).allowed).toBe(false);
      now += 1_001;
      if (real) await new Promise((r) => setTimeout(r, real + 40));
      expect(await store.admitDistinct('w', 'c', 2, real || 1_000)).toMatchObject({ allowed: true, distinct: 1 });
    });

    it('records call times, keeps the newest, and refuses nothing until blocked', async () => {
      for (let i = 0; i < 5; i++) {
        const r = await store.recordCall('op', 3, 60_000);
        expect(r.blockedMs).toBe(0);
        now += 1_000;
      }
      const r = await store.recordCall('op', 3, 60_000);
      expect(r.times).toEqual([now - 2_000, now - 1_000, now]);
      expect(await store.block('op', 5_000)).toBe(true);
      expect(await store.block('op', 5_000)).toBe(false);
      const blocked = await store.recordCall('op', 3, 60_000);
      expect(blocked.times).toEqual([]);
      expect(blocked.blockedMs).toBeGreaterThan(0);
      expect(blocked.blockedMs).toBeLessThanOrEqual(5_000);
      expect((await store.recordCall('other', 3, 60_000)).blockedMs).toBe(0);
    });

    it('each remembered member expires on its own, however active the others are', async () => {
      expect(await store.remember('ips2', 'old', 60_000)).toEqual({ isNew: true, known: 0 });
      now += 40_000;
      expect(await store.remember('ips2', 'new', 60_000)).toEqual({ isNew: true, known: 1 });
      now += 10_000;
      expect(await store.remember('ips2', 'new', 60_000)).toEqual({ isNew: false, known: 2 }); // the operator is active
      now += 20_000; // 70 s after "old" was last seen, 20 s after "new"
      expect(await store.remember('ips2', 'old', 60_000)).toEqual({ isNew: true, known: 1 });
      now += 50_000; // "new" seen 70 s ago, "old" 50 s ago
      expect(await store.remember('ips2', 'new', 60_000)).toEqual({ isNew: true, known: 1 });
    });

    it('remembers members and counts the known ones', async () => {
      expect(await store.remember('ips', 'x', 60_000)).toEqual({ isNew: true, known: 0 });
      expect(await store.remember('ips', 'x', 60_000)).toEqual({ isNew: false, known: 1 });
      expect(await store.remember('ips', 'y', 60_000)).toEqual({ isNew: true, known: 1 });
    });

    it('is atomic: 50 concurrent new members against max 3 admit exactly 3', async () => {
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => store.admitDistinct('race', `m${i}`, 3, 60_000)));
      expect(results.filter((r) => r.allowed)).toHaveLength(3);
      expect(results.filter((r) => r.firstDenial)).toHaveLength(1);
    });
  });
}
