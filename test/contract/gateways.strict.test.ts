/**
 * The gateways as public integration code speaks them (docs/protocol.md, "Evidence"): the strict
 * LGSP fake accepts every request of the LGSP profile and refuses the old JSON wrapper; the NDXP
 * fake recomputes the signature; the answer shapes of public code are read; the API manager's
 * throttle is honoured until its `nextAccessTime`.
 */
import { describe, expect, it } from 'vitest';
import { createClient, MemoryAuditSink, type DancuClientOptions } from '../../src/index.js';
import { apiManagerThrottle, lgspSoapProfile, ndxpSignature, parseNextAccessTime, soapEnvelope } from '../../src/profiles.js';
import { createSandbox, readStrictCall, SANDBOX_NDXP, SANDBOX_PURPOSES, type Sandbox, type SandboxOptions } from '../../src/testing/index.js';

const CTX = { purpose: { code: 'HT-KHAISINH' }, operator: { id: 'cb.an', ip: '10.0.0.7' } };
const LCTX = { purpose: { code: 'DD-CAPGCN' }, operator: { id: 'cb.an', ip: '10.0.0.7' }, fields: ['fullName' as const] };

interface Seen { method: string; path: string; headers: Record<string, string>; body: string }

async function harness(opts: SandboxOptions, client: Partial<DancuClientOptions> = {}) {
  const sandbox = await createSandbox({ populationSize: 60, ...opts });
  const seen: Seen[] = [];
  const fetch = async (url: string | URL, init?: RequestInit) => {
    seen.push({ method: String(init?.method), path: new URL(String(url)).pathname, headers: { ...(init?.headers as Record<string, string>) }, body: String(init?.body ?? '') });
    return globalThis.fetch(url, init);
  };
  const c = createClient({
    baseUrl: sandbox.url, credentials: sandbox.credentials, profile: sandbox.profile, fetch,
    system: { id: 's', unitCode: 'U-77', version: '1' }, cache: { enabled: false }, guards: { enumeration: false },
    purposes: [...SANDBOX_PURPOSES, { code: 'CT-CHUHO', title: 't', legalBasis: 'l', operations: ['XacMinhThongTinChuHo'] }],
    audit: { sink: new MemoryAuditSink() }, ...client,
  });
  return { sandbox, client: c, seen, close: async () => (await c.close(), await sandbox.close()) };
}

const withLegacy = (s: Sandbox) => s.population.find((p) => p.legacyIdNumber !== undefined)!;

