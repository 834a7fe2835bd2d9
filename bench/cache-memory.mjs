// Child process of bench/cache.mjs: RSS of a process that holds N cached verifications in the
// default MemoryCacheStore, keys made exactly as the client makes them (subject + detail, 2 × 72-bit HMAC, base64url).
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { MemoryCacheStore } from '../dist/index.js';

const entries = Number(process.argv[2] ?? 1_000_000);
const key = randomBytes(32);
const mac = (s) => createHmac('sha256', key).update(s).digest().subarray(0, 9).toString('base64url');
global.gc?.();
const base = process.memoryUsage();
const store = new MemoryCacheStore({ maxEntries: entries });
for (let i = 0; i < entries; i++) {
  const id = `0791900${String(i).padStart(5, '0')}`;
  const subject = mac(`s\u001f${id}`);
  store.set(Buffer.concat([Buffer.from(subject, 'base64url'), Buffer.from(mac(`${id}\u001fv\u001fnguyễn văn an\u001f1990\u001f\u001fHT-KHAISINH`), 'base64url')]).toString('base64url'), subject, {
    answer: { found: true, match: i % 7 !== 0, fields: { fullName: i % 7 !== 0, dateOfBirth: true } },
    requestId: randomUUID(), checkedAt: Date.now(), purpose: 'HT-KHAISINH',
  }, 86_400_000);
}
global.gc?.();
const m = process.memoryUsage();
process.stdout.write(JSON.stringify({ entries: store.size(), rssMB: m.rss / 2 ** 20, baseRssMB: base.rss / 2 ** 20, heapMB: (m.heapUsed - base.heapUsed) / 2 ** 20 }));
