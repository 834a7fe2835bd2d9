import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryCacheStore } from '../../src/index.js';
import { ctx, lookupCtx, rejection, setup } from '../helpers.js';

const on = { cache: { enabled: true } } as const;

describe('dedup in one process, through the public API', () => {
  it('1,000 concurrent identical calls → 1 upstream call; each caller gets its own result', async () => {
    const { sandbox, client, close } = await setup({}, on);
    try {
      const c = sandbox.population[0]!;
      const results = await Promise.all(
        Array.from({ length: 1000 }, () => client.verifyCitizen({ idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth }, ctx)),
      );
      expect(sandbox.stats().total).toBe(1);
      expect(results.filter((r) => r.source === 'upstream')).toHaveLength(1);
      expect(results.filter((r) => r.source === 'joined')).toHaveLength(999);
      expect(new Set(results.map((r) => r.requestId)).size).toBe(1); // the one upstream request
      results[1]!.fields.fullName = false; // a caller mutating its result does not touch the others'
      expect(results[2]!.fields.fullName).toBe(true);
      const later = await client.verifyCitizen({ idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth }, ctx);
      expect(later).toMatchObject({ source: 'cache', match: true, fields: { fullName: true } });
      expect(await client.cache.stats()).toEqual({ hits: 1, misses: 1, joins: 999, size: 1 });
    } finally {
      await close();
    }
  });

  it('property: a citizen typed in NFC, NFD, upper case, doubled spaces → 1 upstream call', async () => {
    const { sandbox, client, close } = await setup({ populationSize: 200 }, on);
    try {
      const variant = fc.constantFrom(
        (s: string) => s.normalize('NFD'),
        (s: string) => s.toLocaleUpperCase('vi'),
        (s: string) => s.toLocaleLowerCase('vi').normalize('NFD'),
        (s: string) => s.replace(/ /g, '  '),
        (s: string) => `\t ${s} `,
        (s: string) => s,
      );
      const seen = new Set<string>();
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 0, max: 199 }), fc.array(variant, { minLength: 1, maxLength: 6 }), async (i, variants) => {
          const c = sandbox.population[i]!;
          const before = sandbox.stats().total;
          const rs = await Promise.all(
            variants.map((v) => client.verifyCitizen({ idNumber: c.idNumber, fullName: v(c.fullName), dateOfBirth: c.dateOfBirth }, ctx)),
          );
          expect(rs.every((r) => r.match)).toBe(true);
          expect(sandbox.stats().total - before).toBe(seen.has(c.idNumber) ? 0 : 1);
          seen.add(c.idNumber);
        }),
        { numRuns: 150 },
      );
      expect(sandbox.stats().total).toBe(seen.size);
    } finally {
      await close();
    }
  });

  it('a failing upstream call is not cached: the next call goes upstream again', async () => {
    const { sandbox, client, close } = await setup({}, { ...on, retry: { attempts: 1 } });
    try {
      const c = sandbox.population[1]!;
      const input = { idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth };
      for (const fault of ['503', 'invalid-schema', 'malformed'] as const) {
        sandbox.inject(fault);
        const [a, b] = await Promise.all([rejection(client.verifyCitizen(input, ctx)), rejection(client.verifyCitizen(input, ctx))]);
        expect(a.code).toMatch(/^ERR_UPSTREAM/);
        expect(b.code).toBe(a.code); // the joiner shares the failure…
      }
      const before = sandbox.stats().total;
      expect(before).toBe(3); // …without a request of its own
      await expect(client.verifyCitizen(input, ctx)).resolves.toMatchObject({ source: 'upstream', match: true });
      expect(sandbox.stats().total).toBe(4);
    } finally {
      await close();
    }
  });

  it('TTL by outcome: a match for 24 h, a mismatch and a not-found for 5 min (Vietnam clock irrelevant)', async () => {
    let now = Date.UTC(2026, 10, 23, 2, 0, 0);
    const clock = () => now;
    const { sandbox, client, close } = await setup({ clock }, { clock, cache: { store: new MemoryCacheStore({ clock }) } });
    try {
      const c = sandbox.population[2]!;
      const match = { idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth };
      const mismatch = { ...match, fullName: 'Tên Sai' };
      const ghost = { ...match, idNumber: '001099999999', dateOfBirth: '1999' };
      for (const input of [match, mismatch, ghost]) await client.verifyCitizen(input, ctx);
      const sources = async () => Promise.all([match, mismatch, ghost].map((i) => client.verifyCitizen(i, ctx).then((r) => r.source)));
      expect(await sources()).toEqual(['cache', 'cache', 'cache']);
      now += 5 * 60_000 + 1;
      expect(await sources()).toEqual(['cache', 'upstream', 'upstream']);
      now += 24 * 3_600_000;
      expect(await sources()).toEqual(['upstream', 'upstream', 'upstream']);
    } finally {
      await close();
    }
  });

  it('lookups are not cached by default (single-flight only), and can be', async () => {
    const { sandbox, client, close } = await setup({}, on);
    try {
      const id = { idNumber: sandbox.population[3]!.idNumber };
      const lctx = { ...lookupCtx, fields: ['fullName'] as const };
      const [a, b] = await Promise.all([client.lookupCitizen(id, { ...lctx, fields: ['fullName'] }), client.lookupCitizen(id, { ...lctx, fields: ['fullName'] })]);
      expect([a.source, b.source]).toEqual(['upstream', 'joined']);
      expect((await client.lookupCitizen(id, { ...lctx, fields: ['fullName'] })).source).toBe('upstream');
      expect(sandbox.stats().total).toBe(2);
    } finally {
      await close();
    }
    const cached = await setup({}, { cache: { ttlMs: { lookup: 60_000 } } });
    try {
      const id = { idNumber: cached.sandbox.population[3]!.idNumber };
      await cached.client.lookupCitizen(id, { ...lookupCtx, fields: ['fullName', 'dateOfBirth'] });
      const again = await cached.client.lookupCitizen(id, { ...lookupCtx, fields: ['dateOfBirth', 'fullName'] });
      expect(again.source).toBe('cache');
      const other = await cached.client.lookupCitizen(id, { ...lookupCtx, fields: ['fullName'] });
      expect(other.source).toBe('upstream'); // other fields: another entry
    } finally {
      await cached.close();
    }
  });

  it('an answer serves another purpose only when shareAcrossPurposes is set; the result names the caller’s purpose', async () => {
    for (const share of [false, true]) {
      const { sandbox, client, close } = await setup({}, { cache: { shareAcrossPurposes: share } });
      try {
        const c = sandbox.population[4]!;
        const input = { idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth };
        await client.verifyCitizen(input, ctx);
        const other = await client.verifyCitizen(input, { ...ctx, purpose: { code: 'DD-CAPGCN' } });
        expect(other.source).toBe(share ? 'cache' : 'upstream');
        expect(other.purpose).toBe('DD-CAPGCN');
      } finally {
        await close();
      }
    }
  });

  it('cache.invalidate({ idNumber }) drops every answer about the citizen', async () => {
    const { sandbox, client, close } = await setup({}, on);
    try {
      const c = sandbox.population[5]!;
      const input = { idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth };
      await client.verifyCitizen(input, ctx);
      await client.verifyCitizen({ ...input, fullName: 'Tên Sai' }, ctx);
      await client.verifyCitizen(input, { ...ctx, purpose: { code: 'DD-CAPGCN' } });
      expect(await client.cache.invalidate({ idNumber: ` ${c.idNumber} ` })).toBe(3);
      expect((await client.verifyCitizen(input, ctx)).source).toBe('upstream');
      await expect(client.cache.invalidate({ idNumber: '12345' })).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' });
    } finally {
      await close();
    }
  });

  it('cache hits cost no quota; cache.enabled false sends every call', async () => {
    const { sandbox, client, close } = await setup({}, { cache: { enabled: true }, quota: { perDay: 1 } });
    try {
      const c = sandbox.population[6]!;
      const input = { idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth };
      for (let i = 0; i < 5; i++) await client.verifyCitizen(input, ctx);
      expect(sandbox.stats().total).toBe(1);
    } finally {
      await close();
    }
    const off = await setup({}, { cache: { enabled: false } });
    try {
      const c = off.sandbox.population[6]!;
      await Promise.all(Array.from({ length: 3 }, () => off.client.verifyCitizen({ idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth }, ctx)));
      expect(off.sandbox.stats().total).toBe(3);
    } finally {
      await off.close();
    }
  });
});
