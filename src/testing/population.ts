import { PROVINCE_CODES } from '../citizen/provinces.js';
import { ConfigError } from '../errors.js';
import { optionsObject } from '../internal/options.js';
import type { Sex } from '../citizen/types.js';

/** A citizen of the sandbox population. Every value passes the client's own validation. */
export interface SandboxCitizen {
  /** 12-digit personal ID number, consistent with province, sex and birth year. */
  idNumber: string;
  /** Legacy 9-digit CMND number, for about one citizen in ten (an alias upstream). */
  legacyIdNumber?: string;
  fullName: string;
  /** `YYYY-MM-DD`. */
  dateOfBirth: string;
  sex: Sex;
  nationality: string;
  ethnicity: string;
  religion: string;
  placeOfOrigin: string;
  permanentAddress: string;
  currentAddress: string;
}

/** mulberry32: a tiny, fast, seedable PRNG (deterministic fixtures, not cryptography). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FAMILY = ['Nguyễn', 'Trần', 'Lê', 'Phạm', 'Hoàng', 'Huỳnh', 'Phan', 'Vũ', 'Võ', 'Đặng', 'Bùi', 'Đỗ', 'Hồ', 'Ngô', 'Dương', 'Lý'];
const MIDDLE_MALE = ['Văn', 'Hữu', 'Đức', 'Minh', 'Quang', 'Thành', 'Công', 'Xuân'];
const MIDDLE_FEMALE = ['Thị', 'Ngọc', 'Thu', 'Thanh', 'Mỹ', 'Kim', 'Diệu', 'Bích'];
const GIVEN_MALE = ['An', 'Bình', 'Cường', 'Dũng', 'Đạt', 'Hải', 'Hiếu', 'Hùng', 'Khánh', 'Long', 'Nam', 'Phúc', 'Quân', 'Sơn', 'Tuấn', 'Việt'];
const GIVEN_FEMALE = ['Anh', 'Chi', 'Giang', 'Hà', 'Hạnh', 'Hương', 'Lan', 'Linh', 'Mai', 'Ngân', 'Nhung', 'Phương', 'Thảo', 'Trang', 'Uyên', 'Yến'];
const ETHNIC = ['Kinh', 'Kinh', 'Kinh', 'Kinh', 'Kinh', 'Kinh', 'Tày', 'Thái', 'Mường', 'Khmer', 'Hoa', 'Nùng', 'Hmông'];
const RELIGION = ['Không', 'Không', 'Không', 'Không', 'Phật giáo', 'Công giáo', 'Cao Đài', 'Tin Lành'];
const STREETS = ['Lê Lợi', 'Trần Hưng Đạo', 'Nguyễn Huệ', 'Hai Bà Trưng', 'Lý Thường Kiệt', 'Quang Trung', 'Điện Biên Phủ'];

export interface GenerateCitizensOptions {
  /** Seed of the PRNG: same seed, same population. Default `2026`. */
  seed?: number;
  /** Latest birth year to generate (adults by default). Default `2008`. */
  maxBirthYear?: number;
  /** Earliest birth year. Default `1930`. */
  minBirthYear?: number;
}

/** Generate `count` distinct, valid-looking citizens, deterministically from a seed. */
export function generateCitizens(count: number, options: GenerateCitizensOptions = {}): SandboxCitizen[] {
  if (!Number.isInteger(count) || count < 0 || count > 1_000_000) {
    throw new ConfigError([{ path: 'count', received: typeof count, message: 'must be a whole number from 0 to 1,000,000', fix: 'pass how many citizens to generate' }]);
  }
  options = optionsObject<GenerateCitizensOptions>(options, 'generateCitizens');
  const rnd = seededRandom(options.seed ?? 2026);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const provinces = Object.keys(PROVINCE_CODES);
  const minYear = options.minBirthYear ?? 1930;
  const maxYear = options.maxBirthYear ?? 2008;
  const seen = new Set<string>();
  const out: SandboxCitizen[] = [];
  while (out.length < count) {
    const sex: Sex = rnd() < 0.5 ? 'male' : 'female';
    const year = int(minYear, maxYear);
    const month = int(1, 12);
    const day = int(1, new Date(Date.UTC(year, month, 0)).getUTCDate());
    const province = pick(provinces);
    const centuryDigit = Math.floor((year - 1900) / 100) * 2 + (sex === 'female' ? 1 : 0);
    const idNumber = `${province}${centuryDigit}${String(year % 100).padStart(2, '0')}${String(int(0, 999_999)).padStart(6, '0')}`;
    if (seen.has(idNumber)) continue;
    seen.add(idNumber);
    const fullName = sex === 'male'
      ? `${pick(FAMILY)} ${pick(MIDDLE_MALE)} ${pick(GIVEN_MALE)}`
      : `${pick(FAMILY)} ${pick(MIDDLE_FEMALE)} ${pick(GIVEN_FEMALE)}`;
    const provinceName = PROVINCE_CODES[province]!;
    const address = `Số ${int(1, 300)} ${pick(STREETS)}, ${provinceName}`;
    const citizen: SandboxCitizen = {
      idNumber,
      fullName,
      dateOfBirth: `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`,
      sex,
      nationality: 'Việt Nam',
      ethnicity: pick(ETHNIC),
      religion: pick(RELIGION),
      placeOfOrigin: provinceName,
      permanentAddress: address,
      currentAddress: rnd() < 0.8 ? address : `Số ${int(1, 300)} ${pick(STREETS)}, ${PROVINCE_CODES[pick(provinces)]!}`,
    };
    if (rnd() < 0.1) {
      const legacy = `${String(int(1, 38)).padStart(2, '0')}${String(int(0, 9_999_999)).padStart(7, '0')}`;
      if (!seen.has(legacy)) {
        seen.add(legacy);
        citizen.legacyIdNumber = legacy;
      }
    }
    out.push(citizen);
  }
  return out;
}
