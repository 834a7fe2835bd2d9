/**
 * Vietnam time (Asia/Ho_Chi_Minh): UTC+7 all year, no daylight saving since 1975. Fixed-offset
 * arithmetic is therefore exact, needs no tz database, and is the same on every host whatever its
 * own TZ. The central system's daily counters reset at Vietnam midnight, not UTC midnight.
 */
export const VN_OFFSET_MS = 7 * 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

/** A clock in milliseconds since the epoch. Injected everywhere time matters, for tests. */
export type Clock = () => number;
export const systemClock: Clock = () => Date.now();

/** The Vietnam calendar date of an instant. */
export function vietnamDate(epochMs: number): { year: number; month: number; day: number } {
  const d = new Date(epochMs + VN_OFFSET_MS);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** `YYYY-MM-DD` of the Vietnam day containing the instant. */
export function vietnamDayKey(epochMs: number): string {
  return new Date(epochMs + VN_OFFSET_MS).toISOString().slice(0, 10);
}

/** The instant of the next Vietnam midnight after `epochMs`. */
export function nextVietnamMidnight(epochMs: number): number {
  return Math.floor((epochMs + VN_OFFSET_MS) / DAY_MS) * DAY_MS + DAY_MS - VN_OFFSET_MS;
}

/** ISO 8601 in Vietnam time with its offset, e.g. `2026-11-23T09:15:00.000+07:00`. */
export function toVietnamIso(epochMs: number): string {
  return new Date(epochMs + VN_OFFSET_MS).toISOString().replace('Z', '+07:00');
}
