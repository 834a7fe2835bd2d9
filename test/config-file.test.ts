/**
 * `createClientFromConfig`: the deployment file `dancu doctor` checks is the file the application
 * runs with. Against the sandbox over HTTP, real Redis and PostgreSQL.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { generateAuditKeyPair } from '../src/audit/index.js';
import { createClientFromConfig } from '../src/index.js';
import { createSandbox, SANDBOX_PURPOSES } from '../src/testing/index.js';
import { doctor } from '../src/cli/doctor.js';
import { connectCheck } from '../src/cli/doctor-live.js';
import { ioredisCluster, keysPerNode, PG_URL, postgresAvailable, REDIS_CLUSTER_NODES, REDIS_URL, redisAvailable, redisClusterAvailable } from './services.js';

const sandbox = await createSandbox({ populationSize: 10 });
const dir = await mkdtemp(join(tmpdir(), 'dancu-config-'));
const services = (await redisAvailable()) && (await postgresAvailable());
const cluster = await redisClusterAvailable();
const table = `dancu_cfg_${randomBytes(4).toString('hex')}`;
afterAll(async () => {
  await sandbox.close();
  await rm(dir, { recursive: true, force: true });
  if (services) {
    const pool = new pg.Pool({ connectionString: PG_URL });
    await pool.query(`DROP TABLE IF EXISTS ${table}, ${table}_checkpoints`).catch(() => undefined);
    await pool.end();
  }
});

const env = {
  DANCU_CLIENT_SECRET: sandbox.credentials.clientSecret,
  REDIS_URL,
  AUDIT_DATABASE_URL: PG_URL,
  DANCU_CACHE_SECRET: randomBytes(32).toString('hex'),
  DANCU_AUDIT_SECRET: randomBytes(32).toString('hex'),
  DANCU_AUDIT_SIGNING_KEY: generateAuditKeyPair().privateKey,
};
const file = () => ({
  baseUrl: sandbox.url,
  credentials: { clientId: sandbox.credentials.clientId, clientSecret: '${DANCU_CLIENT_SECRET}', issuedAt: new Date().toISOString().slice(0, 10) },
  system: { id: 'cfg-test', unitCode: 'UBND-X', version: '1.0.0' },
  purposes: SANDBOX_PURPOSES,
  quota: { store: { redis: '${REDIS_URL}', prefix: `cfg-${randomBytes(4).toString('hex')}` } },
  cache: { secret: '${DANCU_CACHE_SECRET}', store: { redis: '${REDIS_URL}' } },
  audit: {
    sink: { postgres: '${AUDIT_DATABASE_URL}', table }, instance: `cfg-test-${randomBytes(3).toString('hex')}`,
    secret: '${DANCU_AUDIT_SECRET}', signingKey: '${DANCU_AUDIT_SIGNING_KEY}', witness: { directory: join(dir, 'witness') },
  },
  deployment: { instances: 2, auditRetentionDays: 365 },
});

describe('createClientFromConfig', () => {
  it.skipIf(!services)('a file with Redis stores, a PostgreSQL trail and a witness: ready, calls, closes what it opened', async () => {
    const path = join(dir, 'dancu.config.json');
    await writeFile(path, JSON.stringify(file()));
    // The same file, checked by doctor: only the sandbox's plain http fails the checklist.
    expect(doctor(JSON.parse(JSON.stringify(file())), env).filter((c) => c.level === 'fail').map((c) => c.check)).toEqual(['TLS to the gateway']);
    const client = await createClientFromConfig(path, { env });
    expect(await client.ready({ token: true })).toEqual({ audit: 'ok', quota: 'ok', cache: 'ok', guards: 'ok', token: 'ok' });
    const c = sandbox.population[0]!;
    const r = await client.verifyCitizen({ idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth }, { purpose: { code: 'HT-KHAISINH' }, operator: { id: 'cb', ip: '10.0.0.1' } });
    expect(r.match).toBe(true);
    await client.close(); // the Redis client and both pools: the test process would not exit otherwise
    await client.close();
  });

  it.skipIf(!services)('the example deployment file runs as checked (its gateway and witness are not reached here)', async () => {
    const client = await createClientFromConfig('examples/deployment/dancu.config.json', {
      env: { ...env, DANCU_CLIENT_SECRET: 'Rotated-Strong-Secret-42!', DANCU_SECRET_ISSUED_AT: new Date().toISOString().slice(0, 10), DANCU_WITNESS_TOKEN: 'w'.repeat(40) },
    });
    expect(await client.ready()).toMatchObject({ audit: 'ok', quota: 'ok', cache: 'ok', guards: 'ok' });
    expect(client.purposes.map((p) => p.code)).toEqual(['HT-KHAISINH', 'DD-CAPGCN']);
    await client.close();
  });

  it.skipIf(!cluster)('stores on a Redis Cluster ({ "redisCluster": [urls] }): ready, calls, the cache keys on the Cluster', async () => {
    const prefix = `cfgc-${randomBytes(4).toString('hex')}`;
    const nodes = REDIS_CLUSTER_NODES.map((n) => `redis://${n.host}:${n.port}`);
    const client = await createClientFromConfig({
      ...file(), quota: { store: { redisCluster: nodes, prefix } }, cache: { secret: '${DANCU_CACHE_SECRET}', store: { redisCluster: nodes, prefix } }, audit: { sink: { memory: {} } },
    }, { env });
    const redis = ioredisCluster();
    try {
      expect(await client.ready()).toEqual({ audit: 'ok', quota: 'ok', cache: 'ok', guards: 'ok', token: 'skipped' });
      const c = sandbox.population[1]!;
      const call = () => client.verifyCitizen({ idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth }, { purpose: { code: 'HT-KHAISINH' }, operator: { id: 'cb', ip: '10.0.0.1' } });
      expect((await call()).source).toBe('upstream');
      expect((await call()).source).toBe('cache');
      const keys = [...(await keysPerNode(redis, prefix)).values()].flat();
      expect(keys.filter((k) => k.startsWith(`${prefix}:c:{`))).toHaveLength(1);
      expect(keys.some((k) => k.startsWith(`{${prefix}}:d:`))).toBe(true); // the day's count
    } finally {
      redis.disconnect();
      await client.close(); // the Cluster client it opened: the test process would not exit otherwise
    }
  });

  it('an unset variable, a store in another form, or a bad option: ERR_CONFIG_INVALID before anything connects', async () => {
    const bad = async (cfg: object, e: Record<string, string> = env) => createClientFromConfig(cfg, { env: e }).then(() => undefined, (err: { code: string; issues: { path: string; message: string }[] }) => err);
    const { REDIS_URL: _r, ...noRedis } = env;
    expect(await bad(file(), noRedis)).toMatchObject({
      code: 'ERR_CONFIG_INVALID',
      issues: [{ path: 'quota.store.redis, cache.store.redis', message: 'the environment variable REDIS_URL is not set' }],
    });
    expect(await bad({ ...file(), quota: { store: { memcached: 'x' } } })).toMatchObject({ code: 'ERR_CONFIG_INVALID', issues: [{ path: 'quota.store' }] });
    expect(await bad({ ...file(), quota: { store: { redis: 'redis://a', redisCluster: ['redis://b'] } } })).toMatchObject({ code: 'ERR_CONFIG_INVALID', issues: [{ path: 'quota.store' }] });
    expect(await bad({ ...file(), quota: { store: { redisCluster: [] } } })).toMatchObject({ code: 'ERR_CONFIG_INVALID', issues: [{ path: 'quota.store' }] });
    expect(await bad({ ...file(), audit: { sink: { s3: 'x' } } })).toMatchObject({ code: 'ERR_CONFIG_INVALID', issues: [{ path: 'audit.sink' }] });
    expect(await bad({ ...file(), quota: {}, cache: { enabled: false }, audit: { sink: { memory: {} } }, timeoutMs: -1 })).toMatchObject({ code: 'ERR_CONFIG_INVALID', issues: [{ path: 'timeoutMs' }] });
    expect(await bad([] as never)).toMatchObject({ code: 'ERR_CONFIG_INVALID' });
    await expect(createClientFromConfig(join(dir, 'missing.json'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it.skipIf(!services)('dancu doctor --connect: PASS when the client starts and is ready, FAIL with the code when the credentials are wrong', async () => {
    expect(await connectCheck(file(), env)).toMatchObject({ level: 'pass', reason: 'audit trail, quota, cache and guards reached; token obtained' });
    expect(await connectCheck(file(), { ...env, DANCU_CLIENT_SECRET: 'Wrong-But-Strong-Secret-93!' })).toMatchObject({ level: 'fail', reason: expect.stringMatching(/^ERR_UNAUTHORIZED: /) });
    expect(await connectCheck(file(), {})).toMatchObject({ level: 'fail', reason: expect.stringMatching(/^ERR_CONFIG_INVALID: /) });
  });
});
