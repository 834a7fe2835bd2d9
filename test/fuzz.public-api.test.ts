/**
 * Every public function against generated bad input: it returns or throws a DancuError with a code,
 * never a bare TypeError; nothing hangs; and nothing reaches the upstream — no API request and no
 * token request. ≥ 5,000 generated inputs in all (the counts are asserted at the end).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as dancu from '../src/index.js';
import * as profiles from '../src/profiles.js';
import * as audit from '../src/audit/index.js';
import * as kit from '../src/testing/index.js';
import { createSandbox, SANDBOX_PURPOSES, type Sandbox } from '../src/testing/index.js';

const { createClient, isDancuError, MemoryAuditSink } = dancu;
let sandbox: Sandbox;
let client: dancu.DancuClient;
let fetches = 0;
let tried = 0;
const nonDancu: string[] = [];

beforeAll(async () => {
  sandbox = await createSandbox({ populationSize: 20 });
  client = createClient({
    baseUrl: sandbox.url,
    credentials: sandbox.credentials,
    system: { id: 'fuzz', unitCode: 'U', version: '1' },
    purposes: SANDBOX_PURPOSES,
    audit: { sink: new MemoryAuditSink() },
    fetch: (input, init) => {
      fetches++;
      return globalThis.fetch(input, init);
    },
  });
});
afterAll(async () => {
  await client.close();
  await sandbox.close();
  expect(tried, 'generated bad inputs').toBeGreaterThanOrEqual(5_000);
});

/** Anything JavaScript can pass, weighted towards near-misses of the real shapes. */
const junk = fc.oneof(
  { weight: 3, arbitrary: fc.anything({ withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withNullPrototype: true, withSparseArray: true }) },
  { weight: 1, arbitrary: fc.constantFrom(undefined, null, 0, -1, NaN, Infinity, '', ' ', '\u0000', [], {}, () => 1, Symbol('s'), 10n, new Date(NaN), Object.create(null)) },
  { weight: 2, arbitrary: fc.record({ idNumber: fc.oneof(fc.string(), fc.integer(), fc.constant(undefined)), fullName: fc.oneof(fc.string(), fc.constant(null)), dateOfBirth: fc.oneof(fc.string(), fc.date({ noInvalidDate: false })), sex: fc.oneof(fc.string(), fc.constant(undefined)) }, { requiredKeys: [] }) },
  { weight: 2, arbitrary: fc.record({ purpose: fc.oneof(fc.anything(), fc.record({ code: fc.oneof(fc.string(), fc.anything()) })), operator: fc.oneof(fc.anything(), fc.record({ id: fc.oneof(fc.string(), fc.anything()), ip: fc.oneof(fc.ipV4(), fc.string(), fc.anything()) })), fields: fc.anything(), ip: fc.oneof(fc.string(), fc.anything()) }, { requiredKeys: [] }) },
);