describe('strict LGSP gateway', () => {
  it('accepts every request of the LGSP profile: 12- and 9-digit numbers, verify, lookup, household head', async () => {
    const { sandbox, client, seen, close } = await harness({ profile: 'lgsp-soap' });
    try {
      const p = sandbox.population[0]!;
      const old = withLegacy(sandbox);
      expect((await client.verifyCitizen({ idNumber: p.idNumber, fullName: p.fullName, dateOfBirth: p.dateOfBirth }, CTX)).match).toBe(true);
      expect((await client.verifyCitizen({ idNumber: old.legacyIdNumber!, fullName: old.fullName, dateOfBirth: old.dateOfBirth.slice(0, 4) }, CTX)).match).toBe(true);
      expect((await client.lookupCitizen({ idNumber: p.idNumber, fullName: p.fullName, dateOfBirth: p.dateOfBirth }, LCTX)).citizen).toEqual({ fullName: p.fullName });
      expect((await client.lookupCitizen({ idNumber: old.legacyIdNumber!, fullName: old.fullName, dateOfBirth: old.dateOfBirth }, LCTX)).found).toBe(true);
      expect((await client.call('XacMinhThongTinChuHo', { idNumber: p.idNumber, fullName: p.fullName, dateOfBirth: p.dateOfBirth }, { ...CTX, purpose: { code: 'CT-CHUHO' } })).answer).toMatchObject({ found: true, isHead: true });
      const calls = seen.filter((s) => s.path !== '/token');
      expect(calls).toHaveLength(5);
      const token = seen.find((s) => s.path === '/token')!;
      for (const s of calls) {
        expect(s.method).toBe('POST');
        expect(s.headers['content-type']).toBe('application/xml');
        expect(s.headers['authorization']).toMatch(/^Bearer \S+$/);
        expect(s.headers['lgspaccesstoken']).toBe(token.headers['lgspaccesstoken']);
        expect(s.body.startsWith('<soapenv:Envelope')).toBe(true);
      }
      const element = ['XacThucThongTinCongDan', 'XacThucThongTinCongDan', 'TraCuuThongTinCongDan', 'TraCuuThongTinCongDan', 'XacMinhThongTinChuHo'];
      const read = calls.map((s, i) => readStrictCall(s.body, element[i]!));
      expect(read[0]).toMatchObject({ SoDinhDanh: p.idNumber, NgayThangNamSinh: p.dateOfBirth });
      expect(calls[0]!.body).toContain(`<qldc:NgayThangNam>${p.dateOfBirth.replaceAll('-', '')}</qldc:NgayThangNam>`);
      expect(read[1]).toMatchObject({ SoCMND: old.legacyIdNumber });
      expect(read[1]!['SoDinhDanh']).toBeUndefined();
      expect(calls[1]!.body).toContain(`<qldc:Nam>${old.dateOfBirth.slice(0, 4)}</qldc:Nam>`);
      expect(read[3]).toMatchObject({ SoCMND: old.legacyIdNumber, HoVaTen: old.fullName });
      expect(sandbox.stats()).toMatchObject({ total: 5, served: 5, tokenRequests: 1 });
    } finally {
      await close();
    }
  });

  it('refuses the old JSON wrapper, a wrong content type, a wrong namespace and children out of order; nothing is counted', async () => {
    const sandbox = await createSandbox({ profile: 'lgsp-soap', populationSize: 10 });
    try {
      const p = sandbox.population[0]!;
      const env = (children: Array<readonly [string, string | Array<readonly [string, string]>]>, ns = 'http://dancuquocgia.bca') =>
        soapEnvelope('XacThucThongTinCongDan', children).replace('http://dancuquocgia.bca', ns);
      const good: Array<readonly [string, string | Array<readonly [string, string]>]> = [['MaYeuCau', 'r'], ['MaDVC', 'HT-KHAISINH'], ['MaTichHop', '037'], ['MaCanBo', 'cb'], ['SoDinhDanh', p.idNumber], ['HoVaTen', p.fullName], ['NgayThangNamSinh', [['NgayThangNam', p.dateOfBirth.replaceAll('-', '')]]]];
      const post = (body: string, type = 'application/xml') => fetch(`${sandbox.url}/XacThucThongTinCongDan`, { method: 'POST', headers: { 'content-type': type }, body });
      const wrapper = JSON.stringify({ accessToken: 'Bearer x', lgspAccessToken: 'x', data: env(good) });
      expect((await post(wrapper, 'application/json')).status).toBe(415);
      expect((await post(wrapper)).status).toBe(400);
      expect((await post(env(good), 'text/xml')).status).toBe(415);
      expect((await post(env(good, 'http://example.org/other'))).status).toBe(400);
      expect((await post(env([good[1]!, good[0]!, ...good.slice(2)]))).status).toBe(400);
      expect((await post(env(good.map(([k, v]) => [k === 'SoDinhDanh' ? 'SoCMND' : k, v] as const)))).status).toBe(400); // 12 digits as SoCMND
      expect((await post(env(good.map(([k, v]) => [k, k === 'NgayThangNamSinh' ? [['NgayThangNam', p.dateOfBirth]] : v] as const)))).status).toBe(400); // ISO, not yyyyMMdd
      expect((await post(env(good))).status).toBe(401); // well formed, but no token: through to the simulator
      expect(sandbox.stats().total).toBe(1);
    } finally {
      await sandbox.close();
    }
  });

  it('AuthHash per officer: sent, checked; an officer without a key is refused before anything is sent', async () => {
    const keys = { 'cb.an': { keyName: 'an', keyPass: 'K3y!pass-an' } };
    const { sandbox, client, seen, close } = await harness({ profile: 'lgsp-soap', operatorKeys: keys });
    try {
      const p = sandbox.population[0]!;
      expect((await client.verifyCitizen({ idNumber: p.idNumber, fullName: p.fullName, dateOfBirth: p.dateOfBirth }, CTX)).match).toBe(true);
      expect(seen.at(-1)!.headers['authhash']).toBe(Buffer.from('an:K3y!pass-an').toString('base64'));
      const before = seen.length;
      const err = await client.verifyCitizen({ idNumber: p.idNumber, fullName: p.fullName, dateOfBirth: p.dateOfBirth }, { ...CTX, operator: { id: 'cb.binh', ip: '10.0.0.8' } }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'ERR_UPSTREAM_OPERATOR_REFUSED', status: 0 });
      expect(seen.length).toBe(before);
      const wrong = createClient({
        baseUrl: sandbox.url, credentials: sandbox.credentials, system: { id: 's', unitCode: 'U', version: '1' }, purposes: SANDBOX_PURPOSES, audit: { sink: new MemoryAuditSink() },
        profile: lgspSoapProfile({ appName: 'x', partnerCode: 'y', integrationCode: '037', operatorKey: () => ({ keyName: 'an', keyPass: 'wrong' }) }),
      });
      const refused = await wrong.verifyCitizen({ idNumber: p.idNumber, fullName: p.fullName, dateOfBirth: p.dateOfBirth }, CTX).catch((e: unknown) => e);
      expect(refused).toMatchObject({ code: 'ERR_UPSTREAM_OPERATOR_REFUSED', status: 403 });
      await wrong.close();
    } finally {
      await close();
    }
  });
});

