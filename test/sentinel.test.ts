/**
 * The Redis stores behind Redis Sentinel: a sentinel of this test's own (its own port, its own
 * config file, never a failover) watches the test Redis as its master, and the stores get a client
 * that asks the sentinel where the master is: ioredis with `sentinels`, and node-redis
 * `createSentinel`. dancu needs nothing of Sentinel itself; this shows it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { createSentinel } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, createRedisStores, MemoryAuditSink } from '../src/index.js';
import { createSandbox, SANDBOX_PURPOSES, type Sandbox } from '../src/testing/index.js';
import { freePort, REDIS_URL, redisAvailable } from './services.js';

const hasRedis = await redisAvailable();
const MASTER = `dancu-test-${randomUUID().slice(0, 8)}`;

describe.skipIf(!hasRedis)('the Redis stores behind Redis Sentinel', () => {
  let sentinel: ChildProcess | undefined;
  let port = 0;
  let dir = '';
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await createSandbox({ populationSize: 5 });
    dir = await mkdtemp(join(tmpdir(), 'dancu-sentinel-'));
    port = await freePort();
    const master = new URL(REDIS_URL);
    // A long down-after: this sentinel only answers "where is the master"; it never fails over.
    await writeFile(join(dir, 'sentinel.conf'), [
      `port ${port}`, 'bind 127.0.0.1', `dir ${dir}`,
      `sentinel monitor ${MASTER} ${master.hostname} ${master.port || 6379} 1`,
      `sentinel down-after-milliseconds ${MASTER} 600000`,
    ].join('\n'));
    sentinel = spawn('redis-server', [join(dir, 'sentinel.conf'), '--sentinel'], { stdio: 'ignore' });
    const probe = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => undefined);
    try {
      for (let i = 0; i < 100; i++) {
        const addr = await probe.connect().then(() => probe.call('SENTINEL', 'get-master-addr-by-name', MASTER), () => null).catch(() => null);
        if (Array.isArray(addr)) return;
        probe.disconnect();
        await sleep(50);
      }
      throw new Error(`the sentinel on port ${port} did not come up`);
    } finally {
      probe.disconnect();
    }
  }, 30_000);
  afterAll(async () => {
    sentinel?.kill('SIGTERM');
    if (sentinel && sentinel.exitCode === null) await new Promise((r) => sentinel!.once('exit', r));
    await sandbox?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it.each([['ioredis (sentinels)'], ['node-redis createSentinel']])('through %s: ready, a call to the upstream, the same call from the cache, the quota counted', async (lib) => {
    const io = lib.startsWith('ioredis') ? new Redis({ sentinels: [{ host: '127.0.0.1', port }], name: MASTER }) : undefined;
    const nr = io ? undefined : await createSentinel({ name: MASTER, sentinelRootNodes: [{ host: '127.0.0.1', port }] }).connect();
    const stores = createRedisStores({ client: (io ?? nr)!, prefix: `sentinel-${randomUUID().slice(0, 8)}` });
    const client = createClient({
      baseUrl: sandbox.url, credentials: sandbox.credentials, system: { id: 'sentinel-test', unitCode: 'TEST', version: '1' },
      purposes: SANDBOX_PURPOSES, audit: { sink: new MemoryAuditSink() },
      quota: { store: stores.quota }, cache: { store: stores.cache, secret: 'sentinel-test-cache-secret-0123456789abcdef' }, guards: { store: stores.guards },
    });
    try {
      expect(await client.ready()).toMatchObject({ quota: 'ok', cache: 'ok', guards: 'ok' });
      const c = sandbox.population[lib.startsWith('ioredis') ? 0 : 1]!;
      const call = () => client.verifyCitizen({ idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth }, { purpose: { code: 'HT-KHAISINH' }, operator: { id: 'cb.an', ip: '10.0.0.1' } });
      expect((await call()).source).toBe('upstream');
      expect((await call()).source).toBe('cache');
      expect((await client.quota.status()).budgets.find((b) => b.id === 'global.day')?.used).toBe(1);
    } finally {
      await client.close();
      stores.quota.close();
      io?.disconnect();
      await nr?.close();
    }
  });
});
