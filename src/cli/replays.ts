import { createClient, isDancuError } from '../index.js';
import { nextVietnamMidnight, type Clock } from '../internal/time.js';
import type { Sandbox } from '../testing/index.js';
import { bar, baseOptions, dancuRun, judge, LOCK, naiveRun, pool, shuffle, verify, VERIFY, type Faults, type Outcome, type Progress, type Run } from './replay-runs.js';
import { SCENARIOS, type ReplayOptions, type ReplayReport, type RunResult, type ScenarioId } from './replay-types.js';

export { demoExitCode } from './replay-runs.js';
export { SCENARIOS } from './replay-types.js';
export type { ReplayOptions, ReplayReport, RunResult, ScenarioId } from './replay-types.js';

/** Time a replay at scale 1 is given before a Vietnam midnight (it takes well under a minute on 2 cores). */
export const REPLAY_MARGIN_MS = 10 * 60_000;

/** How far to set the replays' clock back from `now` so that no Vietnam midnight falls within `marginMs`. */
export function replayClockShift(now: number, marginMs: number): number {
  return nextVietnamMidnight(now) - now < marginMs ? marginMs : 0;
}

/** The clock the replays and the tour run on: `real`, set back by {@link replayClockShift} of its now. */
export function replayClock(real: Clock, marginMs: number): { clock: Clock; shiftMs: number } {
  const shiftMs = replayClockShift(real(), marginMs);
  return { clock: shiftMs === 0 ? real : () => real() - shiftMs, shiftMs };
}

/** The line that says the clock was set back (nothing when it was not). */
export function clockShiftLines(shiftMs: number): string[] {
  return shiftMs > 0
    ? [`(run on a clock set ${Math.round(shiftMs / 60_000)} min back: the Vietnam day ends soon, and at midnight a lock lifts and the day's count restarts)`]
    : [];
}


/**
 * The main job: replay each incident from the regulators' letters against the sandbox (lock
 * threshold 10,000 per Vietnam day, real HTTP on 127.0.0.1) twice — a naive client calling the
 * reference API with plain `fetch`, and dancu with a sensible configuration — and report what the
 * upstream saw. Naive runs reproduce the incident; dancu runs must not, and their legitimate calls
 * must still succeed. `ok` only if every verdict holds.
 */
export async function runReplays(options: ReplayOptions = {}): Promise<ReplayReport> {
  const started = performance.now();
  const scale = Math.max(1, Math.floor(options.scale ?? 1));
  const chosen = options.scenarios ?? SCENARIOS;
  const sizes = {
    'hai-duong': 2_000 * scale * 6 * 2,
    'quang-tri': 128 * scale * 92 * 2 + 10,
    'long-an': (50 + 200 + 300) * 2,
    'dong-nai': (20 + 500) * 2 + 1,
  };
  const progress = bar(chosen.reduce((n, s) => n + sizes[s], 0), options.json ? undefined : options.progress);
  const { clock, shiftMs: clockShiftMs } = replayClock(options.clock ?? Date.now, REPLAY_MARGIN_MS * scale);
  const runs: RunResult[] = [];
  try {
    for (const s of chosen) runs.push(...(await REPLAYS[s](scale, progress, clock, options.faults ?? {})));
  } finally {
    progress.done();
  }
  const report = { ok: runs.every((r) => r.verdict.ok), runs, lockThreshold: LOCK, seconds: Math.round((performance.now() - started) / 100) / 10, clockShiftMs };
  const write = options.write ?? ((l: string) => process.stdout.write(`${l}\n`));
  if (options.json) write(JSON.stringify(report, null, 2));
  else for (const line of table(report)) write(line);
  return report;
}

/** A scenario: its runs at `scale`, the sandbox and the clients on `clock`. */