describe('NDXP gateway: a signature per request', () => {
  it('sends Basic user:sha256(serviceUrl+user+timestamp+secret) and timestamp in seconds; the gateway recomputes it', async () => {
    const { sandbox, client, seen, close } = await harness({ profile: 'ndxp' });
    try {
      const p = sandbox.population[0]!;
      expect((await client.verifyCitizen({ idNumber: p.idNumber, fullName: p.fullName, dateOfBirth: p.dateOfBirth }, CTX)).match).toBe(true);
      const s = seen[0]!;
      expect(seen.every((x) => x.path !== '/token')).toBe(true);
      const ts = s.headers['timestamp']!;
      expect(Math.abs(Number(ts) - Date.now() / 1000)).toBeLessThan(5);
      const [user, sig] = Buffer.from(s.headers['authorization']!.replace(/^Basic /, ''), 'base64').toString().split(':');
      expect(user).toBe(sandbox.credentials.clientId);
      expect(sig).toBe(ndxpSignature(SANDBOX_NDXP.serviceUrl, user!, ts, sandbox.credentials.clientSecret));
      expect(s.headers['content-type']).toBe('application/xml');
      expect(readStrictCall(s.body, 'XacThucThongTinCongDan')).toMatchObject({ SoDinhDanh: p.idNumber });
    } finally {
      await close();
    }
  });

  it('a wrong secret or a stale timestamp is refused: ERR_UNAUTHORIZED, not retried', async () => {
    const sandbox = await createSandbox({ profile: 'ndxp', populationSize: 10 });
    const base = { baseUrl: sandbox.url, profile: sandbox.profile, system: { id: 's', unitCode: 'U', version: '1' }, purposes: SANDBOX_PURPOSES, audit: { sink: new MemoryAuditSink() } };
    const p = sandbox.population[0]!;
    const input = { idNumber: p.idNumber, fullName: p.fullName, dateOfBirth: p.dateOfBirth };
    const wrong = createClient({ ...base, credentials: { clientId: sandbox.credentials.clientId, clientSecret: 'Wrong-7f3c!Zq9-xK2p' } });
    const stale = createClient({ ...base, credentials: sandbox.credentials, clock: () => Date.now() - 10 * 60_000 });
    try {
      expect(await wrong.verifyCitizen(input, CTX).catch((e: unknown) => e)).toMatchObject({ code: 'ERR_UNAUTHORIZED', status: 401 });
      expect(await stale.verifyCitizen(input, CTX).catch((e: unknown) => e)).toMatchObject({ code: 'ERR_UNAUTHORIZED', status: 401 });
      expect(sandbox.stats().total).toBe(0);
    } finally {
      await wrong.close();
      await stale.close();
      await sandbox.close();
    }
  });
});

