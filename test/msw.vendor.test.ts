/**
 * How a vendor tests their own code: msw's `setupServer` with the sandbox handlers, no port
 * opened, unhandled requests are errors. The SDK's fetch is looked up at call time, so msw sees it.
 */
import { setupServer } from 'msw/node';
import { http, HttpResponse } from 'msw';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createClient, isDancuError, MemoryAuditSink } from '../src/index.js';
import { createSandbox, SANDBOX_PURPOSES } from '../src/testing/index.js';
import { sandboxHandlers } from '../src/testing/msw.js';

const sandbox = await createSandbox({ listen: false, populationSize: 50, lockThreshold: 20 });
const server = setupServer(...sandboxHandlers(sandbox));

// The vendor's own code under test.
async function registerBirth(client: ReturnType<typeof createClient>, parent: { idNumber: string; fullName: string; dateOfBirth: string }) {
  const r = await client.verifyCitizen(parent, {
    purpose: { code: 'HT-KHAISINH', dossierId: 'HS-1' },
    operator: { id: 'cb.le', ip: '192.168.1.20' },
  });
  return r.match ? 'accepted' : 'needs-correction';
}

describe('vendor-style tests with msw', () => {
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
  afterEach(() => {
    server.resetHandlers();
    sandbox.reset();
  });
  afterAll(() => server.close());

  const makeClient = () =>
    createClient({
      baseUrl: sandbox.url,
      credentials: sandbox.credentials,
      system: { id: 'vendor-app', unitCode: 'UBND-X', version: '2.0.0' },
      purposes: SANDBOX_PURPOSES,
      audit: { sink: new MemoryAuditSink() }, // the trail has its own tests; none in the repository
    });
  const client = makeClient();
  afterAll(() => client.close());

  it('the sandbox URL is not a real host: only msw answers it', () => {
    expect(sandbox.url).toBe('https://sandbox.dancu.test');
  });

  const person = (i: number) => {
    const { idNumber, fullName, dateOfBirth } = sandbox.population[i]!;
    return { idNumber, fullName, dateOfBirth };
  };

  it('verifies through the in-process simulator', async () => {
    const p = person(0);
    expect(await registerBirth(client, p)).toBe('accepted');
    expect(await registerBirth(client, { ...p, fullName: 'Ai Đó Khác' })).toBe('needs-correction');
    expect(sandbox.stats()).toMatchObject({ total: 2, tokenRequests: 1 });
  });

  it('the lock and faults behave as over HTTP', async () => {
    // Its own client: the lock opens a stop in the client's quota store that lasts until midnight.
    const own = makeClient();
    try {
      const p = person(0);
      sandbox.inject('reset', 3); // every attempt of one call (3 with the default retry policy)
      await expect(registerBirth(own, p)).rejects.toMatchObject({ code: 'ERR_UPSTREAM_UNREACHABLE' });
      let code = '';
      for (let i = 0; i < 25 && !code; i++) {
        await registerBirth(own, person(i)).catch((err: unknown) => {
          if (isDancuError(err)) code = err.code;
        });
      }
      expect(code).toBe('ERR_UPSTREAM_LOCKED');
    } finally {
      await own.close();
    }
  });

  it('a vendor can override one endpoint with their own msw handler', async () => {
    let throttled = 0;
    server.use(
      http.post(`${sandbox.url}/api/v1/citizens/verify`, () => {
        throttled++;
        return HttpResponse.json({ MaLoi: '006', MoTa: 'throttled' }, { status: 429, headers: { 'retry-after': '7' } });
      }),
    );
    const own = makeClient(); // the 429 opens a 7 s stop in this client's quota store
    try {
      await expect(registerBirth(own, person(1))).rejects.toMatchObject({ code: 'ERR_UPSTREAM_RATE_LIMITED', retryAfterMs: 7000 });
      expect(throttled).toBe(1); // 429 is never retried
      const again = await registerBirth(own, person(1)).catch((e: { code: string; retryAfterMs: number }) => e);
      expect(again).toMatchObject({ code: 'ERR_UPSTREAM_RATE_LIMITED' });
      expect((again as { retryAfterMs: number }).retryAfterMs).toBeLessThanOrEqual(7000);
      expect(throttled).toBe(1); // refused by the shared stop, not by the upstream
    } finally {
      await own.close();
    }
  });

  it('a redirect from an msw handler is refused as over HTTP: ERR_UPSTREAM, sent once, never followed', async () => {
    let calls = 0;
    let followed = 0;
    server.use(
      http.post(`${sandbox.url}/api/v1/citizens/verify`, () => {
        calls++;
        return new HttpResponse(null, { status: 307, headers: { location: `${sandbox.url}/elsewhere` } });
      }),
      http.post(`${sandbox.url}/elsewhere`, () => {
        followed++;
        return HttpResponse.json({});
      }),
    );
    await expect(registerBirth(client, person(3))).rejects.toMatchObject({ code: 'ERR_UPSTREAM', status: 0, message: expect.stringMatching(/redirect/) });
    expect(calls).toBe(1);
    expect(followed).toBe(0);
  });

  it('an answer for another request id is refused as ERR_UPSTREAM_RESPONSE', async () => {
    server.use(
      http.post(`${sandbox.url}/api/v1/citizens/verify`, () =>
        HttpResponse.json({ MaYeuCau: 'someone-else', TonTai: true, KetQua: { TrungKhop: true, HoVaTen: true, NgayThangNamSinh: true } }),
      ),
    );
    await expect(registerBirth(client, person(2))).rejects.toMatchObject({ code: 'ERR_UPSTREAM_RESPONSE' });
  });

  it('a lookup answer with extra fields is minimised to what was asked', async () => {
    server.use(
      http.post(`${sandbox.url}/api/v1/citizens/lookup`, async ({ request }) => {
        const body = (await request.json()) as { MaYeuCau: string };
        return HttpResponse.json({ MaYeuCau: body.MaYeuCau, TonTai: true, CongDan: { HoVaTen: 'A', TonGiao: 'B', NoiThuongTru: 'C' } });
      }),
    );
    const r = await client.lookupCitizen(
      { idNumber: sandbox.population[0]!.idNumber },
      { purpose: { code: 'DD-CAPGCN' }, operator: { id: 'cb.le', ip: '192.168.1.20' }, fields: ['fullName'] },
    );
    expect(r.citizen).toEqual({ fullName: 'A' });
  });

  it('sandbox.client(): bound to the sandbox, options override; sandbox.close() closes the clients still open', async () => {
    const own = await createSandbox({ listen: false, populationSize: 5 });
    const local = setupServer(...sandboxHandlers(own));
    server.close(); // one msw interceptor at a time
    local.listen({ onUnhandledRequest: 'error' });
    try {
      const a = own.client();
      const b = own.client({ purposes: [{ code: 'ONLY-THIS', title: 't', legalBasis: 'l', operations: ['verify'] }] });
      const closed = own.client();
      await closed.close();
      expect(await registerBirth(a, person5(own, 0))).toBe('accepted');
      expect(await b.verifyCitizen(person5(own, 1), { purpose: { code: 'HT-KHAISINH' }, operator: { id: 'o', ip: '10.0.0.1' } }).catch((e) => e.code)).toBe('ERR_PURPOSE_NOT_REGISTERED');
      await own.close();
      for (const c of [a, b, closed]) expect(await registerBirth(c, person5(own, 2)).catch((e) => e.code)).toBe('ERR_CLIENT_CLOSED');
      expect(own.stats().total).toBe(1);
      expect(() => own.client('no' as never)).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
    } finally {
      local.close();
      server.listen({ onUnhandledRequest: 'error' });
    }
  });
});

function person5(s: { population: readonly { idNumber: string; fullName: string; dateOfBirth: string }[] }, i: number) {
  const { idNumber, fullName, dateOfBirth } = s.population[i]!;
  return { idNumber, fullName, dateOfBirth };
}
