/**
 * Real Redis (and later PostgreSQL) for the distributed parts. On a laptop without them the tests
 * that need them are skipped with a visible message; with DANCU_REQUIRE_SERVICES=1 (CI sets it)
 * they fail instead, so a missing service can never pass as green.
 */
import { createServer, Socket } from 'node:net';
import { Redis as IORedis, type Cluster as IORedisCluster } from 'ioredis';
import { createClient as createNodeRedis, createCluster as createNodeRedisCluster } from 'redis';
import { afterAll } from 'vitest';
import { ioredisCluster, REDIS_CLUSTER_NODES } from './cluster-nodes.js';

export { ioredisCluster, REDIS_CLUSTER_NODES };

type NodeRedis = ReturnType<typeof createNodeRedis>;
type NodeRedisCluster = ReturnType<typeof createNodeRedisCluster>;

export const REDIS_URL = process.env['DANCU_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const required = process.env['DANCU_REQUIRE_SERVICES'] === '1';

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(1000, () => done(false));
    s.once('error', () => done(false));
    s.connect(port, host, () => done(true));
  });
}

export const PG_URL = process.env['DANCU_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Whether tests needing PostgreSQL should run. Throws in CI when it is missing. */
export async function postgresAvailable(): Promise<boolean> {
  const url = new URL(PG_URL);
  if (await reachable(url.hostname, Number(url.port || 5432))) return true;
  const message = `PostgreSQL is not reachable at ${url.host}`;
  if (required) throw new Error(`${message}, and DANCU_REQUIRE_SERVICES=1: the PostgreSQL tests must run.`);
  console.warn(`\n⚠ ${message}: SKIPPING the PostgreSQL tests. Start PostgreSQL (or set DANCU_TEST_PG_URL) to run them.\n`);
  return false;
}

/** Whether tests needing Redis should run. Throws in CI when Redis is missing. */
export async function redisAvailable(): Promise<boolean> {
  const url = new URL(REDIS_URL);
  const ok = await reachable(url.hostname, Number(url.port || 6379));
  if (ok) return true;
  const message = `Redis is not reachable at ${REDIS_URL}`;
  if (required) throw new Error(`${message}, and DANCU_REQUIRE_SERVICES=1: the Redis tests must run.`);
  console.warn(`\n⚠ ${message}: SKIPPING the Redis tests. Start redis-server (or set DANCU_TEST_REDIS_URL) to run them.\n`);
  return false;
}

/**
 * An ioredis and a node-redis client for store contract tests (both undefined without Redis), closed
 * after the file's tests. Every store must behave the same through either library.
 */
export async function contractRedisClients(): Promise<{ ioredis: IORedis | undefined; nodeRedis: NodeRedis | undefined }> {
  if (!(await redisAvailable())) return { ioredis: undefined, nodeRedis: undefined };
  const ioredis = new IORedis(REDIS_URL);
  const nodeRedis = (await createNodeRedis({ url: REDIS_URL }).connect()) as NodeRedis;
  afterAll(async () => {
    ioredis.disconnect();
    await nodeRedis.quit();
  });
  return { ioredis, nodeRedis };
}

/** Whether the Cluster tests should run. Throws in CI when the Cluster is missing. */
export async function redisClusterAvailable(): Promise<boolean> {
  const down = [];
  for (const n of REDIS_CLUSTER_NODES) if (!(await reachable(n.host, n.port))) down.push(`${n.host}:${n.port}`);
  if (down.length === 0) return true;
  const message = `the Redis Cluster is not reachable (${down.join(', ')})`;
  if (required) throw new Error(`${message}, and DANCU_REQUIRE_SERVICES=1: the Redis Cluster tests must run (.ci/redis-cluster starts one).`);
  console.warn(`\n⚠ ${message}: SKIPPING the Redis Cluster tests. Run .ci/redis-cluster (or set DANCU_TEST_REDIS_CLUSTER) to run them.\n`);
  return false;
}

/**
 * An ioredis Cluster and a node-redis cluster for store contract tests (both undefined without the
 * Cluster), closed after the file's tests.
 */
export async function contractClusterClients(): Promise<{ ioredisCluster: IORedisCluster | undefined; nodeRedisCluster: NodeRedisCluster | undefined }> {
  if (!(await redisClusterAvailable())) return { ioredisCluster: undefined, nodeRedisCluster: undefined };
  const ioredis = ioredisCluster();
  const nodeRedis = (await createNodeRedisCluster({ rootNodes: REDIS_CLUSTER_NODES.map((n) => ({ url: `redis://${n.host}:${n.port}` })) }).connect()) as NodeRedisCluster;
  afterAll(async () => {
    ioredis.disconnect();
    await nodeRedis.quit();
  });
  return { ioredisCluster: ioredis, nodeRedisCluster: nodeRedis };
}

/** Every key of a deployment's prefix (`{prefix}:…` and `prefix:…`), per node: each master of a Cluster, or the one server. */
export async function keysPerNode(redis: IORedis | IORedisCluster, prefix: string): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const node of 'nodes' in redis ? redis.nodes('master') : [redis]) {
    const keys: string[] = [];
    for (const match of [`{${prefix}}:*`, `${prefix}:*`]) {
      let cursor = '0';
      do {
        const [next, batch] = await node.scan(cursor, 'MATCH', match, 'COUNT', 1000);
        cursor = next;
        keys.push(...batch);
      } while (cursor !== '0');
    }
    out.set(`${node.options.host}:${node.options.port}`, keys);
  }
  return out;
}

/** A port free on 127.0.0.1 now, for a server a test starts of its own (a redis-server, a sentinel). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}