/** Call, bounded in time; a throw must be a DancuError. Returns what it resolved to, for chaining. */
async function probe(name: string, call: () => unknown): Promise<unknown> {
  tried++;
  let timer: NodeJS.Timeout | undefined;
  try {
    const result = await Promise.race([
      Promise.resolve().then(call),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${name} did not settle within 5 s`)), 5_000))),
    ]);
    return result;
  } catch (err) {
    if (!isDancuError(err)) nonDancu.push(`${name}: ${(err as Error)?.name}: ${String((err as Error)?.message).slice(0, 160)}`);
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

function check(): void {
  const kinds = [...new Set(nonDancu.map((m) => m.replace(/received .*/, '')))];
  nonDancu.length = 0;
  expect(kinds.slice(0, 12), `${kinds.length} kinds of non-DancuError throws`).toEqual([]);
  expect(fetches, 'requests sent (API or token)').toBe(0);
  expect(sandbox.stats()).toMatchObject({ total: 0, tokenRequests: 0 });
}

describe('fuzz: every public function, bad input', () => {
  it('client calls: verifyCitizen, lookupCitizen, session and its calls, cache, quota status', async () => {
    await fc.assert(
      fc.asyncProperty(junk, junk, async (a, b) => {
        await probe('verifyCitizen', () => client.verifyCitizen(a as never, b as never));
        await probe('lookupCitizen', () => client.lookupCitizen(a as never, b as never));
        await probe('verifyCitizen(junk, good ctx)', () => client.verifyCitizen(a as never, { purpose: { code: 'HT-KHAISINH' }, operator: { id: 'cb.fuzz', ip: '10.0.0.1' } }));
        await probe('cache.invalidate', () => client.cache.invalidate(a as never));
        await probe('quota.status', () => client.quota.status(a as never));
        const s = (await probe('session', () => client.session(a as never))) as dancu.ClientSession | undefined;
        const good = (await probe('session(good)', () => client.session({ operatorId: 'cb.fuzz', ip: '10.0.0.1', userAgent: b as never }))) as dancu.ClientSession | undefined;
        for (const session of [s, good]) {
          if (!session) continue;
          await probe('session.verifyCitizen', () => session.verifyCitizen(a as never, b as never));
          await probe('session.lookupCitizen', () => session.lookupCitizen(b as never, a as never));
          await probe('session.end', () => session.end());
        }
      }),
      { numRuns: 400 },
    );
    check();
  }, 120_000);

  it('construction: createClient, stores, sinks, profiles and their building blocks', async () => {
    await fc.assert(
      fc.asyncProperty(junk, async (a) => {
        for (const [name, make] of [
          ['createClient', () => createClient(a as never)],
          ['createClient(shape)', () => createClient({ baseUrl: sandbox.url, credentials: sandbox.credentials, system: { id: 'x', unitCode: 'U', version: '1' }, purposes: SANDBOX_PURPOSES, quota: a, cache: a, guards: a, audit: a } as never)],
          ['RedisQuotaStore', () => new dancu.RedisQuotaStore(a as never)],
          ['RedisGuardStore', () => new dancu.RedisGuardStore(a as never)],
          ['RedisCacheStore', () => new dancu.RedisCacheStore(a as never)],
          ['lgspSoapProfile', () => profiles.lgspSoapProfile(a as never)],
          ['lgspAccessToken', () => profiles.lgspAccessToken(a as never, a as never)],
          ['soapEnvelope', () => profiles.soapEnvelope(a as never, a as never)],
          ['MemoryQuotaStore', () => new dancu.MemoryQuotaStore(a as never)],
          ['MemoryGuardStore', () => new dancu.MemoryGuardStore(a as never)],
          ['MemoryCacheStore', () => new dancu.MemoryCacheStore(a as never)],
          ['JsonlAuditSink', () => new dancu.JsonlAuditSink(a as never)],
          ['PostgresAuditSink', () => new dancu.PostgresAuditSink(a as never)],
          ['FanOutAuditSink', () => new dancu.FanOutAuditSink(a as never)],
          ['PinoAuditSink', () => new dancu.PinoAuditSink(a as never)],
        ] as const) {
          const made = await probe(name, make);
          if (made && typeof (made as { close?: unknown }).close === 'function') await probe(`${name}.close`, () => (made as { close(): unknown }).close());
        }
      }),
      { numRuns: 300 },
    );
    check();
  }, 120_000);

  it('helpers: ID numbers, dates, names, credentials, Retry-After', async () => {
    await fc.assert(
      fc.asyncProperty(junk, junk, async (a, b) => {
        await probe('parseIdNumber', () => dancu.parseIdNumber(a as never, b as never));
        await probe('normaliseIdNumber', () => dancu.normaliseIdNumber(a as never));
        await probe('maskIdNumber', () => dancu.maskIdNumber(a as never));
        await probe('parseDateOfBirth', () => dancu.parseDateOfBirth(a as never, b as never));
        await probe('normaliseName', () => dancu.normaliseName(a as never));
        await probe('nameKey', () => dancu.nameKey(a as never));
        await probe('secretProblems', () => dancu.secretProblems(a as never, b as never, dancu.DEFAULT_CREDENTIAL_POLICY));
        await probe('estimateSecretBits', () => dancu.estimateSecretBits(a as never));
        await probe('parseRetryAfter', () => profiles.parseRetryAfter(a as never, Date.now()));
      }),
      { numRuns: 300 },
    );
    check();
  }, 120_000);

  it('the other entries: dancu/audit (verify, read, report), dancu/profiles (failure mapper), dancu/testing (sandbox, population)', async () => {
    await fc.assert(
      fc.asyncProperty(junk, junk, async (a, b) => {
        await probe('verifyLines', () => audit.verifyLines(a as never, b as never, a as never, b as never));
        await probe('verifyDirectory', () => audit.verifyDirectory(a as never, b as never));
        await probe('verifyPostgres', () => audit.verifyPostgres(a as never, b as never, a as never));
        await probe('readEvents', () => audit.readEvents(a as never));
        await probe('summarise', () => audit.summarise(a as never));
        await probe('summarise([junk])', () => audit.summarise([a, b] as never));
        await probe('reportTable', () => audit.reportTable(a as never));
        await probe('reportCsv', () => audit.reportCsv(a as never));
        await probe('reportHtml', () => audit.reportHtml(a as never, b as never));
        await probe('parseAuditEvent', () => audit.parseAuditEvent(a));
        await probe('deriveAuditKeys', () => audit.deriveAuditKeys(a as never, b as never));
        await probe('checkpointSigner', () => audit.checkpointSigner(a as never));
        await probe('parseCheckpoint', () => audit.parseCheckpoint(a as never));
        await probe('checkpointId', () => audit.checkpointId(a as never));
        await probe('keyFingerprint', () => audit.keyFingerprint(a as never));
        await probe('witnessAccepts', () => audit.witnessAccepts(a as never, b as never));
        await probe('DirectoryWitness', () => new audit.DirectoryWitness(a as never));
        await probe('HttpWitness', () => new audit.HttpWitness(a as never));
        await probe('PostgresWitness', () => new audit.PostgresWitness(a as never));
        await probe('witnessMigrationSql', () => audit.witnessMigrationSql(a as never));
        await probe('streamEvents', async () => { for await (const _ of audit.streamEvents(a as never)) break; });
        await probe('upstreamError', () => profiles.upstreamError(a as never));
        await probe('generateCitizens', () => kit.generateCitizens(a as never, b as never));
        const sandbox = (await probe('createSandbox', () => kit.createSandbox({ ...(typeof a === 'object' && a !== null && !Array.isArray(a) ? a : {}), listen: false } as never))) as { close?: () => Promise<void> } | undefined;
        await sandbox?.close?.();
        await probe('createSandbox(junk)', async () => (await kit.createSandbox(a as never)).close());
      }),
      { numRuns: 150 },
    );
    check();
  }, 180_000);
});
