import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isDancuError, type DancuClient } from '../src/index.js';
import type { Sandbox } from '../src/testing/index.js';
import { ctx, lookupCtx, rejection, setup } from './helpers.js';

describe('client against the sandbox over real HTTP', () => {
  let sandbox: Sandbox;
  let client: DancuClient;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ sandbox, client, close } = await setup({}, { timeoutMs: 1_000 }));
  });
  afterAll(() => close());
  beforeEach(() => sandbox.reset());

  const citizen = () => sandbox.population[3]!;

  it('verifies a matching citizen', async () => {
    const c = citizen();
    const r = await client.verifyCitizen({ idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth, sex: c.sex }, ctx);
    expect(r).toMatchObject({ match: true, found: true, source: 'upstream', purpose: 'HT-KHAISINH' });
    expect(r.fields).toEqual({ fullName: true, dateOfBirth: true, sex: true });
    expect(r.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.subject).toBe(`${c.idNumber.slice(0, 3)}*******${c.idNumber.slice(10)}`);
    expect(r.checkedAt).toMatch(/\+07:00$/);
    expect(sandbox.stats()).toMatchObject({ total: 1, served: 1, byPurpose: { 'HT-KHAISINH': 1 }, byOperator: { 'cb.test': 1 } });
  });

  it('reports per-field mismatches and unknown citizens', async () => {
    const c = citizen();
    const wrongName = await client.verifyCitizen({ idNumber: c.idNumber, fullName: 'Khác Tên', dateOfBirth: c.dateOfBirth }, ctx);
    expect(wrongName).toMatchObject({ match: false, found: true, fields: { fullName: false, dateOfBirth: true } });
    // A valid-looking ID that does not exist upstream.
    const ghost = `${c.idNumber.slice(0, 6)}${String((Number(c.idNumber.slice(6)) + 1) % 1_000_000).padStart(6, '0')}`;
    const exists = sandbox.population.some((p) => p.idNumber === ghost);
    const unknown = await client.verifyCitizen({ idNumber: ghost, fullName: c.fullName, dateOfBirth: c.dateOfBirth }, ctx);
    expect(unknown.found).toBe(exists);
    expect(unknown.match).toBe(false);
  });

  it('accepts partial dates and other spellings of the name without inventing parts', async () => {
    const c = citizen();
    const nfdUpper = `  ${c.fullName.normalize('NFD').toLocaleUpperCase('vi').replace(/ /g, '   ')} `;
    const yearOnly = await client.verifyCitizen({ idNumber: c.idNumber, fullName: nfdUpper, dateOfBirth: c.dateOfBirth.slice(0, 4) }, ctx);
    expect(yearOnly.match).toBe(true);
    const [y, m, d] = c.dateOfBirth.split('-');
    const vn = await client.verifyCitizen({ idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: `${d}/${m}/${y}` }, ctx);
    expect(vn.match).toBe(true);
  });

  it('looks up only the fields asked for and allowed', async () => {
    const c = citizen();
    const r = await client.lookupCitizen({ idNumber: c.idNumber }, { ...lookupCtx, fields: ['fullName', 'dateOfBirth'] });
    expect(r.found).toBe(true);
    expect(r.citizen).toEqual({ fullName: c.fullName, dateOfBirth: c.dateOfBirth });
    const err = await rejection(client.lookupCitizen({ idNumber: c.idNumber }, { ...lookupCtx, fields: ['fullName', 'religion'] }));
    expect(err.code).toBe('ERR_PURPOSE_FIELD');
    expect(sandbox.stats().total).toBe(1);
  });

  it('a lookup of a citizen who does not exist is an answer, not an error', async () => {
    const r = await client.lookupCitizen({ idNumber: '001099000001' }, { ...lookupCtx, fields: ['fullName'] });
    expect(r).toMatchObject({ found: false, citizen: null });
  });

  it('a legacy 9-digit CMND number is accepted (no year check)', async () => {
    const c = sandbox.population.find((p) => p.legacyIdNumber)!;
    const r = await client.verifyCitizen({ idNumber: c.legacyIdNumber!, fullName: c.fullName, dateOfBirth: c.dateOfBirth }, ctx);
    expect(r.match).toBe(true);
  });

  it('1,000 concurrent verifications all succeed with exactly one token request', async () => {
    const fresh = await setup();
    try {
      const calls = Array.from({ length: 1000 }, (_, i) => {
        const c = fresh.sandbox.population[i % fresh.sandbox.population.length]!;
        return fresh.client.verifyCitizen({ idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth }, ctx);
      });
      const results = await Promise.all(calls);
      expect(results.every((r) => r.match)).toBe(true);
      expect(new Set(results.map((r) => r.requestId)).size).toBe(1000);
      expect(fresh.sandbox.stats()).toMatchObject({ tokenRequests: 1, total: 1000, served: 1000 });
    } finally {
      await fresh.close();
    }
  });

  it('reuses the request id the caller gives', async () => {
    const c = citizen();
    const r = await client.verifyCitizen(
      { idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth },
      { ...ctx, requestId: 'MYC-2026-0001' },
    );
    expect(r.requestId).toBe('MYC-2026-0001');
  });

  it('an aborted signal stops the call before it is sent', async () => {
    const c = citizen();
    const ac = new AbortController();
    ac.abort();
    const err = await rejection(client.verifyCitizen({ idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth }, { ...ctx, signal: ac.signal }));
    expect(err.code).toBe('ERR_ABORTED');
    expect(sandbox.stats().total).toBe(0);
  });

  it('a closed client refuses calls', async () => {
    const own = await setup();
    await own.close();
    const c = own.sandbox.population[0]!;
    const err = await rejection(own.client.verifyCitizen({ idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth }, ctx));
    expect(isDancuError(err) && err.code).toBe('ERR_CLIENT_CLOSED');
  });
});
