/**
 * Dedup across a deployment: 4 real processes share one RedisCacheStore, on a single Redis and on
 * a 3-master Redis Cluster. The sandbox runs here over real HTTP and counts what reaches the upstream.
 */
import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { Redis, type Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, seededRandom, type Sandbox } from '../../src/testing/index.js';
import { ioredisCluster, keysPerNode, REDIS_URL, redisAvailable, redisClusterAvailable } from '../services.js';
import { runAll, startWorker, stopWorkers } from '../workers.js';
import type { CacheRun, CacheRunResult } from './worker.js';

const WORKERS = 4;
const targets: Array<[string, string, boolean]> = [
  ['Redis', REDIS_URL, await redisAvailable()],
  ['a Redis Cluster', 'cluster', await redisClusterAvailable()], // the workers connect to the test Cluster
];

for (const [target, redisUrl, available] of targets) describe.skipIf(!available)(`dedup across ${WORKERS} processes sharing ${target}`, () => {
  let sandbox: Sandbox;
  let workers: ChildProcess[] = [];
  let redis: Redis | Cluster;
  beforeAll(async () => {
    sandbox = await createSandbox({ populationSize: 2_000, seed: 77 });
    workers = await Promise.all(Array.from({ length: WORKERS }, () => startWorker(new URL('./worker.ts', import.meta.url))));
    redis = redisUrl === 'cluster' ? ioredisCluster() : new Redis(REDIS_URL);
  }, 60_000);
  afterAll(async () => {
    await stopWorkers(workers);
    redis?.disconnect();
    await sandbox?.close();
  });

  const run = (calls: CacheRun['calls'][], prefix: string, concurrency: number) =>
    Promise.all(
      workers.map((w, i) =>
        runAll<Omit<CacheRun, 'type' | 'runId'>, CacheRunResult>([w], {
          url: sandbox.url, credentials: sandbox.credentials, redisUrl, prefix,
          secret: 'multi-process-test-secret-0123456789abcdef', concurrency, calls: calls[i]!,
        }).results.then((r) => r[0]!),
      ),
    );
  const total = (rs: CacheRunResult[], k: keyof CacheRunResult['sources'] | string) => rs.reduce((n, r) => n + (r.sources[k] ?? 0), 0);

  it('1,000 concurrent identical calls across 4 processes → 1 upstream call', async () => {
    sandbox.reset();
    const c = sandbox.population[0]!;
    const call = { idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth, expectMatch: true };
    const results = await run(Array.from({ length: WORKERS }, () => Array.from({ length: 250 }, () => call)), `dd-${randomUUID()}`, 250);
    expect(sandbox.stats().total).toBe(1);
    expect(total(results, 'upstream')).toBe(1);
    expect(total(results, 'upstream') + total(results, 'joined') + total(results, 'cache')).toBe(1_000);
    expect(results.every((r) => r.wrong === 0 && Object.keys(r.errors).length === 0)).toBe(true);
  }, 60_000);

  it('Hải Dương replay: 2,000 citizens × (1 login + 2 submissions + 3 syncs), shuffled over 4 processes → exactly 2,000 verifications, 12,000 right answers', async () => {
    sandbox.reset();
    const prefix = `hd-${randomUUID()}`;
    const rnd = seededRandom(2026);
    // Every citizen six times, spelled as different screens would send it; one in ten with a wrong name.
    const events = sandbox.population.flatMap((c, i) => {
      const wrong = i % 10 === 0;
      const name = wrong ? 'Nguyễn Thị Sai' : c.fullName;
      const spellings = [name, name.normalize('NFD'), name.toLocaleUpperCase('vi'), ` ${name.replace(/ /g, '  ')} `, name, name.normalize('NFD')];
      return spellings.map((fullName) => ({ idNumber: c.idNumber, fullName, dateOfBirth: c.dateOfBirth, expectMatch: !wrong }));
    });
    for (let i = events.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [events[i], events[j]] = [events[j]!, events[i]!];
    }
    const shares = Array.from({ length: WORKERS }, (_, w) => events.filter((_, i) => i % WORKERS === w));
    const results = await run(shares, prefix, 25);
    expect(results.reduce((n, r) => n + r.wrong, 0)).toBe(0);
    expect(results.flatMap((r) => Object.keys(r.errors))).toEqual([]);
    expect(total(results, 'upstream') + total(results, 'joined') + total(results, 'cache')).toBe(12_000);
    expect(sandbox.stats().total).toBe(2_000);
    expect(total(results, 'upstream')).toBe(2_000);

    // Redis holds no ID number, no name, no date of birth in plaintext: keys or values.
    const keys = [...(await keysPerNode(redis, prefix)).values()].flat();
    expect(keys.length).toBeGreaterThan(2_000);
    const dump: string[] = [...keys];
    for (const k of keys) {
      const type = await redis.type(k);
      if (type === 'string') dump.push((await redis.get(k)) ?? '');
      else if (type === 'set') dump.push(...(await redis.smembers(k)));
      else if (type === 'hash') dump.push(...Object.values(await redis.hgetall(k)));
    }
    const haystack = dump.join('\n');
    for (const c of sandbox.population) {
      expect(haystack.includes(c.idNumber), 'an ID number in Redis').toBe(false);
      expect(haystack.includes(c.fullName) || haystack.includes(c.fullName.normalize('NFD')), 'a name in Redis').toBe(false);
    }
    expect(haystack.includes(sandbox.population[5]!.dateOfBirth)).toBe(false);
    expect(/\d{12}/.test(keys.join('\n'))).toBe(false);
  }, 120_000);
});
