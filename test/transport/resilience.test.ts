/**
 * The SDK against a hostile or failing upstream, over real HTTP with the sandbox's fault injection:
 * circuit breaker, Retry-After, oversized and dripping bodies.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CircuitOpenError, MemoryAuditSink, UpstreamError, UpstreamLockedError } from '../../src/index.js';
import { clientFor, rejection, setup, ctx, verifyInput } from '../helpers.js';

const v = verifyInput;
/** Memory a body can take: the JS heap, and what lives outside it (buffers, decoded strings). */
const used = () => {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
};
describe('circuit breaker', () => {
  it('opens after consecutive failures: then refuses at once with no request and no quota', async () => {
    let now = Date.now();
    const sink = new MemoryAuditSink();
    const { sandbox, client, close } = await setup({}, { clock: () => now, audit: { sink }, retry: { attempts: 1 }, breaker: { failureThreshold: 3, cooldownMs: 10_000 } });
    try {
      const people = sandbox.population;
      await client.verifyCitizen(v(people[0]!), ctx);
      sandbox.inject('500', 2);
      sandbox.inject('reset', 1);
      for (let i = 1; i <= 3; i++) await rejection(client.verifyCitizen(v(people[i]!), ctx));
      const before = sandbox.stats().total;
      const used = (await client.quota.status()).budgets.find((b) => b.id === 'global.day')!.used;
      const err = await rejection(client.verifyCitizen(v(people[4]!), ctx));
      expect(err).toBeInstanceOf(CircuitOpenError);
      expect(err.code).toBe('ERR_CIRCUIT_OPEN');
      expect(err.retryAfterMs).toBe(10_000);
      expect(sandbox.stats().total).toBe(before);
      expect((await client.quota.status()).budgets.find((b) => b.id === 'global.day')!.used).toBe(used);
      expect(sink.events.at(-1)).toMatchObject({ type: 'lookup.outcome', outcome: 'denied', code: 'ERR_CIRCUIT_OPEN' });
      // A success in between resets the count: 2 failures, 1 success, 2 failures do not open it.
      now += 10_000;
      await client.verifyCitizen(v(people[5]!), ctx); // the probe closes it
      sandbox.inject('500', 2);
      for (const i of [6, 7]) await rejection(client.verifyCitizen(v(people[i]!), ctx));
      await client.verifyCitizen(v(people[8]!), ctx);
      sandbox.inject('500', 2);
      for (const i of [9, 10]) expect((await rejection(client.verifyCitizen(v(people[i]!), ctx))).code).toBe('ERR_UPSTREAM');
      await client.verifyCitizen(v(people[11]!), ctx);
    } finally {
      await close();
    }
  });

  it('half-open: of 50 concurrent callers exactly 1 probe reaches the upstream; its success closes the breaker', async () => {
    let now = Date.now();
    const { sandbox, client, close } = await setup({ slowMs: 300 }, { clock: () => now, retry: { attempts: 1 }, breaker: { failureThreshold: 2, cooldownMs: 5_000 } });
    try {
      const people = sandbox.population;
      sandbox.inject('502', 2);
      for (const i of [0, 1]) await rejection(client.verifyCitizen(v(people[i]!), ctx));
      now += 5_000;
      sandbox.reset();
      sandbox.inject('slow', 1); // the probe takes 300 ms: every other caller arrives while it is in flight
      const results = await Promise.allSettled(people.slice(10, 60).map((p) => client.verifyCitizen(v(p), ctx)));
      expect(sandbox.stats().total).toBe(1);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as CircuitOpenError] : []));
      expect(refused).toHaveLength(49);
      expect(refused.every((e) => e.code === 'ERR_CIRCUIT_OPEN')).toBe(true);
      const after = await Promise.all(people.slice(60, 70).map((p) => client.verifyCitizen(v(p), ctx)));
      expect(after).toHaveLength(10);
      expect(sandbox.stats().total).toBe(11);
    } finally {
      await close();
    }
  });

  it('a failed probe opens it again for another cooldown', async () => {
    let now = Date.now();
    const { sandbox, client, close } = await setup({}, { clock: () => now, retry: { attempts: 1 }, breaker: { failureThreshold: 2, cooldownMs: 5_000 } });
    try {
      const p = sandbox.population;
      sandbox.inject('500', 3);
      for (const i of [0, 1]) await rejection(client.verifyCitizen(v(p[i]!), ctx));
      now += 5_000;
      expect((await rejection(client.verifyCitizen(v(p[2]!), ctx))).code).toBe('ERR_UPSTREAM'); // the probe
      expect((await rejection(client.verifyCitizen(v(p[3]!), ctx))).code).toBe('ERR_CIRCUIT_OPEN');
      expect(sandbox.stats().total).toBe(3);
      now += 5_000;
      await client.verifyCitizen(v(p[4]!), ctx);
    } finally {
      await close();
    }
  });

  it('a lock opens it at once, until the lock ends: ERR_UPSTREAM_LOCKED with no request', async () => {
    const { sandbox, client, close } = await setup({ lockThreshold: 3 }, { quota: { lockThreshold: 1_000_000, safetyMargin: 0.1 }, breaker: { failureThreshold: 100 } });
    try {
      const p = sandbox.population;
      for (const i of [0, 1, 2]) await client.verifyCitizen(v(p[i]!), ctx);
      const first = await rejection(client.verifyCitizen(v(p[3]!), ctx));
      expect(first).toBeInstanceOf(UpstreamLockedError);
      const seen = sandbox.stats().total;
      for (const i of [4, 5, 6]) {
        const err = await rejection(client.verifyCitizen(v(p[i]!), ctx));
        expect(err.code).toBe('ERR_UPSTREAM_LOCKED');
        expect(err.lockedUntil).toBe(first.lockedUntil);
      }
      expect(sandbox.stats().total).toBe(seen);
    } finally {
      await close();
    }
  });
});

