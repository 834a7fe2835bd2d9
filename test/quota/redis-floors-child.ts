/**
 * Child of memory-bound.test.ts: 1,000,000 distinct operators in one Vietnam day through
 * `RedisQuotaStore` (a global and a per-operator day budget), with the heap measured after a full
 * GC. What grows here is the process's own memory (the floors it keeps for a Redis data loss), so
 * the Redis side is the public `{ evalsha, scriptLoad }` client shape answering as the script does
 * for a grant; the script itself is covered against real Redis in store.contract.test.ts.
 */
import { RedisQuotaStore, type BudgetSpec } from '../../src/index.js';

const gc = (globalThis as { gc?: () => void }).gc!;
const heap = () => {
  gc();
  return process.memoryUsage().heapUsed;
};
let count = 0;
const client = {
  scriptLoad: async () => 'sha',
  // ARGV: now, cost, mode, recoveryMs, then 6 per budget. Reply {1, life, day, v_1..v_n}.
  evalsha: async (_sha: string, keys: readonly string[]) => [1, 'life-1', '20415', ...keys.slice(2).map(() => ++count)],
};
const maxFloors = Number(process.argv[2] ?? 10_000);
const store = new RedisQuotaStore({ client, ...(process.argv[2] ? { maxFloors } : {}) });
const global: BudgetSpec = { id: 'global.day', key: 'd:global', kind: 'day', limit: 1e9 };
const h0 = heap();
for (let i = 0; i < Number(process.env.N ?? 1_000_000); i++) {
  const r = await store.reserve([global, { id: 'operator.day', key: `d:op:${i}`, kind: 'day', limit: 400 }], 1);
  if (!r.ok) throw new Error('refused');
}
const h1 = heap();
const floors = store.floorCount;
store.close();
process.stdout.write(JSON.stringify({ h0, h1, floors }));
