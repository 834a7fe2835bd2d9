import { expectString } from '../errors.js';
/**
 * Vietnamese names arrive in NFC or NFD (macOS keyboards, PDFs, some databases), with odd
 * spacing and any case. Two spellings of one name must compare equal and key the same cache
 * entry, or a query storm walks straight past the dedup.
 */

/** Letters and combining marks, separated by single spaces, apostrophes, hyphens or dots. */
const NAME_SHAPE = /^[\p{L}\p{M}]+(?:(?: |'|-|\. ?)[\p{L}\p{M}]+)*\.?$/u;

/** Maximum length of a full name after normalisation, in characters. */
export const MAX_NAME_LENGTH = 100;

/** NFC, trimmed, inner whitespace collapsed to one space. Case is kept (it is how the name is shown). */
export function normaliseName(raw: string): string {
  return expectString(raw, 'fullName').normalize('NFC').trim().replace(/\s+/gu, ' ');
}

/** The comparison form: {@link normaliseName} then Vietnamese lower case (Đ → đ), NFC again. */
export function nameKey(raw: string): string {
  return nameKeyOfNormalised(normaliseName(raw));
}

/**
 * {@link nameKey} of a name that is already {@link normaliseName}d. Vietnamese has no
 * language-specific case mapping (SpecialCasing.txt has them only for Lithuanian, Turkish and
 * Azeri), so `toLowerCase()` is `toLocaleLowerCase('vi')` — checked for every code point in
 * `test/citizen.property.test.ts` — and cheaper (`node bench/micro.mjs`).
 */
export function nameKeyOfNormalised(name: string): string {
  return name.toLowerCase().normalize('NFC');
}

export type NameProblem = 'not_a_string' | 'empty' | 'too_long' | 'bad_characters';

export function parseFullName(raw: unknown): { ok: true; name: string } | { ok: false; problem: NameProblem } {
  if (typeof raw !== 'string') return { ok: false, problem: 'not_a_string' };
  const name = normaliseName(raw);
  if (name.length === 0) return { ok: false, problem: 'empty' };
  if (name.length > MAX_NAME_LENGTH) return { ok: false, problem: 'too_long' };
  if (!NAME_SHAPE.test(name)) return { ok: false, problem: 'bad_characters' };
  return { ok: true, name };
}
