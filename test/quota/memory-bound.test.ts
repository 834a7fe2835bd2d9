/**
 * `MemoryQuotaStore` keeps day counts for the current Vietnam day only and drops buckets once they
 * have refilled: 1,000,000 operators on one day and 1,000,000 others the next leave the heap at one
 * day's worth, not two (before: every past day's counts were kept, ~240 B per operator per day).
 * `RedisQuotaStore` keeps at most `maxFloors` day counts for its recovery after a Redis data loss.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('MemoryQuotaStore memory is bounded', () => {
  it('a second day of 1,000,000 new operators does not add to the first day\'s memory', async () => {
    const { stdout } = await run(process.execPath, ['--expose-gc', '--import', 'tsx', new URL('./memory-bound-child.ts', import.meta.url).pathname], { maxBuffer: 1 << 20 });
    const r = JSON.parse(stdout) as { h0: number; h1: number; h2: number; size1: number; size2: number };
    const perDay = r.h1 - r.h0;
    console.log(`heap: +${(perDay / 1e6).toFixed(0)} MB after day 1, +${((r.h2 - r.h0) / 1e6).toFixed(0)} MB after day 2; entries ${r.size1} then ${r.size2}`);
    // Day counts of today (1M) and the buckets not yet refilled (a minute's worth: ~60k + one sweep).
    expect(r.size1).toBeLessThan(1_000_000 + 80_000);
    expect(r.size2).toBeLessThan(1_000_000 + 80_000);
    expect(r.h2 - r.h0).toBeLessThan(perDay * 1.25);
  }, 120_000);
});

describe('RedisQuotaStore floors are bounded', () => {
  // Before: one floor (~180 B) per operator seen that day, all of them sent by every heartbeat.
  it('1,000,000 operators in one day keep maxFloors (10,000) floors: under 5 MB of heap', async () => {
    const { stdout } = await run(process.execPath, ['--expose-gc', '--import', 'tsx', new URL('./redis-floors-child.ts', import.meta.url).pathname], { maxBuffer: 1 << 20 });
    const r = JSON.parse(stdout) as { h0: number; h1: number; floors: number };
    console.log(`heap: +${((r.h1 - r.h0) / 1e6).toFixed(1)} MB after 1,000,000 operators; ${r.floors} floors`);
    expect(r.floors).toBe(10_000);
    expect(r.h1 - r.h0).toBeLessThan(5_000_000);
  }, 120_000);
});
