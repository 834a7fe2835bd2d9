import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RateLimitedError, TransportError, UpstreamError, UpstreamLockedError, type DancuClient } from '../src/index.js';
import type { Sandbox } from '../src/testing/index.js';
import { clientFor, ctx, rejection, setup } from './helpers.js';

describe('upstream failures are typed and never retried blindly', () => {
  let sandbox: Sandbox;
  let client: DancuClient;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ sandbox, client, close } = await setup({ slowMs: 1_500 }, { timeoutMs: 400, maxResponseBytes: 64 * 1024 }));
  });
  afterAll(() => close());
  beforeEach(() => sandbox.reset());

  const input = () => {
    const c = sandbox.population[1]!;
    return { idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth };
  };

  it.each([
    ['malformed', 'ERR_UPSTREAM_RESPONSE', UpstreamError],
    ['invalid-schema', 'ERR_UPSTREAM_RESPONSE', UpstreamError],
    ['oversize', 'ERR_UPSTREAM_RESPONSE', UpstreamError],
    ['redirect', 'ERR_UPSTREAM', UpstreamError],
  ] as const)('fault %s → %s, not retried: exactly one upstream request', async (fault, code, cls) => {
    sandbox.inject(fault);
    const err = await rejection(client.verifyCitizen(input(), ctx));
    expect(err).toBeInstanceOf(cls);
    expect(err.code).toBe(code);
    expect(err.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(sandbox.stats().total).toBe(1);
    // The client is still usable afterwards.
    await expect(client.verifyCitizen(input(), ctx)).resolves.toMatchObject({ match: true });
  });

  it('a redirect is refused, not followed: nothing reaches its Location, the error says redirect', async () => {
    // The sandbox's redirect points at 127.0.0.1:9 (discard): following it would fail differently.
    for (const engine of ['fetch', 'undici'] as const) {
      sandbox.reset();
      sandbox.inject('redirect');
      const own = engine === 'fetch' ? client : clientFor(sandbox, { httpEngine: 'undici', timeoutMs: 400 });
      const err = await rejection(own.verifyCitizen(input(), ctx));
      if (own !== client) await own.close();
      expect(err).toBeInstanceOf(UpstreamError);
      expect(err.code).toBe('ERR_UPSTREAM');
      expect(err.message).toMatch(/redirect.*never followed/);
      // fetch refuses a redirect as a network error without its status (as the Fetch standard has it);
      // the undici engine sees the answer itself.
      expect(err.status).toBe(engine === 'fetch' ? 0 : 302);
      expect(sandbox.stats().total).toBe(1); // not retried
    }
  });

  it.each([
    ['500', 'ERR_UPSTREAM', UpstreamError],
    ['503', 'ERR_UPSTREAM', UpstreamError],
    ['reset', 'ERR_UPSTREAM_UNREACHABLE', TransportError],
    ['slow', 'ERR_TIMEOUT', TransportError],
  ] as const)('fault %s is retried: once → recovered; on every attempt → %s after 3 attempts', async (fault, code, cls) => {
    sandbox.inject(fault);
    const recovered = await client.verifyCitizen(input(), ctx);
    expect(recovered.match).toBe(true);
    expect(sandbox.stats().total).toBe(2);
    sandbox.reset();
    sandbox.inject(fault, 3);
    const err = await rejection(client.verifyCitizen(input(), ctx));
    expect(err).toBeInstanceOf(cls);
    expect(err.code).toBe(code);
    expect(sandbox.stats().total).toBe(3);
  });

  it('an expired token is refreshed once and the call retried once', async () => {
    await client.verifyCitizen(input(), ctx);
    const tokensBefore = sandbox.stats().tokenRequests;
    sandbox.expireTokens();
    await expect(client.verifyCitizen(input(), ctx)).resolves.toMatchObject({ match: true });
    const s = sandbox.stats();
    expect(s.tokenRequests - tokensBefore).toBe(1);
    expect(s.byStatus).toMatchObject({ '200': 2, '401': 1 });
  });

  it('concurrent 401s share one refresh', async () => {
    await client.verifyCitizen(input(), ctx);
    const tokensBefore = sandbox.stats().tokenRequests;
    sandbox.expireTokens();
    await Promise.all(Array.from({ length: 20 }, () => client.verifyCitizen(input(), ctx)));
    expect(sandbox.stats().tokenRequests - tokensBefore).toBe(1);
  });
});

