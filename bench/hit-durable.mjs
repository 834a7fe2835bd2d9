// The path a storm of logins takes: cache hits through the public API, each with its durable audit
// event (JSONL sink, fdatasync group commit), at 64 concurrent callers; next to it, in the same run,
// a loop of the bare pieces a hit cannot avoid — validate and normalise the input, HMAC the key, LRU
// get, and a buffered fdatasync write of one event line per call (group commit) — at the same
// concurrency. Goal: the API at ≥ 90% of the bare pieces.
import { createHmac, createSecretKey, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LRUCache } from 'lru-cache';
import { createClient, nameKey, parseDateOfBirth, parseIdNumber } from '../dist/index.js';
import { createSandbox, SANDBOX_PURPOSES } from '../dist/testing/index.js';
import { median } from './stats.mjs';

/** One write + fdatasync per batch of whatever queued while the previous batch was syncing. */
function groupCommit(fh) {
  let pending = [];
  let flushing;
  const flush = async () => {
    while (pending.length > 0) {
      const batch = pending;
      pending = [];
      await fh.write(batch.map((b) => b.line).join(''));
      await fh.datasync();
      for (const b of batch) b.resolve();
    }
    flushing = undefined;
  };
  return (line) => new Promise((resolve) => {
    pending.push({ line, resolve });
    flushing ??= flush();
  });
}

async function rate(concurrency, seconds, fn) {
  let n = 0;
  const end = performance.now() + seconds * 1000;
  const t = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < end) await fn(n++);
  }));
  return n / ((performance.now() - t) / 1000);
}

export async function benchHitDurable({ rounds = 5, seconds = 1.5, concurrency = 64 } = {}) {
  const sandbox = await createSandbox({ populationSize: 1000 });
  const dir = await mkdtemp(join(tmpdir(), 'dancu-bench-hits-'));
  const client = createClient({
    baseUrl: sandbox.url, credentials: sandbox.credentials,
    system: { id: 'bench', unitCode: 'BENCH', version: '0' }, purposes: SANDBOX_PURPOSES, quota: { lockThreshold: 1e9 },
    audit: { directory: dir, instance: 'api' },
  });
  const ctx = { purpose: { code: 'HT-KHAISINH' }, operator: { id: 'cb.bench', ip: '10.0.0.1' } };
  const people = sandbox.population.map(({ idNumber, fullName, dateOfBirth }) => ({ idNumber, fullName, dateOfBirth }));
  for (const p of people) await client.verifyCitizen(p, ctx); // every later call is a hit

  // The bare pieces, each once: the input parsed with zod, validated and normalised, one HMAC with
  // a key imported once (a KeyObject, as dancu's), an LRU get.
  const key = createSecretKey(randomBytes(32));
  const Input = z.object({ idNumber: z.string().regex(/^\d{12}$/), fullName: z.string().min(1).max(100), dateOfBirth: z.string().min(4).max(10) });
  const lru = new LRUCache({ max: 10_000 });
  const k = (p) => createHmac('sha256', key).update(['v', p.idNumber, nameKey(p.fullName), p.dateOfBirth, '', 'HT'].join('\u001f')).digest().subarray(0, 9).toString('base64url');
  for (const p of people) lru.set(k(p), { match: true, requestId: 'r' });
  const fh = await open(join(dir, 'bare.jsonl'), 'a');
  const append = groupCommit(fh);
  const today = { year: 2026, month: 11, day: 23 };
  const bare = async (i) => {
    const p = Input.parse(people[i % people.length]);
    parseIdNumber(p.idNumber, 2026);
    parseDateOfBirth(p.dateOfBirth, today);
    const key = k(p);
    const hit = lru.get(key);
    await append(`${JSON.stringify({ ts: new Date().toISOString(), type: 'cache.hit', operator: ctx.operator, purpose: ctx.purpose, subject: key, requestId: hit.requestId })}\n`);
    return hit;
  };
  const api = (i) => client.verifyCitizen(people[i % people.length], ctx);

  await rate(concurrency, 0.5, api);
  await rate(concurrency, 0.5, bare);
  const apiRps = [], bareRps = [];
  for (let r = 0; r < rounds; r++) {
    // Alternate the order so drift on a shared machine hits both sides alike.
    if (r % 2) {
      bareRps.push(await rate(concurrency, seconds, bare));
      apiRps.push(await rate(concurrency, seconds, api));
    } else {
      apiRps.push(await rate(concurrency, seconds, api));
      bareRps.push(await rate(concurrency, seconds, bare));
    }
  }
  await fh.close();
  await client.close();
  await sandbox.close();
  await rm(dir, { recursive: true, force: true });
  const result = {
    concurrency,
    hitsPerSecondApi: median(apiRps),
    barePiecesPerSecond: median(bareRps),
    ratioApiToBare: median(apiRps.map((a, i) => a / bareRps[i])),
  };
  console.log(`\ncache hits with a durable audit event, ${concurrency} concurrent callers, ${rounds} rounds × ${seconds} s, medians:`);
  console.log(`  verifyCitizen (hit + JSONL event, fdatasync group commit)   ${result.hitsPerSecondApi.toFixed(0)}/s`);
  console.log(`  bare pieces (validate+normalise+HMAC+LRU+group-commit line) ${result.barePiecesPerSecond.toFixed(0)}/s`);
  console.log(`  ratio API/bare: ${result.ratioApiToBare.toFixed(2)}×   (goal ≥ 0.90)`);
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) await benchHitDurable();
