import { expectString } from '../errors.js';
/**
 * Credential hygiene (Đồng Nai, Bình Thuận: leaked, default and shared passwords). A secret is
 * judged by how hard it is to guess, not by which character classes it contains: `Password@123`
 * has all four classes and falls to the first guesses of any attacker, while a 128-bit random hex
 * key has two and cannot be guessed. The estimate below takes the secret apart into the pieces an
 * attacker tries first — dictionary words (Vietnamese and English, also with l33t substitutions),
 * years, keyboard and number runs, repeated characters, the client id or system name — and counts
 * what is left at the cost of a random character. Problems are described, the secret never is.
 */
export interface CredentialPolicy {
  /** Minimum length of the client secret. Default `8`. */
  minLength: number;
  /**
   * Least estimated strength, in bits ({@link estimateSecretBits}). Default `50`: about a random
   * 11-character mix of letters, digits and symbols, or 13 random hex digits; a long random key
   * (hex, UUID, base64url) is far above it, a word with digits and a symbol appended far below.
   */
  minEntropyBits: number;
  /** Also require upper case, lower case, a digit and a special character (the old class rule). Default `false`. */
  requireMixed: boolean;
  /** Oldest a secret may be, in days since `credentials.issuedAt`. Default `90`. */
  maxAgeDays: number;
  /** Warn this many days before `maxAgeDays`. Default `7`. */
  warnDays: number;
}

export const DEFAULT_CREDENTIAL_POLICY: CredentialPolicy = { minLength: 8, minEntropyBits: 50, requireMixed: false, maxAgeDays: 90, warnDays: 7 };

/** Defaults and classics seen in the incidents, on vendor manuals and in public integration code; compared case-insensitively. */
const KNOWN_DEFAULTS = new Set([
  'password', 'password1', 'password123', 'p@ssw0rd', 'p@ssword1', 'passw0rd!', 'password@123', 'admin', 'admin123', 'admin@123', 'admin@1234',
  'abc@123', 'abc@1234', 'abc123', 'abcd@1234', 'qwerty', 'qwerty@123', '123456', '12345678', '123456789', '1234567890',
  '123@123a', 'a@123456', '123456aa@', 'changeme', 'changeme1!', 'secret', 'secret@123', 'default', 'test@123', 'welcome1!', 'vnpt@123',
  'viettel@123', 'csdlqg@123', 'dancu@123', 'dancu@2024', 'dancu@2025', 'dancu@2026', 'bca@123', 'c06@123', 'lgsp@123', 'matkhau@123',
]);

/**
 * Words an attacker's list starts with: English password classics, Vietnamese words and names
 * typed without diacritics, and the names of this domain (gateways, agencies, the system itself).
 */
const WORDS = (
  'password passw pass word secret admin administrator root user guest login logon welcome hello letmein iloveyou love ' +
  'dragon monkey master shadow sunshine princess football baseball soccer superman batman trustno qwerty azerty ' +
  'default changeme change test testing demo sample system server service client access account token key ' +
  'abc abcd wrong right strong secure security private public company office manager staff ' +
  'matkhau mat khau baomat bimat khoa taikhoan nguoidung quantri hethong dangnhap truycap ketnoi ' +
  'dancu dan cu congdan cong dinhdanh cancuoc cccd cmnd tracuu xacthuc thongtin dulieu hanhchinh motcua dichvu ' +
  'congan bocongan bca pc06 c06 csdlqg lgsp ndxp vneid vnpt viettel fpt mobifone vinaphone ubnd sotttt tttt ' +
  'vietnam viet nam hanoi saigon hochiminh danang haiphong cantho hue tinh huyen phuong thanhpho quan ' +
  'haiduong quangtri longan dongnai binhthuan ' +
  'anh em yeu toi ban chao xinchao emyeuanh anhyeuem yeuem yeuanh ' +
  'nguyen tran pham hoang huynh phan dang bui duong ngo hoa huong linh minh hung tuan dung thao trang ' +
  'lan mai binh long quang thanh trung hieu khanh ngoc phuong hanh tien'
).split(' ');
const DICT = new Set(WORDS.filter((w) => w.length >= 3));
const DICT_BITS = Math.log2(DICT.size) + 1; // which word, and its capitalisation

const KEYBOARD_ROWS = ['1234567890', 'qwertyuiop', 'asdfghjkl', 'zxcvbnm', '1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p', 'qazwsxedcrfvtgbyhnujmikolp'];
const LEET: Record<string, string> = { '@': 'a', '4': 'a', '0': 'o', '1': 'i', '!': 'i', '3': 'e', '$': 's', '5': 's', '7': 't', '9': 'g' };

function charBits(c: string): number {
  if (/[0-9]/.test(c)) return Math.log2(10);
  if (/[a-z]/.test(c) || /[A-Z]/.test(c)) return Math.log2(26);
  if (/[\x20-\x7e]/.test(c)) return Math.log2(33);
  return 7; // beyond ASCII: a larger alphabet
}

/** Length of the run starting at `i` whose characters step by ±1 (abc, 987) or stay (aaa). */
function runLength(s: string, i: number, step: -1 | 0 | 1): number {
  let n = 1;
  while (i + n < s.length && s.charCodeAt(i + n) - s.charCodeAt(i + n - 1) === step) n++;
  return n;
}

