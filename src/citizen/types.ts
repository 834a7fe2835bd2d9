/** Fields of a citizen record that a lookup may return (and a purpose may allow). */
export const CITIZEN_FIELDS = [
  'fullName',
  'dateOfBirth',
  'sex',
  'nationality',
  'ethnicity',
  'religion',
  'placeOfOrigin',
  'permanentAddress',
  'currentAddress',
] as const;

/** A field of a citizen record. */
export type CitizenField = (typeof CITIZEN_FIELDS)[number];

export type Sex = 'male' | 'female';

/** Input of {@link DancuClient.verifyCitizen}: the tuple to check against the national database. */
export interface VerifyCitizenInput {
  /** 12-digit personal ID number (CCCD), or a legacy 9-digit CMND. Spaces are ignored. */
  idNumber: string;
  /** Full name with diacritics, in any Unicode form (NFC/NFD), spacing and case. */
  fullName: string;
  /** `YYYY`, `YYYY-MM`, `YYYY-MM-DD`, `dd/MM/yyyy` or `MM/yyyy`. Partial dates stay partial. */
  dateOfBirth: string;
  /** Optional; checked against the ID number's sex digit before any call. */
  sex?: Sex;
}

/** Input of {@link DancuClient.lookupCitizen}. */
export interface LookupCitizenInput {
  /** 12-digit personal ID number (CCCD), or a legacy 9-digit CMND. */
  idNumber: string;
  /**
   * The citizen's full name. The LGSP and NDXP services look up by ID number, name and date of
   * birth: required with their profiles (`profile.lookupRequires`), optional with the reference one.
   * Validated, and watched by the enumeration guard, as for verify.
   */
  fullName?: string;
  /** Date of birth, in the forms verify takes; required where the profile says so, as `fullName`. */
  dateOfBirth?: string;
}

/** A citizen record as a lookup returns it: only the fields that were asked for and allowed. */
export type CitizenRecord = { [F in CitizenField]?: F extends 'sex' ? Sex : string };
