// Dedup: cache-hit calls per second through the whole public API, next to a loop of the bare
// pieces a hit cannot avoid (validate the input, HMAC the key, LRU get) measured in the same run;
// and the memory that 1,000,000 cached verifications take in the default memory store.
import { execFile } from 'node:child_process';
import { createHmac, createSecretKey, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { promisify } from 'node:util';
import { LRUCache } from 'lru-cache';
import { createClient, nameKey, parseDateOfBirth, parseIdNumber } from '../dist/index.js';
import { createSandbox, SANDBOX_PURPOSES } from '../dist/testing/index.js';

const run = promisify(execFile);
import { chainOnlySink, median } from './stats.mjs';

const perSecond = async (fn, n) => {
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await fn(i);
  return n / (Number(process.hrtime.bigint() - t) / 1e9);
};

export async function benchCache({ rounds = 7, n = 20_000, entries = 1_000_000 } = {}) {
  const sandbox = await createSandbox({ populationSize: 1000 });
  const client = createClient({
    baseUrl: sandbox.url, credentials: sandbox.credentials,
    system: { id: 'bench', unitCode: 'BENCH', version: '0' }, purposes: SANDBOX_PURPOSES, quota: { lockThreshold: 1e9 },
    audit: { sink: await chainOnlySink() }, // events built and chained, not kept; the durable trail has its own bench
  });
  const ctx = { purpose: { code: 'HT-KHAISINH' }, operator: { id: 'bench', ip: '127.0.0.1' } };
  const people = sandbox.population.map(({ idNumber, fullName, dateOfBirth }) => ({ idNumber, fullName, dateOfBirth }));
  for (const p of people) await client.verifyCitizen(p, ctx); // warm the cache: every later call is a hit

  // The bare pieces: the least work a hit can be.
  // The bare pieces, each once: the input parsed with zod, validated and normalised, one HMAC with
  // a key imported once (a KeyObject, as dancu's), an LRU get.
  const key = createSecretKey(randomBytes(32));
  const Input = z.object({ idNumber: z.string().regex(/^\d{12}$/), fullName: z.string().min(1).max(100), dateOfBirth: z.string().min(4).max(10) });
  const lru = new LRUCache({ max: 10_000 });
  const k = (p) => createHmac('sha256', key).update(['v', p.idNumber, nameKey(p.fullName), p.dateOfBirth, '', 'HT'].join('\u001f')).digest().subarray(0, 9).toString('base64url');
  for (const p of people) lru.set(k(p), { match: true });
  const today = { year: 2026, month: 11, day: 23 };
  const bare = (i) => {
    const p = Input.parse(people[i % people.length]);
    parseIdNumber(p.idNumber, 2026);
    parseDateOfBirth(p.dateOfBirth, today);
    return lru.get(k(p));
  };
  const api = (i) => client.verifyCitizen(people[i % people.length], ctx);

  await perSecond(api, n);
  await perSecond(bare, n);
  const apiRps = [], bareRps = [];
  for (let r = 0; r < rounds; r++) {
    apiRps.push(await perSecond(api, n));
    bareRps.push(await perSecond(bare, n));
  }
  const upstream = sandbox.stats().total;
  await client.close();
  await sandbox.close();

  // Memory of 1,000,000 cached verifications made through the client, in a fresh process.
  const { stdout } = await run(process.execPath, ['--expose-gc', new URL('./cache-memory.mjs', import.meta.url).pathname, String(entries)], { maxBuffer: 1 << 20 });
  const mem = JSON.parse(stdout);
  const result = {
    hitsPerSecondApi: median(apiRps),
    barePiecesPerSecond: median(bareRps),
    ratioApiToBare: median(apiRps.map((a, i) => a / bareRps[i])),
    upstreamDuringHits: upstream - people.length,
    // Sequential, events chained and dropped: all of a hit is CPU. The goal is dancu's µs per hit.
    apiUsPerHit: 1e6 / median(apiRps),
    bareUsPerCall: 1e6 / median(bareRps),
    entries: mem.entries,
    rssMB: mem.rssMB,
    compactedRssMB: mem.compactedRssMB,
    heapTotalMB: mem.heapTotalMB,
    emptyProcessRssMB: mem.baseRssMB,
    heapMB: mem.heapMB,
  };
  console.log(`\ndedup cache, ${rounds} rounds × ${n} calls, medians over rounds:`);
  console.log(`  cache hits through verifyCitizen   ${result.hitsPerSecondApi.toFixed(0)}/s`);
  console.log(`  bare pieces (validate+HMAC+LRU)    ${result.barePiecesPerSecond.toFixed(0)}/s`);
  console.log(`  ratio API/bare: ${result.ratioApiToBare.toFixed(2)}×; upstream requests during the hit loops: ${result.upstreamDuringHits}`);
  console.log(`  dancu's time per hit ${result.apiUsPerHit.toFixed(1)} µs, the bare pieces ${result.bareUsPerCall.toFixed(1)} µs   (goal ≤ 6 µs)`);
  console.log(`  ${result.entries.toLocaleString('en')} verifications through the client, cached: RSS ${result.rssMB.toFixed(0)} MB after full GCs (heap committed ${result.heapTotalMB.toFixed(0)} MB), ${result.compactedRssMB.toFixed(0)} MB after a compacting GC; the process before: ${result.emptyProcessRssMB.toFixed(0)} MB; live heap +${result.heapMB.toFixed(0)} MB   (goal ≤ 300 MB)`);
  return result;
}
