/**
 * `dancu audit subject`: a citizen's own view of who processed their data. A trail of 100,000
 * events (other citizens), plus a client's real calls for two citizens in another chain; the
 * subject report finds every lookup of the one asked for and none of anyone else's, without
 * officers unless asked.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JsonlAuditSink, type AuditEventBody } from '../../src/index.js';
import { streamEvents, subjectHtml, subjectLookups, subjectText } from '../../src/audit/index.js';
import { clientFor, ctx, rejection } from '../helpers.js';
import { createSandbox, type Sandbox } from '../../src/testing/index.js';

const SECRET = 'subject-test-secret-0123456789-abcdefgh';
let dir = '';
let sandbox: Sandbox;
const person = (i: number) => {
  const c = sandbox.population[i]!;
  return { idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth };
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dancu-subject-'));
  sandbox = await createSandbox({ populationSize: 20 });
  // 100,000 events of other citizens.
  const sink = new JsonlAuditSink({ directory: dir, instance: 'filler' });
  const system = { id: 'mot-cua', unitCode: 'UBND-X', version: '1', instance: 'filler', fingerprint: 'f'.repeat(64), sdk: '0.2.0' };
  for (let b = 0; b < 100; b++) {
    await sink.write(Array.from({ length: 1000 }, (_, i): AuditEventBody => ({
      v: 1, ts: '2026-11-23T10:00:00.000+07:00', eventId: randomUUID(), system, type: i % 2 ? 'lookup.outcome' : 'lookup.intent', operation: 'verify',
      operator: { id: 'cb.khac', ip: '10.0.0.1' }, purpose: { code: 'HT-KHAISINH' }, subject: { hmac: randomBytes(16).toString('hex'), masked: '0010******45' },
      requestId: `r${b}-${i >> 1}`, ...(i % 2 ? { outcome: 'match' as const } : {}),
    })));
  }
  await sink.close();
  // Real calls: citizen 0 three ways (two dossiers, then a cache hit) and once refused; citizen 1 once.
  const client = clientFor(sandbox, { audit: { directory: dir, instance: 'real', secret: SECRET }, cache: { enabled: true } });
  await client.verifyCitizen(person(0), { ...ctx, purpose: { code: 'HT-KHAISINH', dossierId: 'HS-1' } });
  await client.verifyCitizen(person(0), { ...ctx, purpose: { code: 'HT-KHAISINH', dossierId: 'HS-2' } }); // from the cache
  await client.lookupCitizen({ idNumber: person(0).idNumber }, { ...ctx, fields: ['fullName'], purpose: { code: 'DD-CAPGCN', dossierId: 'HS-3' } });
  await rejection(client.verifyCitizen({ ...person(0), dateOfBirth: '2999-01-01' }, ctx)); // impossible input: refused, never sent
  await client.verifyCitizen(person(1), ctx);
  await client.close();
}, 120_000);
afterAll(async () => {
  await sandbox?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('dancu audit subject', () => {
  it('finds every lookup of one citizen in 100,000 events, and no other citizen\'s; officers only when asked', async () => {
    const r = await subjectLookups(streamEvents({ directory: dir }), { idNumber: person(0).idNumber, secret: SECRET });
    expect(r.subject).toMatch(/^\d{3}\*+\d{2}$/);
    expect(r.lookups.map((l) => [l.purpose, l.dossierId, l.operation, l.source, l.outcome])).toEqual([
      ['HT-KHAISINH', 'HS-1', 'verify', 'upstream', 'match'],
      ['HT-KHAISINH', 'HS-2', 'verify', 'cache', 'match'],
      ['DD-CAPGCN', 'HS-3', 'lookup', 'upstream', 'found'],
      ['HT-KHAISINH', 'HS-TEST-1', 'verify', 'refused', 'denied'], // the impossible date: refused, never sent
    ]);
    expect(r.lookups.every((l) => l.unit === 'TEST-UNIT' && l.operator === undefined)).toBe(true);
    expect(r.lookups.filter((l) => l.source !== 'refused').every((l) => l.legalBasis)).toBe(true); // each processing names its legal basis
    const other = await subjectLookups(streamEvents({ directory: dir }), { idNumber: person(1).idNumber, secret: SECRET, withOperators: true });
    expect(other.lookups).toEqual([expect.objectContaining({ purpose: 'HT-KHAISINH', source: 'upstream', operator: 'cb.test' })]);
    // Another secret finds nothing: subjects are keyed.
    expect((await subjectLookups(streamEvents({ directory: dir }), { idNumber: person(0).idNumber, secret: 'x'.repeat(40) })).lookups).toEqual([]);
    expect(subjectText(r)).toMatch(/^4 lookup\(s\) of \d{3}\*+\d{2}\n.*HT-KHAISINH \(dossier HS-1\)/);
    const html = subjectHtml(r);
    expect(html).toMatch(/^<!doctype html><html lang="vi">/);
    expect(html).toContain('Ai đã tra cứu thông tin của tôi');
    expect(html).not.toContain(person(0).idNumber);
    expect(html).not.toContain('Cán bộ');
    expect(html).not.toMatch(/<script|https?:\/\//);
  }, 60_000);

  it('refuses an impossible ID number with a typed error', async () => {
    await expect(subjectLookups([], { idNumber: '12', secret: SECRET })).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' });
  });
});
