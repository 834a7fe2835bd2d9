/**
 * `client.ready()` as a Kubernetes readiness probe uses it: against the sandbox over HTTP, real
 * Redis and PostgreSQL, and the same stores pointed at ports where nothing listens.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis as IORedis } from 'ioredis';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createClient, createRedisStores, MemoryAuditSink, PostgresAuditSink, RedisCacheStore, type DancuClientOptions } from '../src/index.js';
import { createSandbox, SANDBOX_PURPOSES } from '../src/testing/index.js';
import { PG_URL, postgresAvailable, REDIS_URL, redisAvailable } from './services.js';

const sandbox = await createSandbox({ populationSize: 10 });
const dir = await mkdtemp(join(tmpdir(), 'dancu-ready-'));
const hasRedis = await redisAvailable();
const hasPg = await postgresAvailable();
const closers: Array<() => unknown> = [];
afterAll(async () => {
  for (const c of closers.reverse()) await c();
  await sandbox.close();
  await rm(dir, { recursive: true, force: true });
});

/** A loopback port where nothing listens. */
async function deadPort(): Promise<number> {
  const s = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => s.once('listening', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** An ioredis client that fails at once when Redis is not there (no retry, no offline queue). */
function redisAt(port: number): IORedis {
  const r = new IORedis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
  r.on('error', () => undefined);
  closers.push(() => r.disconnect());
  return r;
}

let n = 0;
const make = (over: Partial<DancuClientOptions> = {}) => {
  const client = createClient({
    baseUrl: sandbox.url, credentials: sandbox.credentials, system: { id: 'probe', unitCode: 'UBND-X', version: '1' },
    purposes: SANDBOX_PURPOSES, audit: { directory: dir, instance: `ready-${n++}` }, retry: { attempts: 1 }, ...over,
  });
  closers.push(() => client.close());
  return client;
};

describe('client.ready()', () => {
  it('resolves with every part reached; the token is fetched only when asked, and no query is sent', async () => {
    const client = make();
    expect(await client.ready()).toEqual({ audit: 'ok', quota: 'ok', cache: 'ok', guards: 'ok', token: 'skipped' });
    expect(sandbox.stats().tokenRequests).toBe(0);
    expect(await client.ready({ token: true })).toMatchObject({ token: 'ok' });
    expect(sandbox.stats()).toMatchObject({ total: 0, tokenRequests: 1 });
    expect(await make({ cache: { enabled: false } }).ready()).toMatchObject({ cache: 'off' });
  });

  it('wrong credentials (token check on): ERR_UNAUTHORIZED', async () => {
    const client = make({ credentials: { clientId: sandbox.credentials.clientId, clientSecret: 'Wrong-But-Strong-Secret-93!' } });
    expect(await client.ready()).toMatchObject({ token: 'skipped' }); // nothing asked of the gateway
    await expect(client.ready({ token: true })).rejects.toMatchObject({ code: 'ERR_UNAUTHORIZED' });
  });

  it('an audit directory that cannot be created: ERR_AUDIT_UNAVAILABLE', async () => {
    const file = join(dir, 'a-file');
    await writeFile(file, 'not a directory');
    await expect(make({ audit: { directory: join(file, 'trail') } }).ready()).rejects.toMatchObject({ code: 'ERR_AUDIT_UNAVAILABLE', reason: 'sink' });
  });

  it('bad options and a closed client are refused', async () => {
    const client = make({ audit: { sink: new MemoryAuditSink() } });
    for (const bad of ['yes', { token: 'yes' }, { timeoutMs: 0 }]) {
      await expect(client.ready(bad as never)).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' });
    }
    await client.close();
    await expect(client.ready()).rejects.toMatchObject({ code: 'ERR_CLIENT_CLOSED' });
  });

  it('Redis down: the quota store rejects with ERR_QUOTA_UNAVAILABLE; the cache (and guard) store down is degraded', async () => {
    const down = redisAt(await deadPort());
    const secret = randomBytes(32);
    const stores = createRedisStores({ client: down, prefix: `ready-${randomBytes(4).toString('hex')}` });
    const quotaDown = make({ audit: { sink: new MemoryAuditSink() }, stateSecret: secret, quota: { store: stores.quota } });
    await expect(quotaDown.ready()).rejects.toMatchObject({ code: 'ERR_QUOTA_UNAVAILABLE', reason: 'unreachable' });
    const cacheDown = make({ audit: { sink: new MemoryAuditSink() }, cache: { store: new RedisCacheStore({ client: down }), secret } });
    const r = await cacheDown.ready();
    // The guard state lives beside the cache store's Redis (docs/guards.md): degraded with it.
    expect(r).toMatchObject({ audit: 'ok', quota: 'ok', cache: 'degraded', guards: 'degraded' });
    expect(r.causes?.cache).toBeInstanceOf(Error);
    expect(r.causes?.guards).toBeInstanceOf(Error);
  });

  it('PostgreSQL down: ERR_AUDIT_UNAVAILABLE', async () => {
    const pool = new pg.Pool({ host: '127.0.0.1', port: await deadPort(), user: 'postgres', database: 'test', connectionTimeoutMillis: 2_000 });
    closers.push(() => pool.end());
    const client = make({ audit: { sink: new PostgresAuditSink({ pool, instance: 'ready-pg-down' }) } });
    await expect(client.ready()).rejects.toMatchObject({ code: 'ERR_AUDIT_UNAVAILABLE' });
  });

  it.skipIf(!hasRedis || !hasPg)('real Redis stores and a PostgreSQL trail: resolves, with every script loaded', async () => {
    const redis = new IORedis(REDIS_URL);
    closers.push(() => redis.disconnect());
    const pool = new pg.Pool({ connectionString: PG_URL });
    closers.push(() => pool.end());
    // The public `{ evalsha, scriptLoad }` shape over the real Redis, counting the scripts loaded.
    let loads = 0;
    const counting = {
      evalsha: (sha: string, keys: readonly string[], args: readonly string[]) => redis.evalsha(sha, keys.length, ...keys, ...args),
      scriptLoad: (script: string) => (loads++, redis.script('LOAD', script) as Promise<string>),
    };
    const secret = randomBytes(32);
    const stores = createRedisStores({ client: counting, prefix: `ready-${randomBytes(4).toString('hex')}` });
    const table = `dancu_ready_${randomBytes(4).toString('hex')}`;
    closers.push(() => pool.query(`DROP TABLE IF EXISTS ${table}, ${table}_checkpoints CASCADE`).catch(() => undefined));
    const client = make({
      audit: { sink: new PostgresAuditSink({ pool, table, instance: 'ready-pg' }) }, stateSecret: secret,
      quota: { store: stores.quota }, cache: { store: stores.cache, secret }, guards: { store: stores.guards },
    });
    expect(await client.ready({ token: true })).toEqual({ audit: 'ok', quota: 'ok', cache: 'ok', guards: 'ok', token: 'ok' });
    expect(loads).toBe(3 + 6 + 4); // every quota, cache and guard script
    expect((await pool.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n).toBeGreaterThan(0); // config.loaded is in
  });
});
