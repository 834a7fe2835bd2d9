/** One contract for every CacheStore: memory, and Redis through ioredis and node-redis. */
import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MemoryCacheStore, RedisCacheStore, type CachedEntry, type CacheStore } from '../../src/index.js';
import { contractClusterClients, contractRedisClients } from '../services.js';
import { createSandbox } from '../../src/testing/index.js';
import { clientFor, ctx } from '../helpers.js';

const { ioredis, nodeRedis } = await contractRedisClients();
const { ioredisCluster, nodeRedisCluster } = await contractClusterClients();
/** A subject as the client makes them: 12 characters, and every key of the citizen starts with it. */
const subject = (name: string) => name.padEnd(12, '_');

const key32 = randomBytes(32);
const entry = (n = 1): CachedEntry => ({
  answer: { found: true, match: n % 2 === 1, fields: { fullName: true, dateOfBirth: n % 2 === 1 } },
  requestId: `req-${n}`,
  checkedAt: 1_700_000_000_000 + n * 1000, // stores keep the time to the second
  purpose: 'HT-KHAISINH',
});

const factories: Array<[string, (() => CacheStore) | undefined]> = [
  ['MemoryCacheStore', () => new MemoryCacheStore({ maxEntries: 100 })],
  ['RedisCacheStore (ioredis)', ioredis && (() => new RedisCacheStore({ client: ioredis, prefix: `c-${randomUUID()}`, encryptionKey: key32 }))],
  ['RedisCacheStore (node-redis)', nodeRedis && (() => new RedisCacheStore({ client: nodeRedis, prefix: `c-${randomUUID()}`, encryptionKey: key32 }))],
  ['RedisCacheStore (ioredis Cluster)', ioredisCluster && (() => new RedisCacheStore({ client: ioredisCluster, prefix: `c-${randomUUID()}`, encryptionKey: key32 }))],
  ['RedisCacheStore (node-redis cluster)', nodeRedisCluster && (() => new RedisCacheStore({ client: nodeRedisCluster, prefix: `c-${randomUUID()}`, encryptionKey: key32 }))],
];

for (const [name, make] of factories) {
  describe.skipIf(!make)(`CacheStore contract: ${name}`, () => {
    it('stores, returns, and expires entries by their own TTL', async () => {
      const store = make!();
      // Keys start with their subject, as the client makes them.
      const s1 = subject('s1');
      await store.set(`${s1}k1`, s1, entry(1), 60_000);
      await store.set(`${s1}k2`, s1, entry(2), 40);
      expect(await store.get(`${s1}k1`)).toEqual(entry(1));
      expect(await store.get(`${s1}k2`)).toEqual(entry(2));
      expect(await store.get(`${subject('nope')}k1`)).toBeUndefined();
      await new Promise((r) => setTimeout(r, 80));
      expect(await store.get(`${s1}k2`)).toBeUndefined();
      expect(await store.get(`${s1}k1`)).toEqual(entry(1));
    });

    it('invalidates every entry of a subject, and only those', async () => {
      const store = make!();
      const [alice, bob] = [subject('alice'), subject('bob')];
      await store.set(`${alice}1`, alice, entry(1), 60_000);
      await store.set(`${alice}2`, alice, entry(2), 60_000);
      await store.set(`${bob}1`, bob, entry(3), 60_000);
      expect(await store.invalidateSubject(alice)).toBe(2);
      expect(await store.get(`${alice}1`)).toBeUndefined();
      expect(await store.get(`${alice}2`)).toBeUndefined();
      expect(await store.get(`${bob}1`)).toEqual(entry(3));
      expect(await store.invalidateSubject(alice)).toBe(0);
    });
  });
}

describe('MemoryCacheStore', () => {
  it('is bounded: the least recently used entry goes first', () => {
    const store = new MemoryCacheStore({ maxEntries: 2 });
    store.set('sa', 's', entry(1), 60_000);
    store.set('sb', 's', entry(2), 60_000);
    store.get('sa');
    store.set('sc', 's', entry(3), 60_000);
    expect(store.get('sb')).toBeUndefined();
    expect(store.get('sa')).toBeDefined();
    expect(store.size()).toBe(2);
    expect(store.invalidateSubject('s')).toBe(2);
  });

  it('keeps answers compactly and gives them back exactly (UUID request ids, sex flags, lookups)', () => {
    const store = new MemoryCacheStore();
    const id = crypto.randomUUID();
    const verify: CachedEntry = { answer: { found: true, match: false, fields: { fullName: true, dateOfBirth: false, sex: true } }, requestId: id, checkedAt: 1_790_000_000_000, purpose: 'DD-CAPGCN' };
    const lookup: CachedEntry = { answer: { found: true, citizen: { fullName: 'Lê Thị Hoa', sex: 'female' } }, requestId: 'MYC-1', checkedAt: 1_790_000_001_000, purpose: 'DD-CAPGCN' };
    store.set('xv', 'x', verify, 60_000);
    store.set('xl', 'x', lookup, 60_000);
    expect(store.get('xv')).toEqual(verify);
    expect(store.get('xl')).toEqual(lookup);
    // A purpose code may hold '|'; a request id of another form '|' or '~': given back as they were.
    const odd: CachedEntry = { answer: { found: true, match: true, detail: 'fields', fields: { fullName: true, dateOfBirth: true } }, requestId: 'r|~1', checkedAt: 1_790_000_002_000, purpose: 'HT|KS' };
    const oddPurpose: CachedEntry = { ...odd, requestId: id };
    store.set('xo', 'x', odd, 60_000);
    store.set('xp', 'x', oddPurpose, 60_000);
    expect(store.get('xo')).toEqual(odd);
    expect(store.get('xp')).toEqual(oddPurpose);
  });
});

