import { PROVINCE_CODES } from './provinces.js';
import { expectString } from '../errors.js';

/** A parsed 12-digit personal ID number (CCCD / số định danh cá nhân). */
export interface ParsedPersonalId {
  kind: 'personal-id';
  /** The 12 digits. */
  value: string;
  /** 3-digit province code of birth registration. */
  provinceCode: string;
  /** Province name from Circular 07/2016/TT-BCA. */
  province: string;
  /** Sex encoded by the 4th digit (even: male, odd: female). */
  sex: 'male' | 'female';
  /** Full birth year encoded by digits 4–6 (century digit + two year digits). */
  birthYear: number;
}

/** A legacy 9-digit identity card number (CMND). It carries no birth year or sex. */
export interface ParsedLegacyId {
  kind: 'legacy-cmnd';
  value: string;
}

export type ParsedIdNumber = ParsedPersonalId | ParsedLegacyId;

/** Why an ID number is impossible. */
export type IdNumberProblem = 'not_a_string' | 'bad_format' | 'unknown_province' | 'future_birth_year';

/**
 * Centuries by the 4th digit, per Circular 07/2016/TT-BCA art. 7: 0/1 = 1900s, 2/3 = 2000s,
 * 4/5 = 2100s, 6/7 = 2200s, 8/9 = 2300s; even = male, odd = female.
 */
export function centuryOf(digit: number): number {
  return 1900 + Math.floor(digit / 2) * 100;
}

/** Normalise: trim and drop inner spaces (IDs are often typed as `079 123 456 789`). */
export function normaliseIdNumber(raw: string): string {
  return expectString(raw, 'idNumber').replace(/\s+/g, '');
}

/**
 * Parse an ID number without throwing. `currentYear` is the Vietnam year now: a 12-digit number
 * whose encoded birth year lies after it cannot exist.
 */
export function parseIdNumber(
  raw: unknown,
  currentYear: number,
): { ok: true; id: ParsedIdNumber } | { ok: false; problem: IdNumberProblem } {
  if (typeof raw !== 'string') return { ok: false, problem: 'not_a_string' };
  const value = normaliseIdNumber(raw);
  if (/^\d{9}$/.test(value)) return { ok: true, id: { kind: 'legacy-cmnd', value } };
  if (!/^\d{12}$/.test(value)) return { ok: false, problem: 'bad_format' };
  const provinceCode = value.slice(0, 3);
  const province = PROVINCE_CODES[provinceCode];
  if (province === undefined) return { ok: false, problem: 'unknown_province' };
  const digit = Number(value[3]);
  const birthYear = centuryOf(digit) + Number(value.slice(4, 6));
  if (birthYear > currentYear) return { ok: false, problem: 'future_birth_year' };
  return {
    ok: true,
    id: { kind: 'personal-id', value, provinceCode, province, sex: digit % 2 === 0 ? 'male' : 'female', birthYear },
  };
}

/**
 * Masked form for logs, errors and audit: the province code and the last two digits of a
 * 12-digit number (`079*******21`), the first two and last two of a 9-digit CMND (`02*****21`).
 * Anything that is not a plausible ID is fully masked.
 */
export function maskIdNumber(raw: unknown): string {
  if (typeof raw !== 'string') return '***';
  const v = normaliseIdNumber(raw);
  if (/^\d{12}$/.test(v)) return `${v.slice(0, 3)}${'*'.repeat(7)}${v.slice(10)}`;
  if (/^\d{9}$/.test(v)) return `${v.slice(0, 2)}${'*'.repeat(5)}${v.slice(7)}`;
  return '*'.repeat(Math.min(Math.max(v.length, 3), 12));
}