const REPLAYS: Record<ScenarioId, (scale: number, p: Progress, clock: Clock, faults: Faults) => Promise<RunResult[]>> = {
  /** Hải Dương: a feature re-verified every citizen at each login, submission and sync. */
  async 'hai-duong'(scale, p, clock, faults) {
    const citizens = 2_000 * scale;
    const events = ['login', 'submit', 'submit', 'sync', 'sync', 'sync'] as const;
    const calls = (s: Sandbox) => shuffle(s.population.slice(0, citizens).flatMap((c) => events.map((e) => ({ c, e }))), 7);
    // Officers at their desks for logins and submissions; the nightly sync under its system account.
    const who = (e: string, i: number) => (e === 'sync' ? { id: 'he-thong.dong-bo', ip: '10.20.0.5' } : { id: `cb.${String(i % 40).padStart(2, '0')}`, ip: `10.20.1.${(i % 40) + 10}` });

    p.label('Hải Dương — naive');
    const naive = await naiveRun(faults, 'hai-duong', { populationSize: citizens, clock }, async (s, call) => {
      let i = 0;
      return pool(calls(s), 16, async ({ c, e }) => (p.add(1), call(c, who(e, i++), VERIFY)));
    });

    p.label('Hải Dương — dancu');
    const dancu = await dancuRun(faults, 'hai-duong', { populationSize: citizens, clock }, {}, async (s, client) => {
      let i = 0;
      return pool(calls(s), 16, async ({ c, e }) => (p.add(1), verify(client, c, who(e, i++), VERIFY)));
    });
    // Past 9,000 a day (the default quota, 10% under the lock) dancu refuses rather than lock the province.
    const expected = Math.min(citizens, 9_000);
    const quotaRefused = dancu.refused['ERR_QUOTA_EXCEEDED'] ?? 0;
    return [
      judge(naive, naive.locked, `locked after ${LOCK.toLocaleString('en')} queries; ${(naive.refused['423'] ?? 0).toLocaleString('en')} legitimate calls then failed`),
      judge(dancu, !dancu.locked && dancu.upstreamRequests === expected && dancu.succeeded + quotaRefused === dancu.calls,
        `${expected.toLocaleString('en')} verifications for ${dancu.calls.toLocaleString('en')} calls (dedup), ` +
          `${quotaRefused ? `${quotaRefused.toLocaleString('en')} refused by the daily quota, the rest` : 'all'} answered, not locked`),
    ];
  },

  /** Quảng Trị: one officer's macro tried every birth year 1923–2014 for each row. */
  async 'quang-tri'(scale, p, clock, faults) {
    const rows = 128 * scale;
    const years = Array.from({ length: 92 }, (_, i) => String(1923 + i));
    const macro = { id: 'cb.quangtri', ip: '10.30.1.25' };
    const colleague = { id: 'cb.dongnghiep', ip: '10.30.1.26' };
    const legacy = (s: Sandbox) => s.population.filter((c) => c.legacyIdNumber).slice(0, rows);
    const population = Math.ceil(rows * 12.5);

    p.label('Quảng Trị — naive');
    const naive = await naiveRun(faults, 'quang-tri', { populationSize: population, clock }, async (s, call) => {
      const out: Outcome[] = [];
      for (const row of legacy(s)) for (const y of years) out.push((p.add(1), await call({ ...row, idNumber: row.legacyIdNumber!, dateOfBirth: y }, macro, VERIFY)));
      return out;
    });

    p.label('Quảng Trị — dancu');
    const K = 3;
    let rowsFound = 0;
    let colleagueAnswered = 0;
    const dancu = await dancuRun(faults, 'quang-tri', { populationSize: population, clock }, { guards: { enumeration: { maxDistinct: K }, velocity: { perMinute: 20 } } }, async (s, client) => {
      const out: Outcome[] = [];
      rowsFound = legacy(s).length;
      for (const row of legacy(s)) {
        for (const y of years) out.push((p.add(1), await verify(client, { ...row, idNumber: row.legacyIdNumber!, dateOfBirth: y }, macro, VERIFY)));
      }
      // A colleague working at a person's pace is not affected by the macro's block.
      for (const c of s.population.slice(-10)) {
        const o = (p.add(1), await verify(client, c, colleague, VERIFY));
        colleagueAnswered += +o.ok;
        out.push(o);
      }
      return out;
    });
    const colleagueOk = colleagueAnswered === 10 && rowsFound === rows;
    return [
      judge(naive, naive.locked, `${naive.upstreamRequests.toLocaleString('en')} requests from one macro; locked`),
      judge(dancu, !dancu.locked && dancu.upstreamRequests <= rows * K && colleagueOk && (dancu.refused['ERR_GUARD_VELOCITY'] ?? 0) > 0,
        `macro stopped after ${dancu.upstreamRequests} requests (≤ ${rows} rows × ${K}); its operator blocked; a colleague's 10 calls answered`),
    ];
  },

  /** Long An: the API used for purposes it was not licensed for, and the account lent to another system. */
  async 'long-an'(_scale, p, clock, faults) {
    const licensed = ['HT-KHAISINH', 'DD-CAPGCN'];
    const officer = { id: 'cb.longan', ip: '10.40.1.5' };
    const other = { id: 'he-thong-khac', ip: '10.99.0.7' };
    const traffic = (s: Sandbox) => [
      ...s.population.slice(0, 50).map((c) => ({ c, who: officer, purpose: VERIFY })), // the licensed use
      ...s.population.slice(50, 250).map((c) => ({ c, who: officer, purpose: 'AN-NINH-TRA-CUU' })), // another department's bulk checks
      ...s.population.slice(250, 550).map((c) => ({ c, who: other, purpose: 'TC-THUE' })), // a second system on the same account
    ];
    const misuse = (r: Run) => r.upstreamMisuse ?? 0;

    p.label('Long An — naive');
    const naive = await naiveRun(faults, 'long-an', { populationSize: 600, licensedPurposes: licensed, clock }, async (s, call) =>
      pool(traffic(s), 8, async ({ c, who, purpose }) => (p.add(1), call(c, who, purpose))));

    p.label('Long An — dancu');
    const dancu = await dancuRun(faults, 'long-an', { populationSize: 600, licensedPurposes: licensed, clock }, {}, async (s, client) =>
      pool(traffic(s), 8, async ({ c, who, purpose }) => (p.add(1), verify(client, c, who, purpose))));
    return [
      judge(naive, misuse(naive) > 0, `${misuse(naive)} requests under unlicensed purposes reached the upstream: grounds to cut the account`),
      judge(dancu, misuse(dancu) === 0 && dancu.succeeded === 50,
        `0 requests under unlicensed purposes (refused locally: ${dancu.refused['ERR_PURPOSE_NOT_REGISTERED'] ?? 0}); the 50 licensed calls answered`),
    ];
  },

  /** Đồng Nai / Bình Thuận: a default password, a leaked account used from an unknown address. */
  async 'dong-nai'(_scale, p, clock, faults) {
    const DEFAULT_PASSWORD = 'Admin@123';
    const officer = (i: number) => ({ id: `cb.${i % 4}`, ip: `10.50.1.${10 + (i % 4)}` });
    const intruder = { id: 'cb.0', ip: '203.0.113.66' }; // an officer's account, from outside the province network
    const traffic = (s: Sandbox) => [
      ...s.population.slice(0, 20).map((c, i) => ({ c, who: officer(i) })),
      ...s.population.slice(20, 520).map((c) => ({ c, who: intruder })),
    ];

    p.label('Đồng Nai / Bình Thuận — naive');
    const naive = await naiveRun(faults, 'dong-nai', { populationSize: 600, credentials: { clientId: 'dongnai-motcua', clientSecret: DEFAULT_PASSWORD }, clock }, async (s, call) =>
      pool(traffic(s), 8, async ({ c, who }) => (p.add(1), call(c, who, VERIFY))));

    p.label('Đồng Nai / Bình Thuận — dancu');
    // 1. dancu refuses to start with the default password.
    let refusedToStart = '';
    try {
      await createClient(baseOptions({ url: 'http://127.0.0.1:9', credentials: { clientId: 'dongnai-motcua', clientSecret: DEFAULT_PASSWORD } }, {})).close();
    } catch (err) {
      refusedToStart = isDancuError(err) ? err.code : String(err);
    }
    // 2. With the secret rotated and the province network on the allowlist, the intruder is refused.
    const dancu = await dancuRun(faults, 'dong-nai', { populationSize: 600, clock }, { guards: { ip: { allow: ['10.50.0.0/16'] } } }, async (s, client) => {
      const out = await pool(traffic(s), 8, async ({ c, who }) => (p.add(1), verify(client, c, who, VERIFY)));
      // An officer from a new address inside the network: served, and an alert is raised.
      out.push((p.add(1), await verify(client, s.population[599]!, { id: 'cb.1', ip: '10.50.7.7' }, VERIFY)));
      return out;
    });
    dancu.refused['start: ERR_CREDENTIALS_WEAK'] = refusedToStart === 'ERR_CREDENTIALS_WEAK' ? 1 : 0;
    return [
      judge(naive, naive.succeeded >= 500, `a default password, and ${naive.succeeded - 20} answers served to ${intruder.ip}`),
      judge(dancu, refusedToStart === 'ERR_CREDENTIALS_WEAK' && dancu.succeeded === 21 && (dancu.refused['ERR_GUARD_IP'] ?? 0) === 500 && (dancu.alerts ?? 0) >= 1,
        `refused to start with "${DEFAULT_PASSWORD}"; after rotation, ${intruder.ip} refused (0 requests), officers answered, new-IP alert raised`),
    ];
  },
};