describe('refusals by the upstream', () => {
  it('past the threshold: ERR_UPSTREAM_LOCKED until the next Vietnam midnight, every request refused', async () => {
    const { sandbox, client, close } = await setup({ lockThreshold: 5 });
    try {
      const c = sandbox.population[0]!;
      const input = { idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth };
      for (let i = 0; i < 5; i++) await client.verifyCitizen(input, ctx);
      const err = await rejection(client.verifyCitizen(input, ctx));
      expect(err).toBeInstanceOf(UpstreamLockedError);
      expect(err.code).toBe('ERR_UPSTREAM_LOCKED');
      expect(err.status).toBe(423);
      expect(err.lockedUntil).toMatch(/T00:00:00\.000\+07:00$/);
      expect(err.message).toMatch(/do not retry/);
      const again = await rejection(client.verifyCitizen(input, ctx));
      expect(again.code).toBe('ERR_UPSTREAM_LOCKED');
      // The lock opened the client's stop: the second refusal never reached the upstream.
      expect(sandbox.stats()).toMatchObject({ locked: true, total: 6, served: 5, refused: 1 });
    } finally {
      await close();
    }
  });

  it('the lock resets at Vietnam midnight, not at UTC midnight', async () => {
    // 16:59:59 UTC = 23:59:59 in Vietnam.
    let now = Date.UTC(2026, 10, 23, 16, 59, 59);
    const { sandbox, client, close } = await setup({ lockThreshold: 1, clock: () => now }, { clock: () => now });
    try {
      const c = sandbox.population[0]!;
      const input = { idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth };
      await client.verifyCitizen(input, ctx);
      expect((await rejection(client.verifyCitizen(input, ctx))).code).toBe('ERR_UPSTREAM_LOCKED');
      now += 1_000; // 00:00:00 in Vietnam: a new day.
      await expect(client.verifyCitizen(input, ctx)).resolves.toMatchObject({ match: true });
      expect(sandbox.stats()).toMatchObject({ day: '2026-11-24', dayCount: 1, locked: false });
      // 23:59:59 UTC is 06:59:59 of the same Vietnam day: the second query today passes the threshold.
      now = Date.UTC(2026, 10, 23, 23, 59, 59);
      expect((await rejection(client.verifyCitizen(input, ctx))).code).toBe('ERR_UPSTREAM_LOCKED');
      now += 2_000; // across UTC midnight: nothing resets.
      expect((await rejection(client.verifyCitizen(input, ctx))).code).toBe('ERR_UPSTREAM_LOCKED');
      expect(sandbox.stats()).toMatchObject({ day: '2026-11-24', locked: true, lockedUntil: '2026-11-25T00:00:00.000+07:00' });
    } finally {
      await close();
    }
  });

  it('429 → ERR_UPSTREAM_RATE_LIMITED with retryAfterMs from Retry-After', async () => {
    const { sandbox, client, close } = await setup({ perMinuteLimit: 2 });
    try {
      const c = sandbox.population[0]!;
      const input = { idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth };
      await client.verifyCitizen(input, ctx);
      await client.verifyCitizen(input, ctx);
      const err = await rejection(client.verifyCitizen(input, ctx));
      expect(err).toBeInstanceOf(RateLimitedError);
      expect(err.code).toBe('ERR_UPSTREAM_RATE_LIMITED');
      expect(err.retryAfterMs).toBeGreaterThan(0);
      expect(err.retryAfterMs).toBeLessThanOrEqual(60_000);
    } finally {
      await close();
    }
  });

  it('a purpose the account is not licensed for upstream (004) and an operator not permitted (005)', async () => {
    const { sandbox, client, close } = await setup({ licensedPurposes: ['DD-CAPGCN'], permittedOperators: ['cb.other'] });
    try {
      const c = sandbox.population[0]!;
      const input = { idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth };
      const purpose = await rejection(client.verifyCitizen(input, ctx));
      expect(purpose).toMatchObject({ code: 'ERR_UPSTREAM_PURPOSE_REFUSED', status: 403, upstreamCode: '004' });
      const operator = await rejection(client.verifyCitizen(input, { ...ctx, purpose: { code: 'DD-CAPGCN' } }));
      expect(operator).toMatchObject({ code: 'ERR_UPSTREAM_OPERATOR_REFUSED', status: 403, upstreamCode: '005' });
    } finally {
      await close();
    }
  });

  it('wrong client credentials → ERR_UNAUTHORIZED, one token request, no API request', async () => {
    const { sandbox, close } = await setup();
    const bad = clientFor(sandbox, { credentials: { clientId: sandbox.credentials.clientId, clientSecret: 'Wrong-7f3c!Zq9-xK2p' } });
    try {
      const c = sandbox.population[0]!;
      const err = await rejection(bad.verifyCitizen({ idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth }, ctx));
      expect(err.code).toBe('ERR_UNAUTHORIZED');
      expect(err.message).not.toContain('Wrong-7f3c!Zq9-xK2p');
      expect(sandbox.stats()).toMatchObject({ tokenRequests: 1, total: 0 });
    } finally {
      await bad.close();
      await close();
    }
  });

  it('an unreachable upstream → ERR_UPSTREAM_UNREACHABLE', async () => {
    const { sandbox, close } = await setup();
    await close(); // the port is now closed
    const dead = clientFor(sandbox);
    try {
      const c = sandbox.population[0]!;
      const err = await rejection(dead.verifyCitizen({ idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth }, ctx));
      expect(err.code).toBe('ERR_UPSTREAM_UNREACHABLE');
    } finally {
      await dead.close();
    }
  });
});
