/**
 * Child of memory-bound.test.ts: 1,000,000 distinct operators a day for two Vietnam days through the
 * memory quota store (a per-operator day budget and bucket), with the heap measured after a full GC.
 */
import { MemoryQuotaStore } from '../../src/index.js';

const gc = (globalThis as { gc?: () => void }).gc!;
let now = Date.parse('2026-11-23T01:00:00.000+07:00');
const store = new MemoryQuotaStore({ clock: () => now });
const heap = () => {
  gc();
  return process.memoryUsage().heapUsed;
};
const h0 = heap();
const day = (offset: number) => {
  for (let i = 0; i < 1_000_000; i++) {
    now += 1; // 1,000 s a day of traffic: buckets refill (and are dropped) as it goes
    const r = store.reserve([
      { id: 'operator-day', kind: 'day', key: `op:${offset + i}:d`, limit: 400 },
      { id: 'operator-minute', kind: 'bucket', key: `op:${offset + i}:m`, limit: 10, ratePerMinute: 10 },
    ], 1);
    if (!r.ok) throw new Error('refused');
  }
};
day(0);
const h1 = heap();
const size1 = store.size;
now = Date.parse('2026-11-24T01:00:00.000+07:00');
day(1_000_000);
const h2 = heap();
process.stdout.write(JSON.stringify({ h0, h1, h2, size1, size2: store.size }));