const NAMES: Record<ScenarioId, string> = {
  'hai-duong': 'Hải Dương (storm)',
  'quang-tri': 'Quảng Trị (macro)',
  'long-an': 'Long An (purpose)',
  'dong-nai': 'Đồng Nai/Bình Thuận',
};

/** The report as a table, then the verdicts. */
export function table(report: ReplayReport): string[] {
  const head = ['scenario', 'client', 'upstream', 'locked', 'calls', 'answered', 'refused (by reason)', 'audit', 'verdict'];
  const rows = report.runs.map((r) => [
    NAMES[r.scenario],
    r.client,
    r.upstreamRequests.toLocaleString('en'),
    r.locked ? 'LOCKED' : 'no',
    r.calls.toLocaleString('en'),
    r.succeeded.toLocaleString('en'),
    Object.entries(r.refused).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n.toLocaleString('en')}`).join(', ') || '—',
    r.client === 'naive' ? '—' : r.auditEvents.toLocaleString('en'),
    r.verdict.ok ? (r.client === 'naive' ? '✓ incident reproduced' : '✓ prevented') : '✗ FAILED',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => [...r[i]!].length)));
  const line = (cells: string[]) => cells.map((c, i) => c + ' '.repeat(widths[i]! - [...c].length)).join('  ');
  return [
    `dancu demo — incident replays against the sandbox (lock at ${report.lockThreshold.toLocaleString('en')} queries per Vietnam day), ${report.seconds} s`,
    ...clockShiftLines(report.clockShiftMs),
    '',
    line(head),
    line(widths.map((w) => '─'.repeat(w))),
    ...rows.map(line),
    '',
    ...report.runs.map((r) => `${r.verdict.ok ? '✓' : '✗'} ${NAMES[r.scenario]}, ${r.client}: ${r.verdict.text}`),
    '',
    report.ok
      ? 'Every verdict holds: the naive integrations reproduce the incidents; dancu prevents them and still answers the legitimate calls.'
      : 'SOME VERDICTS FAILED.',
  ];
}

