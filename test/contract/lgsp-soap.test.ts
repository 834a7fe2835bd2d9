/**
 * The LGSP SOAP profile's own guarantees: values cannot break or inject into the envelope (property
 * tests), and a vendor can test against the SOAP sandbox with msw alone.
 */
import fc from 'fast-check';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, MemoryAuditSink } from '../../src/index.js';
import { soapEnvelope } from '../../src/profiles.js';
import { parseXml } from '../../src/internal/xml.js';
import { createSandbox, SANDBOX_PURPOSES } from '../../src/testing/index.js';
import { ctx } from '../helpers.js';
import { sandboxHandlers } from '../../src/testing/msw.js';

/** Strings XML 1.0 can carry (every code point but C0 controls other than tab/LF/CR, and U+FFFE/F). */
const xmlText = fc
  .string({ unit: fc.oneof(fc.constantFrom('&', '<', '>', '"', "'", ']]>', '<!--', '&amp;', '\t', '\n'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })) })
  .filter((s) => !/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|\p{Cs}/u.test(s));
const SYLLABLES = ['Nguyễn', 'Trần', 'Lê', 'Phạm', 'Hoàng', 'Huỳnh', 'Võ', 'Đặng', 'Bùi', 'Đỗ', 'Thị', 'Văn', 'Ngọc', 'Thuỳ', 'Quỳnh', 'Hữu', 'Đức', 'Ánh', 'Ư', "O'Neil", 'Kpă', "H'Hen", 'Y-Moan'];
const vietnameseName = fc.array(fc.constantFrom(...SYLLABLES), { minLength: 2, maxLength: 5 }).map((a) => a.join(' '));
const HOSTILE = ['</qldc:HoVaTen><qldc:MaDVC>KHAC</qldc:MaDVC><qldc:HoVaTen>', ']]><x/>', '<![CDATA[x]]>', '&lt;b&gt;', '"\'><script>', '&#x3C;qldc:MaDVC&#x3E;', ' lead and trail '];

function parsedCall(envelope: string): Record<string, unknown> {
  const doc = parseXml(envelope) as { Envelope: { Body: { XacThucThongTinCongDan: Record<string, unknown> } } };
  return doc.Envelope.Body.XacThucThongTinCongDan;
}

