/**
 * Credential hygiene (Đồng Nai, Bình Thuận: leaked, default and shared passwords). The default
 * policy follows the provinces' rule: at least 8 characters with upper case, lower case, a digit and
 * a special character, not a known default, not the client id. Problems are described, the secret
 * never is.
 */
export interface CredentialPolicy {
  /** Minimum length of the client secret. Default `8`. */
  minLength: number;
  /** Require upper case, lower case, a digit and a special character. Default `true`. */
  requireMixed: boolean;
  /** Oldest a secret may be, in days since `credentials.issuedAt`. Default `90`. */
  maxAgeDays: number;
  /** Warn this many days before `maxAgeDays`. Default `7`. */
  warnDays: number;
}

export const DEFAULT_CREDENTIAL_POLICY: CredentialPolicy = { minLength: 8, requireMixed: true, maxAgeDays: 90, warnDays: 7 };

/** Defaults and classics seen in the incidents and on vendor manuals; compared case-insensitively. */
const KNOWN_DEFAULTS = [
  'password', 'password1', 'password123', 'p@ssw0rd', 'p@ssword1', 'passw0rd!', 'admin', 'admin123', 'admin@123', 'admin@1234',
  'abc@123', 'abc@1234', 'abc123', 'abcd@1234', 'qwerty', 'qwerty@123', '123456', '12345678', '123456789', '1234567890',
  '123@123a', 'a@123456', 'changeme', 'changeme1!', 'secret', 'secret@123', 'default', 'test@123', 'welcome1!', 'vnpt@123',
  'viettel@123', 'csdlqg@123', 'dancu@123', 'dancu@2024', 'dancu@2025', 'dancu@2026', 'bca@123', 'c06@123', 'lgsp@123',
];

/** What is wrong with a secret under a policy (empty when nothing is). */
export function secretProblems(clientId: string, secret: string, policy: CredentialPolicy): string[] {
  const problems: string[] = [];
  if (secret.length < policy.minLength) problems.push(`shorter than ${policy.minLength} characters`);
  if (policy.requireMixed) {
    if (!/[A-Z]/.test(secret)) problems.push('no upper-case letter');
    if (!/[a-z]/.test(secret)) problems.push('no lower-case letter');
    if (!/\d/.test(secret)) problems.push('no digit');
    if (!/[^A-Za-z0-9]/.test(secret)) problems.push('no special character');
  }
  if (KNOWN_DEFAULTS.includes(secret.toLowerCase())) problems.push('a known default password');
  if (clientId.length >= 3 && secret.toLowerCase().includes(clientId.toLowerCase())) problems.push('contains the client id');
  return problems;
}

/** Days a secret has been in use, from `issuedAt` to `now`. */
export function secretAgeDays(issuedAt: Date, now: number): number {
  return (now - issuedAt.getTime()) / 86_400_000;
}
