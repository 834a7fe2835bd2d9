/**
 * Vietnam time (Asia/Ho_Chi_Minh): UTC+7 all year, no daylight saving since 1975. Fixed-offset
 * arithmetic is therefore exact, needs no tz database, and is the same on every host whatever its
 * own TZ. The central system's daily counters reset at Vietnam midnight, not UTC midnight.
 */
export const VN_OFFSET_MS = 7 * 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

/** A clock in milliseconds since the epoch. Injected everywhere time matters, for tests. */
export type Clock = () => number;

/** The Vietnam day of the last instant asked about: every call of a day reads it, none recomputes it. */
let day: { from: number; to: number; date: Readonly<{ year: number; month: number; day: number }>; key: string } | undefined;

function dayOf(epochMs: number): NonNullable<typeof day> {
  if (day !== undefined && epochMs >= day.from && epochMs < day.to) return day;
  if (!Number.isFinite(epochMs)) throw new RangeError(`not an instant: ${epochMs}`);
  const from = Math.floor((epochMs + VN_OFFSET_MS) / DAY_MS) * DAY_MS - VN_OFFSET_MS;
  const d = new Date(epochMs + VN_OFFSET_MS);
  const date = Object.freeze({ year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() });
  return (day = { from, to: from + DAY_MS, date, key: d.toISOString().slice(0, 10) });
}

/** The Vietnam calendar date of an instant. */
export function vietnamDate(epochMs: number): Readonly<{ year: number; month: number; day: number }> {
  return dayOf(epochMs).date;
}

/** `YYYY-MM-DD` of the Vietnam day containing the instant. */
export function vietnamDayKey(epochMs: number): string {
  return dayOf(epochMs).key;
}

/** The instant of the next Vietnam midnight after `epochMs`. */
export function nextVietnamMidnight(epochMs: number): number {
  return Math.floor((epochMs + VN_OFFSET_MS) / DAY_MS) * DAY_MS + DAY_MS - VN_OFFSET_MS;
}

/** The last two instants written (a busy process writes "now" many times per millisecond, between other times). */
let isoA = { at: NaN, text: '' };
let isoB = isoA;

/** ISO 8601 in Vietnam time with its offset, e.g. `2026-11-23T09:15:00.000+07:00`. */
export function toVietnamIso(epochMs: number): string {
  if (epochMs === isoA.at) return isoA.text;
  if (epochMs === isoB.at) return isoB.text;
  isoB = isoA;
  isoA = { at: epochMs, text: new Date(epochMs + VN_OFFSET_MS).toISOString().replace('Z', '+07:00') };
  return isoA.text;
}
