import { z } from 'zod';
import { ValidationError } from '../errors.js';
import { vietnamDate } from '../internal/time.js';
import { parseDateOfBirth, type PartialDate } from './date.js';
import { parseIdNumber, type ParsedIdNumber } from './id-number.js';
import { parseFullName } from './name.js';

/** A verify input after local validation and normalisation. */
export interface NormalisedVerifyInput {
  id: ParsedIdNumber;
  /** NFC, trimmed, single-spaced (case kept). */
  fullName: string;
  /** Canonical ISO partial date. */
  dateOfBirth: string;
  dob: PartialDate;
  sex?: 'male' | 'female';
}

export interface NormalisedLookupInput {
  id: ParsedIdNumber;
  fullName?: string;
  dateOfBirth?: string;
}

const verifyShape = z.strictObject({
  idNumber: z.string(),
  fullName: z.string(),
  dateOfBirth: z.string(),
  sex: z.enum(['male', 'female']).optional(),
});
const lookupShape = z.strictObject({ idNumber: z.string(), fullName: z.string().optional(), dateOfBirth: z.string().optional() });

const ID_MESSAGES: Record<string, string> = {
  bad_format: 'must be a 12-digit personal ID number or a 9-digit legacy CMND number',
  unknown_province: 'the first three digits are not a province code of Circular 07/2016/TT-BCA',
  future_birth_year: 'the century/year digits encode a birth year in the future',
};
const DATE_MESSAGES: Record<string, string> = {
  bad_format: 'use YYYY, YYYY-MM, YYYY-MM-DD, dd/MM/yyyy or MM/yyyy',
  impossible_date: 'no such calendar date',
  future_date: 'a date of birth cannot be in the future (Vietnam time)',
  too_old: 'years before 1900 cannot be encoded in an ID number',
};
const NAME_MESSAGES: Record<string, string> = {
  empty: 'must not be empty',
  too_long: 'is longer than 100 characters',
  bad_characters: 'may contain only letters, diacritics, single spaces, apostrophes, hyphens and dots',
};

function invalid(path: string, reason: string, message: string): ValidationError {
  return new ValidationError('ERR_INPUT_INVALID', path, reason, message);
}

/**
 * First zod issue as a typed error. Zod messages name types, never input values; but an unknown
 * key is input too (a caller can pass `{ '079190012345': true }`), so it is counted, never named.
 */
function shapeError(error: z.ZodError, known: readonly string[]): ValidationError {
  const issue = error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const n = issue.keys.length;
    return invalid('(input)', issue.code, `${n} unknown key${n === 1 ? '' : 's'}; the input takes only ${known.join(', ')}`);
  }
  const path = issue.path.map(String).join('.') || '(input)';
  return invalid(path, issue.code, issue.message);
}

function checkId(raw: string, now: number): ParsedIdNumber {
  const parsed = parseIdNumber(raw, vietnamDate(now).year);
  if (!parsed.ok) throw invalid('idNumber', parsed.problem, ID_MESSAGES[parsed.problem] ?? parsed.problem);
  return parsed.id;
}

/** Name and date of birth checked against each other and the ID number (the rules of verify). */
function checkIdentity(id: ParsedIdNumber, rawName: string, rawDate: string, now: number): { fullName: string; dateOfBirth: string; dob: PartialDate } {
  const name = parseFullName(rawName);
  if (!name.ok) throw invalid('fullName', name.problem, NAME_MESSAGES[name.problem] ?? name.problem);
  const dob = parseDateOfBirth(rawDate, vietnamDate(now));
  if (!dob.ok) throw invalid('dateOfBirth', dob.problem, DATE_MESSAGES[dob.problem] ?? dob.problem);
  if (id.kind === 'personal-id' && id.birthYear !== dob.date.year) {
    throw invalid(
      'dateOfBirth',
      'birth_year_mismatch',
      'the year of birth contradicts the century/year digits of the 12-digit ID number; ' +
        'check both against the citizen\'s card (this call was not sent and cost no quota)',
    );
  }
  return { fullName: name.name, dateOfBirth: dob.iso, dob: dob.date };
}

/**
 * Step 1 of the pipeline for `verify`: shape, then domain checks, then cross-field checks.
 * Throws {@link ValidationError}; the error never contains the raw values.
 */
export function validateVerifyInput(raw: unknown, now: number): NormalisedVerifyInput {
  const shaped = verifyShape.safeParse(raw);
  if (!shaped.success) throw shapeError(shaped.error, Object.keys(verifyShape.shape));
  const input = shaped.data;
  const id = checkId(input.idNumber, now);
  const identity = checkIdentity(id, input.fullName, input.dateOfBirth, now);
  if (id.kind === 'personal-id' && input.sex !== undefined && input.sex !== id.sex) {
    throw invalid('sex', 'sex_mismatch', 'contradicts the sex digit of the 12-digit ID number');
  }
  const out: NormalisedVerifyInput = { id, ...identity };
  if (input.sex !== undefined) out.sex = input.sex;
  return out;
}

/** Step 1 of the pipeline for `lookup`. */
export function validateLookupInput(raw: unknown, now: number, requires: readonly ('fullName' | 'dateOfBirth')[] = []): NormalisedLookupInput {
  const shaped = lookupShape.safeParse(raw);
  if (!shaped.success) throw shapeError(shaped.error, Object.keys(lookupShape.shape));
  const input = shaped.data;
  const id = checkId(input.idNumber, now);
  for (const k of requires) {
    if (input[k] === undefined) throw invalid(k, 'required', `this gateway looks citizens up by ID number, name and date of birth: pass ${k}`);
  }
  const out: NormalisedLookupInput = { id };
  if (input.fullName !== undefined || input.dateOfBirth !== undefined) {
    // One given without the other: each is checked alone (the date against the ID number's year).
    const name = input.fullName === undefined ? undefined : parseFullName(input.fullName);
    if (name && !name.ok) throw invalid('fullName', name.problem, NAME_MESSAGES[name.problem] ?? name.problem);
    if (name?.ok) out.fullName = name.name;
    if (input.dateOfBirth !== undefined) out.dateOfBirth = checkIdentity(id, input.fullName ?? 'A', input.dateOfBirth, now).dateOfBirth;
  }
  return out;
}

/** Step 1 for an extra operation whose input is the verify tuple (`identity`) or the ID number alone. */
export function validateExtraInput(raw: unknown, now: number, kind: 'identity' | 'idNumber'): NormalisedLookupInput {
  if (kind === 'idNumber') {
    const shaped = z.strictObject({ idNumber: z.string() }).safeParse(raw);
    if (!shaped.success) throw shapeError(shaped.error, ['idNumber']);
    return { id: checkId(shaped.data.idNumber, now) };
  }
  const shaped = z.strictObject({ idNumber: z.string(), fullName: z.string(), dateOfBirth: z.string() }).safeParse(raw);
  if (!shaped.success) throw shapeError(shaped.error, ['idNumber', 'fullName', 'dateOfBirth']);
  const id = checkId(shaped.data.idNumber, now);
  const { fullName, dateOfBirth } = checkIdentity(id, shaped.data.fullName, shaped.data.dateOfBirth, now);
  return { id, fullName, dateOfBirth };
}
