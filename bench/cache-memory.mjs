// Child process of bench/cache.mjs: the RSS of a process that made N distinct verifications through
// the client (each a miss, then cached), with everything the client keeps per citizen, operator and
// subject (cache entries, audit subjects, guard state, quota), over a `fetch` that answers at once
// (no sandbox in the process). Measured after full GCs, first with V8's default heuristics, then
// after a full GC that compacts every page (what the process holds, not what the allocator left).
import { setFlagsFromString } from 'node:v8';
import { createClient } from '../dist/index.js';
import { DiscardingAuditSink, SANDBOX_PURPOSES } from '../dist/testing/index.js';
import { instantClientOptions } from './stats.mjs';

const entries = Number(process.argv[2] ?? 1_000_000);
global.gc();
const base = process.memoryUsage();
const client = createClient({
  ...instantClientOptions, purposes: SANDBOX_PURPOSES, quota: { lockThreshold: 1e9 },
  cache: { maxEntries: entries }, audit: { sink: new DiscardingAuditSink() },
});
for (let i = 0; i < entries; i++) {
  const idNumber = `079090${String(i).padStart(6, '0')}`; // Hồ Chí Minh, a man born in 1990
  await client.verifyCitizen({ idNumber, fullName: 'Nguyễn Văn An', dateOfBirth: '1990-05-17' }, { purpose: { code: 'HT-KHAISINH' }, operator: { id: `cb.${i % 1000}`, ip: '10.0.0.1' } });
}
const { size } = await client.cache.stats();
global.gc();
global.gc();
const m = process.memoryUsage();
setFlagsFromString('--compact-on-every-full-gc');
global.gc();
const c = process.memoryUsage();
process.stdout.write(JSON.stringify({
  entries: size, baseRssMB: base.rss / 2 ** 20,
  rssMB: m.rss / 2 ** 20, heapTotalMB: m.heapTotal / 2 ** 20,
  compactedRssMB: c.rss / 2 ** 20, heapMB: (c.heapUsed - base.heapUsed) / 2 ** 20,
}));
await client.close();