describe('Retry-After', () => {
  it('a 503 with Retry-After is retried after the time it asks, within the cap', async () => {
    const { sandbox, client, close } = await setup({}, { retry: { attempts: 3, baseDelayMs: 1 } });
    try {
      sandbox.inject('unavailable', 1); // 503, Retry-After: 1
      const t0 = performance.now();
      const r = await client.verifyCitizen(v(sandbox.population[0]!), ctx);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(990);
      expect(r.match).toBe(true);
      expect(sandbox.stats().total).toBe(2);
    } finally {
      await close();
    }
  });

  it('a Retry-After beyond the cap is not waited for: the call fails at once and says how long', async () => {
    const { sandbox, client, close } = await setup({}, { retry: { attempts: 3, maxRetryAfterMs: 500 } });
    try {
      sandbox.inject('unavailable', 1);
      const err = await rejection(client.verifyCitizen(v(sandbox.population[0]!), ctx));
      expect(err).toBeInstanceOf(UpstreamError);
      expect(err).toMatchObject({ code: 'ERR_UPSTREAM', status: 503, retryAfterMs: 1_000 });
      expect(sandbox.stats().total).toBe(1);
    } finally {
      await close();
    }
  });
});

describe('hostile bodies', () => {
  it('a 100 MB body is cut off at maxResponseBytes: memory growth < 50 MB, ERR_UPSTREAM_RESPONSE, not cached', async () => {
    const { sandbox, client, close } = await setup({}, { retry: { attempts: 1 }, cache: { enabled: true } });
    try {
      const c = v(sandbox.population[0]!);
      await client.verifyCitizen(v(sandbox.population[1]!), ctx); // warm up connection and token
      globalThis.gc?.();
      const base = used();
      let peak = base;
      const sampler = setInterval(() => (peak = Math.max(peak, used())), 5);
      sandbox.inject('flood', 1);
      const err = await rejection(client.verifyCitizen(c, ctx));
      clearInterval(sampler);
      peak = Math.max(peak, used());
      expect(err.code).toBe('ERR_UPSTREAM_RESPONSE');
      expect(peak - base).toBeLessThan(50 * 1024 * 1024);
      const again = await client.verifyCitizen(c, ctx);
      expect(again.source).toBe('upstream'); // the failure was not cached
    } finally {
      await close();
    }
  });

  it('a gzip bomb (64 MB of JSON in 64 kB, with a true content-length) is counted as it inflates: ERR_UPSTREAM_RESPONSE, memory growth < 50 MB', async () => {
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20));
    const upstream = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': String(bomb.length) });
      res.end(bomb);
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const bombUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/`;
    const { sandbox, close } = await setup();
    // Once armed, the token still from the sandbox, the answer from the bomb: a hostile upstream behind a real socket.
    let armed = false;
    const client = clientFor(sandbox, {
      retry: { attempts: 1 },
      fetch: (input, init) => globalThis.fetch(armed && !String(input).endsWith('/token') ? bombUrl : input, init),
    });
    try {
      await client.verifyCitizen(v(sandbox.population[1]!), ctx); // warm up on the sandbox: token, connection
      armed = true;
      globalThis.gc?.();
      const base = used();
      let peak = base;
      const sampler = setInterval(() => (peak = Math.max(peak, used())), 5);
      const err = await rejection(client.verifyCitizen(v(sandbox.population[0]!), ctx));
      clearInterval(sampler);
      peak = Math.max(peak, used());
      expect(err.code).toBe('ERR_UPSTREAM_RESPONSE');
      expect(peak - base).toBeLessThan(50 * 1024 * 1024);
    } finally {
      await client.close();
      await close();
      await new Promise((r) => upstream.close(r));
    }
  });

  it('a body that drips forever ends at the deadline (+100 ms), with ERR_TIMEOUT', async () => {
    const { sandbox, client, close } = await setup({}, { retry: { attempts: 1 }, timeoutMs: 500 });
    try {
      await client.verifyCitizen(v(sandbox.population[1]!), ctx); // token fetched outside the measured call
      const elapsed: number[] = [];
      for (let i = 0; i < 3; i++) {
        sandbox.inject('drip', 1);
        const t0 = performance.now();
        const err = await rejection(client.verifyCitizen(v(sandbox.population[2 + i]!), ctx));
        elapsed.push(performance.now() - t0);
        expect(err.code).toBe('ERR_TIMEOUT');
      }
      elapsed.sort((a, b) => a - b);
      expect(elapsed[1]!).toBeLessThan(600); // median of 3: robust to one stall of a shared machine
    } finally {
      await close();
    }
  });
});
