/**
 * Dates of birth as real records hold them: often partial (year only, or month and year). We
 * accept `YYYY`, `YYYY-MM`, `YYYY-MM-DD`, and the Vietnamese forms `dd/MM/yyyy` and `MM/yyyy`,
 * and never invent the missing parts: a year-only date stays year-only on the wire.
 */
export interface PartialDate {
  year: number;
  month?: number;
  day?: number;
}

export type DateProblem = 'not_a_string' | 'bad_format' | 'impossible_date' | 'future_date' | 'too_old';

/** Oldest year of birth accepted: ID numbers encode nothing before 1900 (Circular 07/2016). */
export const MIN_BIRTH_YEAR = 1900;

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Canonical ISO form: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`. */
export function formatPartialDate(d: PartialDate): string {
  const y = String(d.year).padStart(4, '0');
  if (d.month === undefined) return y;
  const m = String(d.month).padStart(2, '0');
  if (d.day === undefined) return `${y}-${m}`;
  return `${y}-${m}-${String(d.day).padStart(2, '0')}`;
}

/**
 * Parse a date of birth. `today` is the Vietnam date now (a birth date after it is impossible).
 */
export function parseDateOfBirth(
  raw: unknown,
  today: { year: number; month: number; day: number },
): { ok: true; date: PartialDate; iso: string } | { ok: false; problem: DateProblem } {
  if (typeof raw !== 'string') return { ok: false, problem: 'not_a_string' };
  const s = raw.trim();
  let m: RegExpExecArray | null;
  let date: PartialDate;
  if ((m = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/.exec(s))) {
    date = { year: Number(m[1]) };
    if (m[2] !== undefined) date.month = Number(m[2]);
    if (m[3] !== undefined) date.day = Number(m[3]);
  } else if ((m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(s))) {
    date = { year: Number(m[3]), month: Number(m[2]), day: Number(m[1]) };
  } else if ((m = /^(\d{1,2})\/(\d{4})$/.exec(s))) {
    date = { year: Number(m[2]), month: Number(m[1]) };
  } else {
    return { ok: false, problem: 'bad_format' };
  }
  if (date.month !== undefined && (date.month < 1 || date.month > 12)) return { ok: false, problem: 'impossible_date' };
  if (date.day !== undefined && (date.day < 1 || date.day > daysInMonth(date.year, date.month!))) {
    return { ok: false, problem: 'impossible_date' };
  }
  if (date.year < MIN_BIRTH_YEAR) return { ok: false, problem: 'too_old' };
  const cmp =
    date.year - today.year ||
    (date.month === undefined ? 0 : date.month - today.month) ||
    (date.day === undefined ? 0 : date.day - today.day);
  if (cmp > 0) return { ok: false, problem: 'future_date' };
  return { ok: true, date, iso: formatPartialDate(date) };
}

/**
 * Whether a (possibly partial) requested date agrees with a recorded one at the precision both
 * have: `1990` agrees with `1990-05-17`, `1990-06` does not.
 */
export function partialDatesAgree(a: PartialDate, b: PartialDate): boolean {
  if (a.year !== b.year) return false;
  if (a.month !== undefined && b.month !== undefined && a.month !== b.month) return false;
  if (a.day !== undefined && b.day !== undefined && a.day !== b.day) return false;
  return true;
}

/** Parse a canonical ISO partial date (as produced by {@link formatPartialDate}). */
export function parseIsoPartialDate(s: string): PartialDate | undefined {
  const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/.exec(s);
  if (!m) return undefined;
  const d: PartialDate = { year: Number(m[1]) };
  if (m[2] !== undefined) d.month = Number(m[2]);
  if (m[3] !== undefined) d.day = Number(m[3]);
  return d;
}