interface Piece {
  kind: 'word' | 'context' | 'year' | 'run' | 'repeat' | 'keyboard' | 'char';
  length: number;
  bits: number;
}

/** The cheapest reading of the secret as a sequence of guessable pieces, greedy by length at each position. */
function pieces(secret: string, context: readonly string[]): Piece[] {
  const lower = secret.toLowerCase();
  const unleet = [...lower].map((c) => LEET[c] ?? c).join('');
  const ctx = context.map((w) => w.toLowerCase()).filter((w) => w.length >= 3);
  const out: Piece[] = [];
  for (let i = 0; i < secret.length; ) {
    const candidates: Piece[] = [{ kind: 'char', length: 1, bits: charBits(secret[i]!) }];
    for (const w of ctx) if (lower.startsWith(w, i)) candidates.push({ kind: 'context', length: w.length, bits: 2 });
    for (let len = Math.min(16, secret.length - i); len >= 3; len--) {
      const plain = DICT.has(lower.slice(i, i + len));
      if (plain || DICT.has(unleet.slice(i, i + len))) {
        candidates.push({ kind: 'word', length: len, bits: DICT_BITS + (plain ? 0 : 1) });
        break;
      }
    }
    const year = /^(19|20)\d\d/.exec(secret.slice(i));
    if (year) candidates.push({ kind: 'year', length: 4, bits: Math.log2(200) });
    for (const step of [-1, 0, 1] as const) {
      const n = runLength(lower, i, step);
      if (n >= 3) candidates.push({ kind: step === 0 ? 'repeat' : 'run', length: n, bits: charBits(secret[i]!) + Math.log2(n) + (step === 0 ? 0 : 1) });
    }
    for (const row of KEYBOARD_ROWS) {
      let n = 0;
      while (i + n < lower.length && n < row.length) {
        const at = row.indexOf(lower.slice(i, i + n + 1));
        if (at < 0) break;
        n++;
      }
      if (n >= 4) candidates.push({ kind: 'keyboard', length: n, bits: Math.log2(KEYBOARD_ROWS.length * row.length) + Math.log2(n) });
    }
    // Longest piece first (it explains the most), then the cheapest.
    candidates.sort((a, b) => b.length - a.length || a.bits - b.bits);
    const best = candidates[0]!;
    out.push(best);
    i += best.length;
  }
  return out;
}

/**
 * Estimated strength of a secret in bits: the sum of the pieces an attacker would guess it by.
 * `context`: words that are known to an attacker (the client id, the system's name).
 */
export function estimateSecretBits(secret: string, context: readonly string[] = []): number {
  expectString(secret, 'secret');
  if (!Array.isArray(context)) context = [];
  return Math.round(pieces(secret, context).reduce((n, p) => n + p.bits, 0) * 10) / 10;
}

/**
 * What is wrong with a secret under a policy (empty when nothing is). `context`: other names an
 * attacker knows (the system id, its unit code), checked like the client id.
 */
export function secretProblems(clientId: string, secret: string, policy: CredentialPolicy, context: readonly string[] = []): string[] {
  expectString(clientId, 'clientId');
  expectString(secret, 'clientSecret');
  const problems: string[] = [];
  const p = { ...DEFAULT_CREDENTIAL_POLICY, ...(typeof policy === 'object' && policy !== null ? policy : {}) };
  if (secret.length < p.minLength) problems.push(`shorter than ${p.minLength} characters`);
  if (p.requireMixed) {
    if (!/[A-Z]/.test(secret)) problems.push('no upper-case letter');
    if (!/[a-z]/.test(secret)) problems.push('no lower-case letter');
    if (!/\d/.test(secret)) problems.push('no digit');
    if (!/[^A-Za-z0-9]/.test(secret)) problems.push('no special character');
  }
  if (KNOWN_DEFAULTS.has(secret.toLowerCase())) problems.push('a known default password');
  const names = [clientId, ...(Array.isArray(context) ? context : [])].filter((w): w is string => typeof w === 'string' && w.length >= 3);
  if (names.some((w) => secret.toLowerCase().includes(w.toLowerCase()))) problems.push('contains the client id or the system name');
  const parts = pieces(secret, names);
  const bits = parts.reduce((n, x) => n + x.bits, 0);
  if (bits < p.minEntropyBits) {
    problems.push(`estimated strength ${Math.round(bits)} bits, below the ${p.minEntropyBits} required`);
    const kinds = new Set(parts.map((x) => x.kind));
    if (kinds.has('word')) problems.push(kinds.has('char') || kinds.has('year') || kinds.has('run') ? 'a dictionary word with digits or symbols around it' : 'dictionary words');
    if (kinds.has('year')) problems.push('a year');
    if (kinds.has('run') || kinds.has('keyboard')) problems.push('a keyboard or number run');
    if (kinds.has('repeat')) problems.push('repeated characters');
  }
  return problems;
}

/** Days a secret has been in use, from `issuedAt` to `now`. */
export function secretAgeDays(issuedAt: Date, now: number): number {
  return (now - issuedAt.getTime()) / 86_400_000;
}