describe.skipIf(!ioredis)('RedisCacheStore specifics', () => {
  it('encrypts values at rest (AES-256-GCM); a value under another key or another secret is a miss', async () => {
    const prefix = `c-${randomUUID()}`;
    const store = new RedisCacheStore({ client: ioredis!, prefix, encryptionKey: key32 });
    await store.set('k', 's', entry(1), 60_000);
    const raw = (await ioredis!.get(store.keyOf('k')))!;
    expect(raw).not.toContain('req-1');
    expect(raw).not.toContain('HT-KHAISINH');
    expect(Buffer.from(raw, 'base64').toString('utf8')).not.toContain('match');
    // Moved to another key (the key is the associated data): refused.
    await ioredis!.set(store.keyOf('other'), raw);
    expect(await store.get('other')).toBeUndefined();
    // Read with another secret (after rotation): a miss, not an error.
    const rotated = new RedisCacheStore({ client: ioredis!, prefix, encryptionKey: randomBytes(32) });
    expect(await rotated.get('k')).toBeUndefined();
    // Tampered: a miss.
    const bytes = Buffer.from(raw, 'base64');
    bytes[bytes.length - 1]! ^= 1;
    await ioredis!.set(store.keyOf('k'), bytes.toString('base64'));
    expect(await store.get('k')).toBeUndefined();
  });

  it('keeps a cached answer compactly: the value and the citizen index hold a few dozen bytes, not the JSON and whole keys', async () => {
    const prefix = `c-${randomUUID()}`;
    const store = new RedisCacheStore({ client: ioredis!, prefix, encryptionKey: key32 });
    const uuid = randomUUID();
    const e: CachedEntry = { ...entry(1), answer: { found: true, match: true, detail: 'fields', fields: { fullName: true, dateOfBirth: true } }, requestId: uuid, purpose: 'A|B~C' }; // a purpose may hold any character
    const s1 = subject('subj1');
    await store.set(`${s1}detail1`, s1, e, 60_000);
    expect(await store.get(`${s1}detail1`)).toEqual(e);
    const raw = (await ioredis!.get(store.keyOf(`${s1}detail1`)))!;
    expect(Buffer.from(raw, 'base64').length).toBeLessThan(28 + 60); // iv + tag + the packed answer
    expect(await ioredis!.smembers(`${prefix}:s:{${s1}}`)).toEqual([`${s1}detail1`]);
  });

  it('a per-key lock for cross-process single-flight: one holder, released by its token only', async () => {
    const store = new RedisCacheStore({ client: nodeRedis!, prefix: `c-${randomUUID()}`, encryptionKey: key32 });
    expect(await store.acquire('k', 5_000, 'mine')).toBe(true);
    expect(await store.acquire('k', 5_000, 'theirs')).toBe(false);
    expect(await store.held('k')).toBe(true);
    await store.release('k', 'theirs');
    expect(await store.held('k')).toBe(true);
    await store.release('k', 'mine');
    expect(await store.held('k')).toBe(false);
  });

  it('refuses to work without an encryption key', async () => {
    const store = new RedisCacheStore({ client: ioredis!, prefix: `c-${randomUUID()}` });
    await expect(store.set('k', 's', entry(1), 1000)).rejects.toMatchObject({ code: 'ERR_CONFIG_INVALID', message: expect.stringMatching(/encryption key/) });
    expect(() => new RedisCacheStore({ client: ioredis!, encryptionKey: Buffer.alloc(16) })).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
  });

  it('two clients on one store: the same cache.secret shares entries; another secret is refused, never silently re-keying the store', async () => {
    const sandbox = await createSandbox({ populationSize: 5 });
    const store = new RedisCacheStore({ client: ioredis!, prefix: `c-${randomUUID()}` });
    const secretA = randomBytes(32);
    const a = clientFor(sandbox, { cache: { store, secret: secretA } });
    const again = clientFor(sandbox, { cache: { store, secret: secretA } });
    try {
      const c = sandbox.population[0]!;
      const input = { idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth };
      expect((await a.verifyCitizen(input, ctx)).source).toBe('upstream');
      expect(() => clientFor(sandbox, { cache: { store, secret: randomBytes(32) } })).toThrow(
        expect.objectContaining({ code: 'ERR_CONFIG_INVALID', message: expect.stringContaining('another cache.secret') }),
      );
      // The refused client changed nothing: the first client's entry is still a hit, for either client of its secret.
      expect((await a.verifyCitizen(input, ctx)).source).toBe('cache');
      expect((await again.verifyCitizen(input, ctx)).source).toBe('cache');
      expect(sandbox.stats().total).toBe(1);
    } finally {
      await a.close();
      await again.close();
      await sandbox.close();
    }
  });
});
