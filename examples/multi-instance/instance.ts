/**
 * One instance of a procedure system: its own dancu client, the deployment's shared Redis quota.
 * Started by main.ts with the sandbox URL and credentials in the environment.
 */
import { Redis } from 'ioredis';
import { createClient, isDancuError, RedisQuotaStore } from '../../src/index.js';
import { SANDBOX_PURPOSES } from '../../src/testing/index.js';

const env = (name: string) => process.env[name] ?? (() => { throw new Error(`${name} is not set`); })();

const redis = new Redis(env('REDIS_URL'), { enableOfflineQueue: false, maxRetriesPerRequest: 0 });
await new Promise((resolve) => redis.once('ready', resolve));

const client = createClient({
  baseUrl: env('SANDBOX_URL'),
  credentials: { clientId: env('SANDBOX_CLIENT_ID'), clientSecret: env('SANDBOX_CLIENT_SECRET') },
  system: { id: 'mot-cua', unitCode: 'UBND-X', version: '1.0.0' },
  purposes: SANDBOX_PURPOSES,
  stateSecret: env('DANCU_STATE_SECRET'), // the same in every process: keys the guard state they share in Redis
  audit: { directory: process.env['DANCU_AUDIT_DIR'] ?? 'dancu-audit' }, // one chain per process, in one directory
  quota: {
    store: new RedisQuotaStore({ client: redis, prefix: env('QUOTA_PREFIX') }),
    perDay: Number(env('PER_DAY')),
    storeTimeoutMs: Number(process.env['QUOTA_STORE_TIMEOUT_MS'] ?? 1000), // fail closed after this
  },
});

const citizens = JSON.parse(env('CITIZENS')) as Array<{ idNumber: string; fullName: string; dateOfBirth: string }>;
const counts: Record<string, number> = {};
await Promise.all(
  citizens.map(async (c, i) => {
    const code = await client
      .verifyCitizen(c, { purpose: { code: 'HT-KHAISINH', dossierId: `HS-${process.pid}-${i}` }, operator: { id: `cb.${process.pid}`, ip: '10.0.0.9' } })
      .then(() => 'ok', (err: unknown) => (isDancuError(err) ? err.code : 'error'));
    counts[code] = (counts[code] ?? 0) + 1;
  }),
);
await client.close();
redis.disconnect();
process.stdout.write(JSON.stringify({ pid: process.pid, counts }) + '\n');
