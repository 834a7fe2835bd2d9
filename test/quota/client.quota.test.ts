import { describe, expect, it } from 'vitest';
import { MemoryQuotaStore, QuotaError, type QuotaStore } from '../../src/index.js';
import { createSandbox } from '../../src/testing/index.js';
import { clientFor, ctx, rejection, setup } from '../helpers.js';

const person = (sandbox: { population: readonly { idNumber: string; fullName: string; dateOfBirth: string }[] }, i = 0) => {
  const { idNumber, fullName, dateOfBirth } = sandbox.population[i % sandbox.population.length]!;
  return { idNumber, fullName, dateOfBirth };
};
const codeOf = (p: Promise<unknown>) => p.then(() => 'ok', (e: { code: string }) => e.code);

describe('client-side quota through the public API', () => {
  it('stops below the lock: threshold 20, margin 10% → 18 served, the rest refused locally', async () => {
    const { sandbox, client, close } = await setup({ lockThreshold: 20 }, { quota: { lockThreshold: 20, safetyMargin: 0.1 } });
    try {
      const codes = [];
      for (let i = 0; i < 30; i++) codes.push(await codeOf(client.verifyCitizen(person(sandbox, i), ctx)));
      expect(codes.filter((c) => c === 'ok')).toHaveLength(18);
      expect(codes.filter((c) => c === 'ERR_QUOTA_EXCEEDED')).toHaveLength(12);
      expect(sandbox.stats()).toMatchObject({ total: 18, locked: false });
      const err = await rejection(client.verifyCitizen(person(sandbox), ctx));
      expect(err).toBeInstanceOf(QuotaError);
      expect(err).toMatchObject({ budget: 'global.day' });
      expect(err.retryAfterMs).toBeGreaterThan(0);
      const status = await client.quota.status();
      expect(status.budgets).toContainEqual({ id: 'global.day', kind: 'day', limit: 18, used: 18, remaining: 0 });
    } finally {
      await close();
    }
  });

  it('is on by default: 9,000 per Vietnam day', async () => {
    const { client, close } = await setup();
    try {
      expect((await client.quota.status()).budgets).toEqual([{ id: 'global.day', kind: 'day', limit: 9000, used: 0, remaining: 9000 }]);
    } finally {
      await close();
    }
  });

  it('per-operator cap: one operator at 10× its budget is refused while the others proceed', async () => {
    const { sandbox, client, close } = await setup({}, { quota: { perOperator: { perDay: 5 } } });
    try {
      const macro = { ...ctx, operator: { id: 'cb.macro', ip: '10.0.0.66' } };
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => codeOf(client.verifyCitizen(person(sandbox, i), macro))));
      expect(results.filter((c) => c === 'ok')).toHaveLength(5);
      expect(results.filter((c) => c === 'ERR_QUOTA_EXCEEDED')).toHaveLength(45);
      for (const id of ['cb.a', 'cb.b', 'cb.c']) {
        const others = { ...ctx, operator: { id, ip: '10.0.0.7' } };
        const r = await Promise.all(Array.from({ length: 5 }, (_, i) => codeOf(client.verifyCitizen(person(sandbox, i), others))));
        expect(r).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
      }
      expect(sandbox.stats().byOperator).toEqual({ 'cb.macro': 5, 'cb.a': 5, 'cb.b': 5, 'cb.c': 5 });
      const status = await client.quota.status({ operatorId: 'cb.macro' });
      expect(status.budgets).toContainEqual({ id: 'operator.day[cb.macro]', kind: 'day', limit: 5, used: 5, remaining: 0 });
    } finally {
      await close();
    }
  });

  it('per-purpose and per-unit budgets', async () => {
    const { sandbox, client, close } = await setup({}, { quota: { perPurpose: { 'HT-KHAISINH': { perDay: 2 } }, perUnit: { perDay: 3 } } });
    try {
      expect(await codeOf(client.verifyCitizen(person(sandbox), ctx))).toBe('ok');
      expect(await codeOf(client.verifyCitizen(person(sandbox), ctx))).toBe('ok');
      const err = await rejection(client.verifyCitizen(person(sandbox), ctx));
      expect(err).toMatchObject({ code: 'ERR_QUOTA_EXCEEDED', budget: 'purpose.day' });
      const other = { ...ctx, purpose: { code: 'DD-CAPGCN' } };
      expect(await codeOf(client.verifyCitizen(person(sandbox), other))).toBe('ok');
      expect(await rejection(client.verifyCitizen(person(sandbox), other))).toMatchObject({ budget: 'unit.day' });
      const ids = (await client.quota.status()).budgets.map((b) => b.id);
      expect(ids).toEqual(['global.day', 'unit.day', 'purpose.day[HT-KHAISINH]']);
    } finally {
      await close();
    }
  });

  it('every attempt spends quota, retries included; nothing is refunded', async () => {
    const { sandbox, client, close } = await setup({}, { quota: { perDay: 3 }, retry: { attempts: 3, baseDelayMs: 1 } });
    try {
      sandbox.inject('503', 3);
      expect(await codeOf(client.verifyCitizen(person(sandbox), ctx))).toBe('ERR_UPSTREAM');
      expect(await rejection(client.verifyCitizen(person(sandbox), ctx))).toMatchObject({ code: 'ERR_QUOTA_EXCEEDED', budget: 'global.day' });
      expect(sandbox.stats().total).toBe(3);
    } finally {
      await close();
    }
  });

  it('a retry refused by the quota stops the retries: the sandbox never sees more than the budget', async () => {
    const { sandbox, client, close } = await setup({}, { quota: { perDay: 2 }, retry: { attempts: 5, baseDelayMs: 1 } });
    try {
      sandbox.inject('500', 5);
      expect(await codeOf(client.verifyCitizen(person(sandbox), ctx))).toBe('ERR_QUOTA_EXCEEDED');
      expect(sandbox.stats().total).toBe(2);
    } finally {
      await close();
    }
  });

  it('onExhausted "wait": queued calls are served as room appears, interactive before batch', async () => {
    const { sandbox, client, close } = await setup({}, {
      quota: { perMinute: { rate: 600, burst: 1 }, onExhausted: 'wait', maxWaitMs: 2_000 }, // one every 100 ms
    });
    try {
      await client.verifyCitizen(person(sandbox), ctx); // takes the only token
      const order: string[] = [];
      const call = (name: string, priority: 'interactive' | 'batch') =>
        client.verifyCitizen(person(sandbox), { ...ctx, priority }).then(() => order.push(name));
      const batch1 = call('batch1', 'batch');
      await new Promise((r) => setTimeout(r, 10));
      const batch2 = call('batch2', 'batch');
      const interactive = call('interactive', 'interactive');
      await Promise.all([batch1, batch2, interactive]);
      // batch1 was already waiting at the head; the interactive call overtook batch2.
      expect(order).toEqual(['batch1', 'interactive', 'batch2']);
      expect(sandbox.stats().total).toBe(4);
    } finally {
      await close();
    }
  });

  it('onExhausted "wait" gives up after maxWaitMs, and never waits for a lock', async () => {
    const { sandbox, client, close } = await setup({}, { quota: { perDay: 1, onExhausted: 'wait', maxWaitMs: 100 } });
    try {
      await client.verifyCitizen(person(sandbox), ctx);
      const t = Date.now();
      expect(await rejection(client.verifyCitizen(person(sandbox), ctx))).toMatchObject({ code: 'ERR_QUOTA_EXCEEDED' });
      expect(Date.now() - t).toBeLessThan(100); // a day budget will not have room within 100 ms: refused at once
    } finally {
      await close();
    }
  });

  it('fails closed when the store does not answer: ERR_QUOTA_UNAVAILABLE within storeTimeoutMs, nothing sent', async () => {
    const hanging: QuotaStore = {
      reserve: () => new Promise(() => undefined),
      stop: () => undefined,
      status: () => [],
      activeStop: () => undefined,
    };
    const broken: QuotaStore = { ...hanging, reserve: () => Promise.reject(new Error('ECONNREFUSED 127.0.0.1:6379')) };
    const sandbox = await createSandbox({ populationSize: 5 });
    const a = clientFor(sandbox, { quota: { store: hanging, storeTimeoutMs: 150 } });
    const b = clientFor(sandbox, { quota: { store: broken } });
    try {
      const t = Date.now();
      const err = await rejection(a.verifyCitizen(person(sandbox), ctx));
      expect(err).toMatchObject({ code: 'ERR_QUOTA_UNAVAILABLE' });
      expect(Date.now() - t).toBeLessThan(1000);
      const err2 = await rejection(b.verifyCitizen(person(sandbox), ctx));
      expect(err2).toMatchObject({ code: 'ERR_QUOTA_UNAVAILABLE' });
      expect(String(err2.cause)).toContain('ECONNREFUSED');
      expect(sandbox.stats().total).toBe(0);
    } finally {
      await Promise.all([a.close(), b.close(), sandbox.close()]);
    }
  });

  it('a refused call on a cold client sends nothing, not even a token request (quota before token)', async () => {
    const sandbox = await createSandbox({ populationSize: 10 });
    const store = new MemoryQuotaStore();
    const spent = clientFor(sandbox, { quota: { store, perDay: 1 } });
    const down: QuotaStore = {
      reserve: () => Promise.reject(new Error('connection refused')),
      stop: () => undefined,
      status: () => [],
      activeStop: () => undefined,
    };
    const cold = clientFor(sandbox, { quota: { store, perDay: 1 } });
    const unreachable = clientFor(sandbox, { quota: { store: down, storeTimeoutMs: 50 } });
    try {
      expect(await codeOf(spent.verifyCitizen(person(sandbox), ctx))).toBe('ok');
      const before = sandbox.stats();
      expect(before).toMatchObject({ tokenRequests: 1, total: 1 });
      expect(await codeOf(cold.verifyCitizen(person(sandbox, 1), ctx))).toBe('ERR_QUOTA_EXCEEDED');
      expect(await codeOf(unreachable.verifyCitizen(person(sandbox, 2), ctx))).toBe('ERR_QUOTA_UNAVAILABLE');
      expect(sandbox.stats(), 'no token request and no API request for refused calls').toMatchObject({ tokenRequests: 1, total: 1 });
    } finally {
      await Promise.all([spent.close(), cold.close(), unreachable.close()]);
      await sandbox.close();
    }
  });

  it('opt-in fallback: a conservative local share (budget ÷ instances) while the store is down', async () => {
    const down: QuotaStore = {
      reserve: () => Promise.reject(new Error('down')),
      stop: () => Promise.reject(new Error('down')),
      status: () => [],
      activeStop: () => undefined,
    };
    const { sandbox, client, close } = await setup({}, { quota: { store: down, perDay: 40, fallback: { instances: 4 } } });
    try {
      const codes = [];
      for (let i = 0; i < 15; i++) codes.push(await codeOf(client.verifyCitizen(person(sandbox, i), ctx)));
      expect(codes.filter((c) => c === 'ok')).toHaveLength(10);
      expect(sandbox.stats().total).toBe(10);
    } finally {
      await close();
    }
  });

  it('a lock seen by one client stops every client sharing the store, without a request', async () => {
    const store = new MemoryQuotaStore();
    const sandbox = await createSandbox({ populationSize: 5, lockThreshold: 3 });
    const a = clientFor(sandbox, { quota: { store } });
    const b = clientFor(sandbox, { quota: { store } });
    try {
      for (let i = 0; i < 3; i++) await a.verifyCitizen(person(sandbox), ctx);
      expect(await codeOf(a.verifyCitizen(person(sandbox), ctx))).toBe('ERR_UPSTREAM_LOCKED');
      const seen = sandbox.stats().total;
      const errs = await Promise.all(Array.from({ length: 20 }, () => rejection(b.verifyCitizen(person(sandbox), ctx))));
      expect(errs.every((e) => e.code === 'ERR_UPSTREAM_LOCKED')).toBe(true);
      expect(errs[0].lockedUntil).toMatch(/T00:00:00\.000\+07:00$/);
      expect(sandbox.stats().total).toBe(seen);
      expect((await b.quota.status()).stop).toMatchObject({ reason: 'locked' });
    } finally {
      await Promise.all([a.close(), b.close(), sandbox.close()]);
    }
  });
});
