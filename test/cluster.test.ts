/**
 * The Redis stores on a real 3-master Redis Cluster (`.ci/redis-cluster`), through the public API:
 * keys tagged by what must be atomic together spread over the masters, and every script runs on
 * a node that has never seen it (NOSCRIPT is answered per node). The contract suites
 * (test/{quota,cache,guard}/store.contract.test.ts) and the multi-process storm and quota tests
 * run against the same Cluster.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, createRedisStores, MemoryAuditSink, type DancuClient } from '../src/index.js';
import { createSandbox, SANDBOX_PURPOSES, type Sandbox } from '../src/testing/index.js';
import { contractClusterClients, keysPerNode } from './services.js';

const { ioredisCluster, nodeRedisCluster } = await contractClusterClients();

describe.skipIf(!ioredisCluster)('the Redis stores on a 3-master Redis Cluster', () => {
  let sandbox: Sandbox;
  const clients: DancuClient[] = [];
  const quotaStores: Array<{ close(): void }> = [];
  beforeAll(async () => {
    sandbox = await createSandbox({ populationSize: 10_000, lockThreshold: 100_000 });
  }, 60_000);
  afterAll(async () => {
    for (const c of clients) await c.close();
    for (const q of quotaStores) q.close();
    await sandbox?.close();
  });
  const make = (redis: object, prefix: string) => {
    const stores = createRedisStores({ client: redis, prefix });
    const client = createClient({
      baseUrl: sandbox.url, credentials: sandbox.credentials, system: { id: 'cluster-test', unitCode: 'TEST', version: '1' },
      purposes: SANDBOX_PURPOSES, audit: { sink: new MemoryAuditSink() }, stateSecret: 'cluster-test-state-secret-0123456789abcdef',
      quota: { store: stores.quota, lockThreshold: 100_000 }, cache: { store: stores.cache, secret: 'cluster-test-cache-secret-0123456789abcdef' },
      guards: { store: stores.guards },
    });
    clients.push(client);
    quotaStores.push(stores.quota);
    return client;
  };

  it('10,000 citizens: each citizen\'s cache keys in one slot, and every master holds ≥ 20% of them; the quota in one slot', async () => {
    const prefix = `spread-${randomUUID().slice(0, 8)}`;
    const client = make(ioredisCluster!, prefix);
    let next = 0;
    await Promise.all(Array.from({ length: 32 }, async () => {
      while (next < sandbox.population.length) {
        const c = sandbox.population[next++]!;
        const r = await client.verifyCitizen({ idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth }, { purpose: { code: 'HT-KHAISINH' }, operator: { id: 'cb.an', ip: '10.0.0.1' } });
        expect(r.source).toBe('upstream');
      }
    }));
    expect(sandbox.stats().total).toBe(10_000);

    const perMaster = await keysPerNode(ioredisCluster!, prefix);
    expect(perMaster.size).toBe(3);
    const cacheKeys = [...perMaster.values()].flat().filter((k) => k.startsWith(`${prefix}:c:`));
    expect(cacheKeys).toHaveLength(10_000); // one verification cached per citizen
    for (const [node, keys] of perMaster) {
      const share = keys.filter((k) => k.startsWith(`${prefix}:c:`)).length / cacheKeys.length;
      expect(share, `${node} holds ${(share * 100).toFixed(1)}% of the cache keys`).toBeGreaterThanOrEqual(0.2);
    }
    // A citizen's entry and index share a slot (the SET script writes both), by the subject's tag.
    const sample = cacheKeys.slice(0, 20);
    for (const k of sample) {
      const subject = /\{([^}]+)\}/.exec(k)![1]!;
      expect(await ioredisCluster!.cluster('KEYSLOT', k)).toBe(await ioredisCluster!.cluster('KEYSLOT', `${prefix}:s:{${subject}}`));
    }
    // The quota's keys: one slot (every reservation takes the global budget with the others, atomically).
    const quotaKeys = [...perMaster.values()].flat().filter((k) => k.startsWith(`{${prefix}}:`));
    expect(quotaKeys.length).toBeGreaterThan(0);
    expect(new Set(await Promise.all(quotaKeys.map((k) => ioredisCluster!.cluster('KEYSLOT', k)))).size).toBe(1);
    expect((await client.quota.status()).budgets.find((b) => b.id === 'global.day')?.used).toBe(10_000);
  }, 120_000);

  it.each([['ioredis Cluster'], ['node-redis cluster']])('through %s: works after SCRIPT FLUSH on every master (NOSCRIPT per node), and ready() loads the scripts', async (lib) => {
    const redis = lib === 'ioredis Cluster' ? ioredisCluster! : nodeRedisCluster!;
    const client = make(redis, `flush-${randomUUID().slice(0, 8)}`);
    expect(await client.ready()).toMatchObject({ quota: 'ok', cache: 'ok', guards: 'ok' });
    const c = sandbox.population[1]!;
    const input = { idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth };
    const ctx = { purpose: { code: 'HT-KHAISINH' }, operator: { id: 'cb.binh', ip: '10.0.0.2' } };
    for (const node of ioredisCluster!.nodes('master')) await node.script('FLUSH');
    expect((await client.verifyCitizen(input, ctx)).source).toBe('upstream');
    for (const node of ioredisCluster!.nodes('master')) await node.script('FLUSH');
    expect((await client.verifyCitizen(input, ctx)).source).toBe('cache');
    expect(await client.cache.invalidate({ idNumber: c.idNumber })).toBe(1);
    expect((await client.quota.status()).budgets.find((b) => b.id === 'global.day')?.used).toBe(1);
  });
});
