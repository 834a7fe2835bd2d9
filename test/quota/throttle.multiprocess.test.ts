/**
 * The API manager in front of a gateway throttles with HTTP 429 and `nextAccessTime` (WSO2 code
 * 900804 for a subscription quota). One process hears it; every process sharing the Redis quota
 * store stops until that time — not for an assumed 60 s — and starts again after it.
 */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiManagerThrottleAnswer, createSandbox, LgspGateway, type Sandbox } from '../../src/testing/index.js';
import { redisAvailable } from '../services.js';
import { runAll, startWorker, stopWorkers } from '../workers.js';
import type { ThrottleCall } from './throttle-worker.js';

const hasRedis = await redisAvailable();

describe.skipIf(!hasRedis)('a 429 with nextAccessTime stops every process sharing Redis until that time', () => {
  let workers: ChildProcess[] = [];
  let sandbox: Sandbox;
  let throttleUntil = 0;
  let throttleNext = false;
  beforeAll(async () => {
    sandbox = await createSandbox({
      populationSize: 20,
      profile: 'lgsp-soap',
      // The strict LGSP gateway, with the API manager in front of it answering one throttle on demand.
      gateway: (sim) => {
        const lgsp = new LgspGateway(sim);
        return {
          async handle(req) {
            if (throttleNext && req.path !== '/token') {
              throttleNext = false;
              return apiManagerThrottleAnswer(throttleUntil);
            }
            return lgsp.handle(req);
          },
        };
      },
    });
    workers = await Promise.all([0, 1].map(() => startWorker(new URL('./throttle-worker.ts', import.meta.url))));
  }, 30_000);
  afterAll(async () => {
    await stopWorkers(workers);
    await sandbox?.close();
  });

  const call = async (w: ChildProcess, i: number, prefix: string, settle = false) => {
    const c = sandbox.population[i]!;
    const { results } = runAll<Omit<ThrottleCall, 'type' | 'runId'>, { runId: string; outcome: string; retryAfterMs?: number }>([w], {
      url: sandbox.url, credentials: sandbox.credentials, prefix, settle, citizen: { idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth },
    });
    return (await results)[0]!;
  };

  it('A is throttled (900804); B sends nothing until nextAccessTime, then calls again', async () => {
    const prefix = `dancu-throttle-${randomUUID()}`;
    const [a, b] = workers as [ChildProcess, ChildProcess];
    expect((await call(a, 0, prefix, true)).outcome).toBe('ok');
    expect((await call(b, 1, prefix, true)).outcome).toBe('ok');
    // nextAccessTime has whole seconds: 3 s from the next whole second.
    throttleUntil = Math.ceil(Date.now() / 1000) * 1000 + 3_000;
    throttleNext = true;
    const throttled = await call(a, 2, prefix);
    expect(throttled.outcome).toBe('ERR_UPSTREAM_RATE_LIMITED');
    expect(throttled.retryAfterMs).toBeGreaterThan(1_500);
    expect(throttled.retryAfterMs).toBeLessThanOrEqual(4_000);
    const sent = sandbox.stats().total;
    const refused = await call(b, 3, prefix); // the other process: refused locally, nothing sent
    expect(refused.outcome).not.toBe('ok');
    expect(sandbox.stats().total).toBe(sent);
    const again = await call(a, 4, prefix);
    expect(again.outcome).not.toBe('ok');
    expect(sandbox.stats().total).toBe(sent);
    await new Promise((r) => setTimeout(r, Math.max(0, throttleUntil - Date.now()) + 300));
    expect((await call(b, 5, prefix)).outcome).toBe('ok'); // well before the 60 s a bare 429 would cost
    expect((await call(a, 6, prefix)).outcome).toBe('ok');
    expect(sandbox.stats().total).toBe(sent + 2);
  }, 30_000);
});
