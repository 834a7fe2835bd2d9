/**
 * A deployment process for the shared-throttle test (run with `node --import tsx`): one dancu client
 * on the LGSP profile with a RedisQuotaStore; each message is one verification, answered with its
 * outcome code.
 */
import { Redis } from 'ioredis';
import { createClient, isDancuError, MemoryAuditSink, RedisQuotaStore, type DancuClient } from '../../src/index.js';
import { LgspGateway, SANDBOX_PURPOSES } from '../../src/testing/index.js';

export interface ThrottleCall {
  type: 'run';
  runId: string;
  url: string;
  credentials: { clientId: string; clientSecret: string };
  prefix: string;
  citizen: { idNumber: string; fullName: string; dateOfBirth: string };
  /** Wait out a quota store that is recovering (another test flushed the shared Redis), up to 10 s. */
  settle?: boolean;
}

const redis = new Redis(process.env['DANCU_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379', { enableOfflineQueue: false });
redis.on('error', () => undefined);
let client: DancuClient | undefined;

async function run(m: ThrottleCall): Promise<{ runId: string; outcome: string; retryAfterMs?: number }> {
  client ??= createClient({
    baseUrl: m.url, credentials: m.credentials, profile: LgspGateway.profile(),
    system: { id: 'throttle', unitCode: 'U1', version: '1' }, purposes: SANDBOX_PURPOSES,
    cache: { enabled: false }, retry: { attempts: 1 }, audit: { sink: new MemoryAuditSink() }, stateSecret: 'throttle-test-state-secret-0123456789',
    quota: { store: new RedisQuotaStore({ client: redis, prefix: m.prefix }), perDay: 1000 },
  });
  try {
    for (const until = Date.now() + 10_000; ;) {
      try {
        await client.verifyCitizen(m.citizen, { purpose: { code: 'HT-KHAISINH' }, operator: { id: `op-${process.pid}`, ip: '10.3.3.3' } });
        return { runId: m.runId, outcome: 'ok' };
      } catch (err) {
        if (!m.settle || !isDancuError(err, 'ERR_QUOTA_UNAVAILABLE') || Date.now() > until) throw err;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  } catch (err) {
    const e = err as { retryAfterMs?: number };
    return { runId: m.runId, outcome: isDancuError(err) ? err.code : String(err), ...(typeof e.retryAfterMs === 'number' ? { retryAfterMs: e.retryAfterMs } : {}) };
  }
}

process.on('message', (m: ThrottleCall | { type: 'exit' }) => {
  if (m.type === 'exit') {
    void client?.close().finally(() => {
      redis.disconnect();
      process.disconnect();
    });
  } else void run(m).then((r) => process.send!(r));
});
process.on('disconnect', () => process.exit(0));
process.send!({ type: 'ready' });