describe('LGSP envelope', () => {
  it('any text round-trips unchanged and never adds an element (property)', () => {
    fc.assert(
      fc.property(fc.oneof(xmlText, vietnameseName, fc.constantFrom(...HOSTILE)), fc.oneof(xmlText, fc.constantFrom(...HOSTILE)), (name, operator) => {
        const env = soapEnvelope('XacThucThongTinCongDan', [['MaYeuCau', 'r-1'], ['MaCanBo', operator], ['HoVaTen', name], ['NgayThangNamSinh', [['NgayThangNam', '1990']]]]);
        const call = parsedCall(env);
        expect(Object.keys(call)).toEqual(['MaYeuCau', 'MaCanBo', 'HoVaTen', 'NgayThangNamSinh']);
        expect(call['HoVaTen']).toBe(name);
        expect(call['MaCanBo']).toBe(operator);
        expect(call['NgayThangNamSinh']).toEqual({ NgayThangNam: '1990' });
        expect(env.match(/<qldc:[A-Za-z]/g)).toHaveLength(6); // opening tags: the operation, its 4 children, the nested date
      }),
      { numRuns: 500 },
    );
  });

  it('a character XML cannot carry is refused, not dropped; a DTD in an answer is refused', () => {
    expect(() => soapEnvelope('X', [['HoVaTen', 'a\u0000b']])).toThrow(expect.objectContaining({ code: 'ERR_INPUT_INVALID', reason: 'not_xml_char' }));
    expect(() => parseXml('<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>')).toThrow(/DTD/);
  });

  it('through the client and the SOAP sandbox: Vietnamese names and hostile operator ids arrive exactly as sent', async () => {
    const sandbox = await createSandbox({ profile: 'lgsp-soap', populationSize: 50 });
    const client = createClient({
      baseUrl: sandbox.url, credentials: sandbox.credentials, profile: sandbox.profile,
      system: { id: 's', unitCode: 'U', version: '1' }, purposes: SANDBOX_PURPOSES,
      cache: { enabled: false }, guards: { enumeration: false }, audit: { sink: new MemoryAuditSink() },
    });
    try {
      const p = sandbox.population[0]!;
      await fc.assert(
        fc.asyncProperty(vietnameseName, fc.oneof(fc.constantFrom(...HOSTILE.map((h) => h.trim())), xmlText.map((s) => `cb.${s.replace(/[\u0000-\u001f\u007f]/g, '')}`.slice(0, 120).trim())), async (name, operator) => {
          sandbox.reset();
          const r = await client.verifyCitizen({ idNumber: p.idNumber, fullName: name, dateOfBirth: p.dateOfBirth }, { ...ctx, operator: { id: operator, ip: '10.0.0.1' } });
          expect(r.fields.fullName).toBe(name.normalize('NFC').toLowerCase() === p.fullName.toLowerCase());
          expect(sandbox.stats().byOperator).toEqual({ [operator]: 1 }); // parsed back out of the envelope by the gateway
          expect(sandbox.stats().byPurpose).toEqual({ 'HT-KHAISINH': 1 }); // no injected MaDVC
        }),
        { numRuns: 60 },
      );
      // What no envelope could carry faithfully is refused before quota or network.
      sandbox.reset();
      const err = await client.verifyCitizen({ idNumber: p.idNumber, fullName: p.fullName, dateOfBirth: p.dateOfBirth }, { ...ctx, operator: { id: 'cb.\u0000x', ip: '10.0.0.1' } }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'ERR_INPUT_INVALID', path: 'operator.id' });
      expect(sandbox.stats().total).toBe(0);
    } finally {
      await client.close();
      await sandbox.close();
    }
  }, 60_000);
});

describe('vendor-style msw test against the SOAP sandbox', () => {
  let sandbox: Awaited<ReturnType<typeof createSandbox>>;
  let server: ReturnType<typeof setupServer>;
  beforeAll(async () => {
    sandbox = await createSandbox({ listen: false, profile: 'lgsp-soap', populationSize: 30, lockThreshold: 3 });
    server = setupServer(...sandboxHandlers(sandbox));
    server.listen({ onUnhandledRequest: 'error' });
  });
  afterAll(() => server.close());

  it('verifies, looks up, and reports the lock with onUnhandledRequest: error', async () => {
    const client = createClient({
      baseUrl: sandbox.url, credentials: sandbox.credentials, profile: sandbox.profile,
      system: { id: 'vendor', unitCode: 'U', version: '1' }, purposes: SANDBOX_PURPOSES, audit: { sink: new MemoryAuditSink() },
    });
    try {
      const [a, b, c, d] = sandbox.population;
      expect((await client.verifyCitizen({ idNumber: a!.idNumber, fullName: a!.fullName, dateOfBirth: a!.dateOfBirth }, ctx)).match).toBe(true);
      const l = await client.lookupCitizen({ idNumber: b!.idNumber, fullName: b!.fullName, dateOfBirth: b!.dateOfBirth }, { ...ctx, purpose: { code: 'DD-CAPGCN' }, fields: ['dateOfBirth'] });
      expect(l.citizen).toEqual({ dateOfBirth: b!.dateOfBirth });
      await client.verifyCitizen({ idNumber: c!.idNumber, fullName: c!.fullName, dateOfBirth: c!.dateOfBirth }, ctx);
      const err = await client.verifyCitizen({ idNumber: d!.idNumber, fullName: d!.fullName, dateOfBirth: d!.dateOfBirth }, ctx).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'ERR_UPSTREAM_LOCKED' });
      expect(sandbox.stats()).toMatchObject({ total: 4, tokenRequests: 1, locked: true });
    } finally {
      await client.close();
    }
  });
});
