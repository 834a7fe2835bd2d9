/**
 * A deployment process for the multi-process tests (run with `node --import tsx`): one dancu
 * client with a RedisQuotaStore, N concurrent callers, driven by the parent over IPC.
 */
import { Redis, type Cluster } from 'ioredis';
import { createClient, isDancuError, MemoryAuditSink, RedisQuotaStore, type DancuClient } from '../../src/index.js';
import { SANDBOX_PURPOSES } from '../../src/testing/index.js';
import { ioredisCluster } from '../cluster-nodes.js';

export interface RunMessage {
  type: 'run';
  runId: string;
  url: string;
  credentials: { clientId: string; clientSecret: string };
  redisUrl: string;
  prefix: string;
  perDay: number;
  callers: number;
  /** Calls per caller; with `untilStopped` callers loop until the parent says stop. */
  callsPerCaller: number;
  untilStopped?: boolean;
  /** Pause between a caller's calls, ms (pacing for the long-running mode). */
  pauseMs?: number;
  retryAttempts: number;
  /** Quota store timeout, ms: generous for exactness runs, short for the Redis-down run. */
  storeTimeoutMs: number;
  /** The store's heartbeat and recovery window after a Redis data loss, ms (defaults when absent). */
  heartbeatMs?: number;
  recoveryMs?: number;
  citizens: Array<{ idNumber: string; fullName: string; dateOfBirth: string }>;
}

export interface RunResult {
  type: 'result';
  runId: string;
  pid: number;
  counts: Record<string, number>;
  /** Longest time a call took to fail with ERR_QUOTA_UNAVAILABLE, ms. */
  unavailableMaxMs: number;
  /** Time of each success (epoch ms), for phase checks. */
  successAt: number[];
}

const redisClients = new Map<string, Redis | Cluster>();
let stopRequested = false;

/** `url` is a Redis URL, or `cluster` for the test Cluster (test/cluster-nodes.ts). */
function redisFor(url: string): Redis | Cluster {
  let r = redisClients.get(url);
  if (!r) {
    // Fail fast while disconnected: no offline queue that would replay reservations later.
    r = url === 'cluster' ? ioredisCluster({ failFast: true }) : new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => 100 });
    r.on('error', () => undefined);
    redisClients.set(url, r);
  }
  return r;
}

async function connected(r: Redis | Cluster): Promise<void> {
  if (r.status === 'ready') return;
  await new Promise<void>((resolve) => r.once('ready', () => resolve()));
}

async function run(m: RunMessage): Promise<RunResult> {
  stopRequested = false;
  if (!m.untilStopped) await connected(redisFor(m.redisUrl));
  const store = new RedisQuotaStore({
    client: redisFor(m.redisUrl),
    prefix: m.prefix,
    ...(m.heartbeatMs ? { heartbeatMs: m.heartbeatMs } : {}),
    ...(m.recoveryMs ? { recoveryMs: m.recoveryMs } : {}),
  });
  const client: DancuClient = createClient({
    baseUrl: m.url,
    credentials: m.credentials,
    system: { id: 'multi-process-test', unitCode: 'TEST', version: '1' },
    purposes: SANDBOX_PURPOSES,
    stateSecret: 'multi-process-test-state-secret-0123456789', // the same in every worker
    quota: { store, perDay: m.perDay, storeTimeoutMs: m.storeTimeoutMs },
    retry: { attempts: m.retryAttempts, baseDelayMs: 5, maxDelayMs: 20 },
    cache: { enabled: false }, // these runs measure the quota: every call must try the upstream
    audit: { sink: new MemoryAuditSink() }, // the audit trail has its own multi-process tests
  });
  const result: RunResult = { type: 'result', runId: m.runId, pid: process.pid, counts: {}, unavailableMaxMs: 0, successAt: [] };
  const ctx = { purpose: { code: 'HT-KHAISINH' }, operator: { id: `op-${process.pid}`, ip: '10.1.1.1' } };
  await Promise.all(
    Array.from({ length: m.callers }, async (_, caller) => {
      for (let i = 0; m.untilStopped ? !stopRequested : i < m.callsPerCaller; i++) {
        const citizen = m.citizens[(caller * 31 + i) % m.citizens.length]!;
        const t = Date.now();
        let code = 'ok';
        try {
          await client.verifyCitizen(citizen, ctx);
          result.successAt.push(Date.now());
        } catch (err) {
          code = isDancuError(err) ? err.code : 'non-dancu';
          if (code === 'ERR_QUOTA_UNAVAILABLE') result.unavailableMaxMs = Math.max(result.unavailableMaxMs, Date.now() - t);
        }
        result.counts[code] = (result.counts[code] ?? 0) + 1;
        // A denied caller in a loop would spin; give the event loop a breath between calls.
        if (m.untilStopped) await new Promise((r) => setTimeout(r, code === 'ok' ? (m.pauseMs ?? 0) : 20));
        else if (m.pauseMs) await new Promise((r) => setTimeout(r, m.pauseMs)); // paced: the run outlasts the parent's Redis kills
      }
    }),
  );
  await client.close();
  (store as { close?: () => void }).close?.(); // optional: stores before the heartbeat had none
  return result;
}

process.on('message', (m: RunMessage | { type: 'stop' } | { type: 'exit' }) => {
  if (m.type === 'stop') stopRequested = true;
  else if (m.type === 'exit') {
    for (const r of redisClients.values()) r.disconnect();
    process.disconnect();
  } else void run(m).then((r) => process.send!(r));
});
// Never outlive the test that started us (a failed test may not say goodbye).
process.on('disconnect', () => process.exit(0));
process.send!({ type: 'ready' });
