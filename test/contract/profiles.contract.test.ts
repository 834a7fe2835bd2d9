/**
 * One contract, every wire profile: the same suite runs against the sandbox playing the reference
 * REST gateway and the LGSP SOAP gateway, over real HTTP. What a vendor sees — results, error
 * codes, token refresh, lock, throttle, malformed answers — must not depend on the gateway.
 */
import { describe, expect, it } from 'vitest';
import { createClient, MemoryAuditSink, RateLimitedError, UpstreamLockedError, type DancuClient, type DancuClientOptions } from '../../src/index.js';
import { createSandbox, SANDBOX_PURPOSES, type Sandbox, type SandboxOptions } from '../../src/testing/index.js';
import { ctx, lookupCtx, rejection, verifyInput } from '../helpers.js';

const v = verifyInput;
for (const profile of ['reference', 'lgsp-soap'] as const) {
  describe(`wire profile contract: ${profile}`, () => {
    async function setup(opts: SandboxOptions = {}, client: Partial<DancuClientOptions> = {}): Promise<{ sandbox: Sandbox; client: DancuClient; sink: MemoryAuditSink; close(): Promise<void> }> {
      const sandbox = await createSandbox({ populationSize: 100, profile, ...opts });
      const sink = new MemoryAuditSink();
      const c = createClient({
        baseUrl: sandbox.url,
        credentials: sandbox.credentials,
        profile: sandbox.profile,
        system: { id: 'contract', unitCode: 'U1', version: '1' },
        purposes: SANDBOX_PURPOSES,
        cache: { enabled: false },
        audit: { sink },
        ...client,
      });
      return { sandbox, client: c, sink, close: async () => (await c.close(), await sandbox.close()) };
    }

    it('verify: match, mismatch per field, not found; one token for all', async () => {
      const { sandbox, client, close } = await setup();
      try {
        expect(sandbox.profile.name).toBe(profile);
        const p = sandbox.population[0]!;
        const ok = await client.verifyCitizen(v(p), ctx);
        expect(ok).toMatchObject({ found: true, match: true, fields: { fullName: true, dateOfBirth: true }, source: 'upstream' });
        const wrongName = await client.verifyCitizen({ ...v(p), fullName: 'Nguyễn Thị Không Khớp' }, ctx);
        expect(wrongName).toMatchObject({ found: true, match: false, fields: { fullName: false, dateOfBirth: true } });
        const withSex = await client.verifyCitizen({ ...v(p), sex: p.sex }, ctx);
        expect(withSex).toMatchObject({ match: true, fields: { fullName: true, dateOfBirth: true, sex: true } });
        const missing = await client.verifyCitizen({ idNumber: '001099000001', fullName: 'Không Có', dateOfBirth: '1999' }, ctx);
        expect(missing).toMatchObject({ found: false, match: false });
        expect(sandbox.stats()).toMatchObject({ total: 4, served: 4, tokenRequests: 1 });
      } finally {
        await close();
      }
    });

    it('lookup: only the fields asked for come back', async () => {
      const { sandbox, client, close } = await setup();
      try {
        const p = sandbox.population[1]!;
        const r = await client.lookupCitizen({ idNumber: p.idNumber }, { ...lookupCtx, fields: ['fullName', 'permanentAddress'] });
        expect(r.found).toBe(true);
        expect(r.citizen).toEqual({ fullName: p.fullName, permanentAddress: p.permanentAddress });
        const none = await client.lookupCitizen({ idNumber: '001099000001' }, { ...lookupCtx, fields: ['fullName'] });
        expect(none).toMatchObject({ found: false, citizen: null });
      } finally {
        await close();
      }
    });

    it('an expired token is refreshed once and the call retried', async () => {
      const { sandbox, client, close } = await setup();
      try {
        const [a, b] = sandbox.population;
        await client.verifyCitizen(v(a!), ctx);
        sandbox.expireTokens();
        expect((await client.verifyCitizen(v(b!), ctx)).match).toBe(true);
        expect(sandbox.stats()).toMatchObject({ tokenRequests: 2, total: 3 });
      } finally {
        await close();
      }
    });

    it('wrong credentials: ERR_UNAUTHORIZED', async () => {
      const { sandbox, client, close } = await setup({}, {});
      const wrong = createClient({
        baseUrl: sandbox.url,
        credentials: { clientId: sandbox.credentials.clientId, clientSecret: 'Wrong-7f3c!Zq9-xK2p' },
        profile: sandbox.profile,
        system: { id: 'contract', unitCode: 'U1', version: '1' },
        purposes: SANDBOX_PURPOSES,
        audit: { sink: new MemoryAuditSink() },
      });
      try {
        expect((await rejection(wrong.verifyCitizen(v(sandbox.population[0]!), ctx))).code).toBe('ERR_UNAUTHORIZED');
        expect(sandbox.stats().total).toBe(0);
      } finally {
        await wrong.close();
        await close();
        void client;
      }
    });

    it('purpose and operator refused upstream: typed errors, never retried', async () => {
      const { sandbox, client, close } = await setup({ licensedPurposes: ['DD-CAPGCN'], permittedOperators: ['cb.ok'] });
      try {
        const p = sandbox.population[0]!;
        expect((await rejection(client.verifyCitizen(v(p), { ...ctx, operator: { id: 'cb.ok', ip: '10.0.0.7' } }))).code).toBe('ERR_UPSTREAM_PURPOSE_REFUSED');
        expect((await rejection(client.lookupCitizen({ idNumber: p.idNumber }, { ...lookupCtx, fields: ['fullName'] }))).code).toBe('ERR_UPSTREAM_OPERATOR_REFUSED');
        expect(sandbox.stats().total).toBe(2);
      } finally {
        await close();
      }
    });

    it('throttled: ERR_UPSTREAM_RATE_LIMITED with Retry-After, then the shared stop refuses locally', async () => {
      const { sandbox, client, close } = await setup({ perMinuteLimit: 2 });
      try {
        const p = sandbox.population;
        await client.verifyCitizen(v(p[0]!), ctx);
        await client.verifyCitizen(v(p[1]!), ctx);
        const err = await rejection(client.verifyCitizen(v(p[2]!), ctx));
        expect(err).toBeInstanceOf(RateLimitedError);
        expect(err.retryAfterMs).toBeGreaterThan(0);
        expect(err.retryAfterMs).toBeLessThanOrEqual(60_000);
        const seen = sandbox.stats().total;
        expect((await rejection(client.verifyCitizen(v(p[3]!), ctx))).code).toBe('ERR_UPSTREAM_RATE_LIMITED');
        expect(sandbox.stats().total).toBe(seen);
      } finally {
        await close();
      }
    });

    it('locked: ERR_UPSTREAM_LOCKED with lockedUntil, audited, nothing more sent', async () => {
      const { sandbox, client, sink, close } = await setup({ lockThreshold: 2 });
      try {
        const p = sandbox.population;
        await client.verifyCitizen(v(p[0]!), ctx);
        await client.verifyCitizen(v(p[1]!), ctx);
        const err = await rejection(client.verifyCitizen(v(p[2]!), ctx));
        expect(err).toBeInstanceOf(UpstreamLockedError);
        expect(err.lockedUntil).toMatch(/T00:00:00\.000\+07:00$/);
        expect((await rejection(client.verifyCitizen(v(p[3]!), ctx))).code).toBe('ERR_UPSTREAM_LOCKED');
        expect(sandbox.stats().total).toBe(3);
        expect(sink.events.some((e) => e.type === 'upstream.locked')).toBe(true);
      } finally {
        await close();
      }
    });

    it.each(['malformed', 'invalid-schema', 'oversize'] as const)('%s answer: ERR_UPSTREAM_RESPONSE, not cached', async (fault) => {
      const { sandbox, client, close } = await setup({}, { retry: { attempts: 1 }, cache: { enabled: true } });
      try {
        const p = v(sandbox.population[0]!);
        sandbox.inject(fault, 1);
        expect((await rejection(client.verifyCitizen(p, ctx))).code).toBe('ERR_UPSTREAM_RESPONSE');
        expect((await client.verifyCitizen(p, ctx)).source).toBe('upstream');
      } finally {
        await close();
      }
    });

    it('a 5xx is retried with the same request id and succeeds', async () => {
      const { sandbox, client, sink, close } = await setup({}, { retry: { attempts: 3, baseDelayMs: 1 } });
      try {
        sandbox.inject('502', 2);
        expect((await client.verifyCitizen(v(sandbox.population[0]!), ctx)).match).toBe(true);
        expect(sandbox.stats().total).toBe(3);
        expect(sink.events.filter((e) => e.type === 'lookup.intent')).toHaveLength(1);
      } finally {
        await close();
      }
    });

    it('dedup, quota and guards work the same: one request for identical calls, the 4th date refused', async () => {
      const { sandbox, client, close } = await setup({}, { cache: { enabled: true }, quota: { perDay: 5 } });
      try {
        const p = sandbox.population[0]!;
        await Promise.all(Array.from({ length: 10 }, () => client.verifyCitizen(v(p), ctx)));
        expect(sandbox.stats().total).toBe(1);
        const y = p.dateOfBirth.slice(0, 4);
        for (const m of ['01', '02']) await client.verifyCitizen({ ...v(p), dateOfBirth: `${y}-${m}` }, ctx);
        expect((await rejection(client.verifyCitizen({ ...v(p), dateOfBirth: `${y}-03` }, ctx))).code).toBe('ERR_GUARD_ENUMERATION');
        await client.verifyCitizen(v(sandbox.population[1]!), ctx);
        await client.verifyCitizen(v(sandbox.population[2]!), ctx);
        expect((await rejection(client.verifyCitizen(v(sandbox.population[3]!), ctx))).code).toBe('ERR_QUOTA_EXCEEDED');
        expect(sandbox.stats().total).toBe(5);
      } finally {
        await close();
      }
    });
  });
}
