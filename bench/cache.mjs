// Dedup: cache-hit calls per second through the whole public API, next to a loop of the bare
// pieces a hit cannot avoid (validate the input, HMAC the key, LRU get) measured in the same run;
// and the memory that 1,000,000 cached verifications take in the default memory store.
import { execFile } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
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
  const key = randomBytes(32);
  const lru = new LRUCache({ max: 10_000 });
  const k = (p) => createHmac('sha256', key).update(['v', p.idNumber, nameKey(p.fullName), p.dateOfBirth, '', 'HT'].join('\u001f')).digest().subarray(0, 9).toString('base64url');
  for (const p of people) lru.set(k(p), { match: true });
  const today = { year: 2026, month: 11, day: 23 };
  const bare = (i) => {
    const p = people[i % people.length];
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

  // Memory of 1,000,000 cached verifications, in a fresh process that holds only them.
  const { stdout } = await run(process.execPath, ['--expose-gc', new URL('./cache-memory.mjs', import.meta.url).pathname, String(entries)], { maxBuffer: 1 << 20 });
  const mem = JSON.parse(stdout);
  const result = {
    hitsPerSecondApi: median(apiRps),
    barePiecesPerSecond: median(bareRps),
    ratioApiToBare: median(apiRps.map((a, i) => a / bareRps[i])),
    upstreamDuringHits: upstream - people.length,
    entries: mem.entries,
    rssMB: mem.rssMB,
    emptyProcessRssMB: mem.baseRssMB,
    heapMB: mem.heapMB,
  };
  console.log(`\ndedup cache, ${rounds} rounds × ${n} calls, medians over rounds:`);
  console.log(`  cache hits through verifyCitizen   ${result.hitsPerSecondApi.toFixed(0)}/s`);
  console.log(`  bare pieces (validate+HMAC+LRU)    ${result.barePiecesPerSecond.toFixed(0)}/s`);
  console.log(`  ratio API/bare: ${result.ratioApiToBare.toFixed(2)}×; upstream requests during the hit loops: ${result.upstreamDuringHits}`);
  console.log(`  ${result.entries.toLocaleString('en')} cached verifications in one process: RSS ${result.rssMB.toFixed(0)} MB (the process before: ${result.emptyProcessRssMB.toFixed(0)} MB; entries' heap ${result.heapMB.toFixed(0)} MB)   (goal ≤ 300 MB RSS)`);
  return result;
}
