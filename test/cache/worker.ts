/**
 * A deployment process for the dedup tests (run with `node --import tsx`): one dancu client with
 * the shared RedisCacheStore (and RedisQuotaStore), replaying the calls it is given.
 */
import { Redis, type Cluster } from 'ioredis';
import { createClient, isDancuError, MemoryAuditSink, RedisCacheStore, RedisQuotaStore } from '../../src/index.js';
import { SANDBOX_PURPOSES } from '../../src/testing/index.js';
import { ioredisCluster } from '../cluster-nodes.js';

export interface CacheRun {
  type: 'run';
  runId: string;
  url: string;
  credentials: { clientId: string; clientSecret: string };
  redisUrl: string;
  prefix: string;
  secret: string;
  concurrency: number;
  calls: Array<{ idNumber: string; fullName: string; dateOfBirth: string; expectMatch: boolean }>;
}

export interface CacheRunResult {
  runId: string;
  sources: Record<string, number>;
  wrong: number;
  errors: Record<string, number>;
}

const clients = new Map<string, Redis | Cluster>();
/** `redisUrl` is a Redis URL, or `cluster` for the test Cluster (test/services.ts). */
function redisFor(url: string): Redis | Cluster {
  let r = clients.get(url);
  if (!r) {
    r = url === 'cluster' ? ioredisCluster({ failFast: true }) : new Redis(url, { enableOfflineQueue: false });
    r.on('error', () => undefined);
    clients.set(url, r);
  }
  return r;
}

async function run(m: CacheRun): Promise<CacheRunResult> {
  const redis = redisFor(m.redisUrl);
  if (redis.status !== 'ready') await new Promise((r) => redis.once('ready', r));
  const client = createClient({
    baseUrl: m.url,
    credentials: m.credentials,
    system: { id: 'dedup-test', unitCode: 'TEST', version: '1' },
    purposes: SANDBOX_PURPOSES,
    quota: { store: new RedisQuotaStore({ client: redis, prefix: m.prefix }) },
    audit: { sink: new MemoryAuditSink() }, // the audit trail has its own multi-process tests
    // Generous timeouts: the suite runs many processes on two cores; exactness must not depend on speed.
    cache: { store: new RedisCacheStore({ client: redis, prefix: m.prefix }), secret: m.secret, joinTimeoutMs: 20_000, storeTimeoutMs: 5_000 },
  });
  const out: CacheRunResult = { runId: m.runId, sources: {}, wrong: 0, errors: {} };
  let next = 0;
  await Promise.all(
    Array.from({ length: m.concurrency }, async () => {
      while (next < m.calls.length) {
        const c = m.calls[next++]!;
        try {
          const r = await client.verifyCitizen(
            { idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth },
            { purpose: { code: 'HT-KHAISINH' }, operator: { id: `op-${process.pid}`, ip: '10.2.2.2' } },
          );
          out.sources[r.source] = (out.sources[r.source] ?? 0) + 1;
          if (r.match !== c.expectMatch) out.wrong++;
        } catch (err) {
          const code = isDancuError(err) ? err.code : String(err);
          out.errors[code] = (out.errors[code] ?? 0) + 1;
        }
      }
    }),
  );
  await client.close();
  return out;
}

process.on('message', (m: CacheRun | { type: 'exit' }) => {
  if (m.type === 'exit') {
    for (const r of clients.values()) r.disconnect();
    process.disconnect();
  } else void run(m).then((r) => process.send!(r));
});
// Never outlive the test that started us (a failed test may not say goodbye).
process.on('disconnect', () => process.exit(0));
process.send!({ type: 'ready' });
