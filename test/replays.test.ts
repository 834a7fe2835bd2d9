/**
 * The incident replays near a Vietnam midnight: the sandbox lifts a lock and restarts its day's
 * count at midnight, so a replay that crossed one would end with the naive run unlocked, a false
 * "verdict failed". The replays (and the tour) run on a clock set back when midnight is near.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { demoExitCode, REPLAY_MARGIN_MS, replayClockShift, runReplays, table } from '../src/cli/replays.js';
import { runTour } from '../src/cli/tour.js';
import { nextVietnamMidnight } from '../src/internal/time.js';

describe('replay clock', () => {
  it('after the shift, no Vietnam midnight falls within the margin; far from midnight there is no shift', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.parse('2000-01-01T00:00:00Z'), max: Date.parse('2100-01-01T00:00:00Z') }),
        fc.integer({ min: 1_000, max: 6 * 3_600_000 }),
        (now, margin) => {
          const shift = replayClockShift(now, margin);
          const shifted = now - shift;
          expect(nextVietnamMidnight(shifted) - shifted).toBeGreaterThanOrEqual(margin);
          expect(shift === 0).toBe(nextVietnamMidnight(now) - now >= margin);
        },
      ),
    );
    const midnight = Date.parse('2026-12-01T17:00:00Z'); // 00:00 on 2 December in Vietnam
    expect(replayClockShift(midnight - 1, REPLAY_MARGIN_MS)).toBe(REPLAY_MARGIN_MS);
    expect(replayClockShift(midnight, REPLAY_MARGIN_MS)).toBe(0);
    expect(replayClockShift(midnight - REPLAY_MARGIN_MS, REPLAY_MARGIN_MS)).toBe(0);
  });

  it('Hải Dương started 3 s before a Vietnam midnight: the naive run still locks, dancu still does not', async () => {
    const midnight = Date.parse('2026-12-01T17:00:00Z');
    const start = Date.now();
    const clock = () => midnight - 3_000 + (Date.now() - start); // real time, 3 s before midnight
    const lines: string[] = [];
    const report = await runReplays({ scenarios: ['hai-duong'], clock, write: (l) => lines.push(l) });
    expect(report.clockShiftMs).toBe(REPLAY_MARGIN_MS);
    expect(report.runs.map((r) => [r.client, r.locked, r.verdict.ok])).toEqual([['naive', true, true], ['dancu', false, true]]);
    expect(report.ok).toBe(true);
    expect(lines.join('\n')).toMatch(/clock set 10 min back/);
    // Far from midnight the clock is the real one, and the table says nothing of it.
    expect(table({ ...report, clockShiftMs: 0 }).join('\n')).not.toMatch(/clock set/);
  }, 120_000);

  it('the tour started 2 s before a Vietnam midnight: every check holds, on a clock set back', async () => {
    const midnight = Date.parse('2026-12-01T17:00:00Z');
    const start = Date.now();
    const lines: string[] = [];
    const ok = await runTour({ json: true, clock: () => midnight - 2_000 + (Date.now() - start), write: (l) => lines.push(l) });
    const report = JSON.parse(lines.join('\n')) as { ok: boolean; clockShiftMs: number; checks: Array<{ name: string; ok: boolean }> };
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    expect([ok, report.ok, report.clockShiftMs]).toEqual([true, true, REPLAY_MARGIN_MS]);
  }, 60_000);
});

describe('the demo\'s verdicts can fail: each flips to ✗ and the exit code is 1', () => {
  const quiet = () => undefined;

  it('a naive run that does not lock is no reproduction of the incident', async () => {
    const report = await runReplays({ scenarios: ['hai-duong'], write: quiet, faults: { naiveLockThreshold: 1_000_000 } });
    expect(report.runs.map((r) => [r.client, r.locked, r.verdict.ok])).toEqual([['naive', false, false], ['dancu', false, true]]);
    expect([report.ok, demoExitCode(report)]).toEqual([false, 1]);
    expect(table(report).join('\n')).toContain('✗ FAILED');
  }, 120_000);

  it('a dancu run whose trail fails verification is not "prevented"', async () => {
    const report = await runReplays({ scenarios: ['long-an'], write: quiet, faults: { tamperTrail: true } });
    const dancu = report.runs.find((r) => r.client === 'dancu')!;
    expect(dancu.verdict).toMatchObject({ ok: false, text: expect.stringContaining('audit trail did NOT verify') });
    expect(dancu.refused['AUDIT TRAIL INVALID']).toBe(1);
    expect(report.runs.find((r) => r.client === 'naive')!.verdict.ok).toBe(true);
    expect([report.ok, demoExitCode(report)]).toEqual([false, 1]);
  }, 120_000);

  it('a guard that lets the macro through fails the Quảng Trị verdict', async () => {
    const report = await runReplays({ scenarios: ['quang-tri'], write: quiet, faults: { dancuGuards: { enumeration: false } } });
    const dancu = report.runs.find((r) => r.client === 'dancu')!;
    expect(dancu.upstreamRequests).toBeGreaterThan(128 * 3);
    expect(dancu.verdict.ok).toBe(false);
    expect([report.ok, demoExitCode(report)]).toEqual([false, 1]);
  }, 180_000);

  it('without faults, every verdict of these scenarios holds and the exit code is 0', async () => {
    const report = await runReplays({ scenarios: ['long-an', 'dong-nai'], write: quiet });
    expect(report.runs.every((r) => r.verdict.ok)).toBe(true);
    expect(demoExitCode(report)).toBe(0);
  }, 120_000);
});
