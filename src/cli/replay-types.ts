import type { DancuClientOptions } from '../index.js';
import type { Clock } from '../internal/time.js';

/** The incidents the demo replays, in the order of the regulators' letters. */
export const SCENARIOS = ['hai-duong', 'quang-tri', 'long-an', 'dong-nai'] as const;
export type ScenarioId = (typeof SCENARIOS)[number];

export interface ReplayOptions {
  scenarios?: readonly ScenarioId[];
  /** Multiply the traffic (≥ 1). Default 1: Hải Dương 2,000 citizens × 6 calls, Quảng Trị 128 rows × 92 years. */
  scale?: number;
  json?: boolean;
  /** Where lines go (stdout). */
  write?: (line: string) => void;
  /** Where the progress bar goes (stderr when it is a terminal). */
  progress?: NodeJS.WriteStream | undefined;
  /** The real clock (default `Date.now`); the replays run on it, set back when a Vietnam midnight is near ({@link ReplayReport.clockShiftMs}). */
  clock?: Clock;
  /**
   * Faults that must flip verdicts to ✗, for the tests of the verdicts themselves (never set by the
   * CLI): the naive runs' sandbox locks only past `naiveLockThreshold`; every dancu run's trail has a
   * byte flipped before it is verified (`tamperTrail`); the dancu runs use `dancuGuards` instead of
   * their own guards.
   * @internal
   */
  faults?: { naiveLockThreshold?: number; tamperTrail?: boolean; dancuGuards?: DancuClientOptions['guards'] };
}

/** One run of a scenario: with the naive client or through dancu. */
export interface RunResult {
  scenario: ScenarioId;
  client: 'naive' | 'dancu';
  /** API requests the upstream received. */
  upstreamRequests: number;
  locked: boolean;
  /** Calls the caller made. */
  calls: number;
  /** Calls that got a right answer. */
  succeeded: number;
  /** Calls refused or failed, by reason (dancu error code, or HTTP status for the naive client). */
  refused: Record<string, number>;
  /** Events in the audit trail (verified); 0 for the naive client, which keeps none. */
  auditEvents: number;
  verdict: { ok: boolean; text: string };
}

export interface ReplayReport {
  ok: boolean;
  runs: RunResult[];
  lockThreshold: number;
  seconds: number;
  /**
   * How far the replays' clock (sandbox and clients alike) was set back from the real one: 0, unless
   * the next Vietnam midnight was within {@link REPLAY_MARGIN_MS} × scale. At midnight a lock lifts and
   * the day's count starts again, so a naive run crossing it could end unlocked: a false verdict.
   */
  clockShiftMs: number;
}