describe('answers as public code reads them', () => {
  const answerWith = (body: string, status = 200) => async (url: string | URL) =>
    String(url).endsWith('/token') ? new Response(JSON.stringify({ access_token: 't', expires_in: 300 }), { status: 200 }) : new Response(body, { status, headers: { 'content-type': 'text/xml' } });
  const client = (fetch: (u: string | URL) => Promise<Response>) => createClient({
    baseUrl: 'https://lgsp.example.test', credentials: { clientId: 'ak', clientSecret: 'Sk-7f3c!Zq9-xK2p' }, fetch, retry: { attempts: 1 },
    profile: lgspSoapProfile({ appName: 'a', partnerCode: 'p', integrationCode: '037' }), system: { id: 's', unitCode: 'U', version: '1' },
    purposes: SANDBOX_PURPOSES, audit: { sink: new MemoryAuditSink() }, cache: { enabled: false },
  });
  const env = (inner: string) => `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body xmlns:dan="http://dancuquocgia.bca">${inner}</soapenv:Body></soapenv:Envelope>`;
  const input = { idNumber: '079190012345', fullName: 'Nguyễn Văn An', dateOfBirth: '1990-05-17' };

  it('KetQuaXacThuc { TonTai } is an overall answer; a field-by-field one (assumed) says which field', async () => {
    const a = client(answerWith(env('<dan:KetQuaXacThuc><dan:TonTai>true</dan:TonTai></dan:KetQuaXacThuc>')));
    expect(await a.verifyCitizen(input, CTX)).toMatchObject({ found: true, match: true, detail: 'overall', fields: { fullName: true, dateOfBirth: true } });
    await a.close();
    const fetch = async (url: string | URL, init?: RequestInit) => {
      if (String(url).endsWith('/token')) return answerWith('')(url);
      const id = /<qldc:MaYeuCau>([^<]+)</.exec(String(init?.body))![1];
      return new Response(env(`<dan:XacThucThongTinCongDanResponse><dan:MaYeuCau>${id}</dan:MaYeuCau><dan:TonTai>true</dan:TonTai><dan:KetQua><dan:TrungKhop>false</dan:TrungKhop><dan:HoVaTen>false</dan:HoVaTen><dan:NgayThangNamSinh>true</dan:NgayThangNamSinh></dan:KetQua></dan:XacThucThongTinCongDanResponse>`), { status: 200 });
    };
    const b = client(fetch);
    expect(await b.verifyCitizen(input, CTX)).toMatchObject({ found: true, match: false, detail: 'fields', fields: { fullName: false, dateOfBirth: true } });
    await b.close();
  });

  it('CongdanCollection/CongDan with HoVaTen split and yyyyMMdd dates; two records for one number are refused', async () => {
    const rec = '<ns1:CongDan><ns1:SoDinhDanh>079190012345</ns1:SoDinhDanh><ns1:HoVaTen><ns1:Ho>Nguyễn</ns1:Ho><ns1:ChuDem>Văn</ns1:ChuDem><ns1:Ten>An</ns1:Ten></ns1:HoVaTen><ns1:GioiTinh>1</ns1:GioiTinh><ns1:NgayThangNamSinh><ns1:Nam>1990</ns1:Nam><ns1:NgayThangNam>19900517</ns1:NgayThangNam></ns1:NgayThangNamSinh><ns1:ThuongTru><ns1:MaTinhThanh>79</ns1:MaTinhThanh><ns1:ChiTiet>Q1, TP HCM</ns1:ChiTiet></ns1:ThuongTru></ns1:CongDan>';
    const col = (inner: string) => env(`<ns1:CongdanCollection xmlns:ns1="http://www.mic.gov.vn/dancu/1.0">${inner}</ns1:CongdanCollection>`);
    const a = client(answerWith(col(rec)));
    expect((await a.lookupCitizen(input, { ...LCTX, fields: ['fullName', 'dateOfBirth', 'permanentAddress'] })).citizen).toEqual({ fullName: 'Nguyễn Văn An', dateOfBirth: '1990-05-17', permanentAddress: 'Q1, TP HCM' });
    await a.close();
    const b = client(answerWith(col('')));
    expect((await b.lookupCitizen(input, LCTX)).found).toBe(false);
    await b.close();
    const c = client(answerWith(col(rec + rec)));
    expect(await c.lookupCitizen(input, LCTX).catch((e: unknown) => e)).toMatchObject({ code: 'ERR_UPSTREAM_RESPONSE' });
    await c.close();
    const d = client(answerWith(col(rec)));
    expect(await d.lookupCitizen({ idNumber: input.idNumber }, LCTX).catch((e: unknown) => e)).toMatchObject({ code: 'ERR_INPUT_INVALID', path: 'fullName' });
    await d.close();
  });
});

