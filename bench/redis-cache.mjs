// Redis memory per cached answer: N distinct verifications made through a client whose stores live
// in Redis (cache entry, its citizen's index, the enumeration guard's sets), every key of this run's
// own prefix summed with MEMORY USAGE; next to it, in the same Redis, a plain SET with expiry of the
// same answer (its JSON) under a key as long as dancu's. Goal: ≤ 2× the plain SET per answer.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { createClient, createRedisStores } from '../dist/index.js';
import { SANDBOX_PURPOSES } from '../dist/testing/index.js';
import { chainOnlySink, instantClientOptions } from './stats.mjs';

const REDIS_URL = process.env.DANCU_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';


/** MEMORY USAGE of every key matching one of `matches`, summed by kind (what follows the prefix: `c`, `s`, `g:…`, the quota's). */
async function usage(redis, prefix, matches) {
  const out = { keys: 0, bytes: 0, byKind: {} };
  for (const match of matches) {
    for (let cursor = '0'; ;) {
      const [next, keys] = await redis.scan(cursor, 'MATCH', match, 'COUNT', 1000);
      for (const k of keys) {
        const b = Number(await redis.memory('USAGE', k, 'SAMPLES', '0'));
        const rest = k.startsWith(`{${prefix}}`) ? k.slice(prefix.length + 2) : k.slice(prefix.length);
        const kind = rest.replace(/^:/, '').replace(/[{}]/g, '').split(':').slice(0, 2).join(':').replace(/[A-Za-z0-9_-]{12,}.*$/, '…');
        out.keys++;
        out.bytes += b;
        out.byKind[kind] = (out.byKind[kind] ?? 0) + b;
      }
      cursor = next;
      if (cursor === '0') break;
    }
  }
  return out;
}

async function drop(redis, match) {
  for (let cursor = '0'; ;) {
    const [next, keys] = await redis.scan(cursor, 'MATCH', match, 'COUNT', 1000);
    if (keys.length) await redis.del(...keys);
    cursor = next;
    if (cursor === '0') break;
  }
}

export async function benchRedisCache({ n = 2000 } = {}) {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
  } catch {
    console.log(`\nRedis cache memory: skipped, Redis not reachable at ${REDIS_URL}`);
    return `skipped: Redis not reachable at ${REDIS_URL}`;
  }
  const prefix = `bench-${randomUUID()}`;
  const stores = createRedisStores({ client: redis, prefix });
  const client = createClient({
    ...instantClientOptions, purposes: SANDBOX_PURPOSES,
    quota: { lockThreshold: 1e9 }, cache: { store: stores.cache, secret: 'bench-cache-secret-0123456789abcdef' }, guards: { store: stores.guards },
    audit: { sink: await chainOnlySink() },
  });
  const ctx = { purpose: { code: 'HT-KHAISINH' }, operator: { id: 'cb.bench', ip: '10.0.0.1' } };
  let sampleKey;
  let sampleEntry;
  for (let i = 0; i < n; i++) {
    const r = await client.verifyCitizen({ idNumber: `079090${String(i).padStart(6, '0')}`, fullName: 'Nguyễn Văn An', dateOfBirth: '1990-05-17' }, ctx);
    sampleEntry ??= { answer: { found: r.found, match: r.match, detail: r.detail, fields: r.fields }, requestId: r.requestId, checkedAt: Date.now(), purpose: r.purpose };
  }
  await client.close();
  // The quota's keys are in the deployment's slot ({prefix}:…), the cache's and guards' tagged per citizen and operator (prefix:…).
  const ours = [`{${prefix}}:*`, `${prefix}:*`];
  const dancu = await usage(redis, prefix, ours);
  // Only what lives per citizen: the quota's few keys are per deployment, operator and purpose.
  const perCitizen = Object.entries(dancu.byKind).filter(([k]) => /^[csg](:|$)/.test(k)).reduce((a, [, b]) => a + b, 0);
  for (let cursor = '0'; ;) {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:c:*`, 'COUNT', 100);
    sampleKey ??= keys[0];
    cursor = next;
    if (cursor === '0' || sampleKey) break;
  }
  // The plain SET: the same answer as JSON, with the expiry, under a key of the same length.
  const plainPrefix = `{${prefix}-plain}:`;
  const pad = Math.max(1, (sampleKey?.length ?? 40) - plainPrefix.length - 6);
  for (let i = 0; i < n; i++) await redis.set(`${plainPrefix}${String(i).padStart(6, '0')}${'k'.repeat(pad)}`, JSON.stringify(sampleEntry), 'PX', 86_400_000);
  const plain = await usage(redis, `${prefix}-plain`, [`${plainPrefix}*`]);
  for (const match of ours) await drop(redis, match);
  await drop(redis, `${plainPrefix}*`);
  redis.disconnect();
  const result = {
    answers: n,
    bytesPerAnswer: perCitizen / n,
    byKind: Object.fromEntries(Object.entries(dancu.byKind).map(([k, b]) => [k, Math.round(b / n)])),
    plainSetBytesPerAnswer: plain.bytes / n,
    ratio: perCitizen / plain.bytes,
  };
  console.log(`\nRedis memory per cached answer (${n} citizens through the client, MEMORY USAGE of every key):`);
  console.log(`  dancu ${result.bytesPerAnswer.toFixed(0)} B (${Object.entries(result.byKind).map(([k, b]) => `${k} ${b}`).join(', ')})`);
  console.log(`  plain SET of the answer's JSON with expiry ${result.plainSetBytesPerAnswer.toFixed(0)} B   ratio ${result.ratio.toFixed(2)}×   (goal ≤ 2×)`);
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) await benchRedisCache();
