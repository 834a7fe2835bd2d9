/** The test Redis Cluster's nodes, importable by worker processes (no vitest here). */
import { Cluster } from 'ioredis';

/**
 * The 3-master Redis Cluster `.ci/redis-cluster` starts (or DANCU_TEST_REDIS_CLUSTER, comma-separated
 * host:port): the stores' keys must spread over its masters and every script must run on it.
 */
export const REDIS_CLUSTER_NODES = (process.env['DANCU_TEST_REDIS_CLUSTER'] ?? '127.0.0.1:7000,127.0.0.1:7001,127.0.0.1:7002')
  .split(',').map((hp) => ({ host: hp.slice(0, hp.lastIndexOf(':')), port: Number(hp.slice(hp.lastIndexOf(':') + 1)) }));

/** An ioredis Cluster for a test process or a worker (fails fast while a node is away: no offline queue). */
export function ioredisCluster(options: { failFast?: boolean } = {}): Cluster {
  return new Cluster(REDIS_CLUSTER_NODES, options.failFast ? { enableOfflineQueue: false, redisOptions: { maxRetriesPerRequest: 0 } } : {});
}