describe("the API manager's throttle", () => {
  const h = (retryAfter?: string) => new Headers(retryAfter ? { 'retry-after': retryAfter } : {});
  const now = Date.parse('2026-12-02T03:00:00Z');
  it('reads nextAccessTime from flat JSON, a fault object and XML; else Retry-After; ignores other answers', () => {
    expect(parseNextAccessTime('2026-Dec-02 03:05:00+0000 UTC')).toBe(Date.parse('2026-12-02T03:05:00Z'));
    expect(parseNextAccessTime('2026-Dec-02 10:05:00+0700')).toBe(Date.parse('2026-12-02T03:05:00Z'));
    expect(parseNextAccessTime('tomorrow')).toBeUndefined();
    const flat = JSON.stringify({ code: '900804', message: 'Message throttled out', nextAccessTime: '2026-Dec-02 03:05:00+0000 UTC' });
    expect(apiManagerThrottle({ status: 429, headers: h(), body: flat }, now)).toEqual({ code: '900804', retryAfterMs: 300_000 });
    const wrapped = JSON.stringify({ fault: { code: 900802, nextAccessTime: '2026-Dec-02 03:00:30+0000 UTC' } });
    expect(apiManagerThrottle({ status: 429, headers: h(), body: wrapped }, now)).toEqual({ code: '900802', retryAfterMs: 30_000 });
    const xml = '<amt:fault xmlns:amt="http://wso2.org/apimanager/throttling"><amt:code>900803</amt:code><amt:message>Message throttled out</amt:message><amt:nextAccessTime>2026-Dec-02 03:01:00+0000 UTC</amt:nextAccessTime></amt:fault>';
    expect(apiManagerThrottle({ status: 429, headers: h(), body: xml }, now)).toEqual({ code: '900803', retryAfterMs: 60_000 });
    expect(apiManagerThrottle({ status: 429, headers: h('7'), body: JSON.stringify({ code: 900807 }) }, now)).toEqual({ code: '900807', retryAfterMs: 7_000 });
    expect(apiManagerThrottle({ status: 403, headers: h(), body: JSON.stringify({ code: 900805 }) }, now)).toBeUndefined();
    expect(apiManagerThrottle({ status: 429, headers: h(), body: JSON.stringify({ code: 900805 }) }, now)).toBeUndefined();
    expect(apiManagerThrottle({ status: 429, headers: h(), body: 'busy' }, now)).toBeUndefined();
  });
});
