import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maskIdNumber, nameKey, parseDateOfBirth, parseIdNumber, PROVINCE_CODES } from '../src/index.js';
import { validateVerifyInput } from '../src/citizen/validate.js';

const NOW = Date.UTC(2026, 10, 23, 3, 0, 0); // 2026-11-23 10:00 in Vietnam
const TODAY = { year: 2026, month: 11, day: 23 };
const provinces = Object.keys(PROVINCE_CODES);
const notProvinces = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0')).filter((c) => !provinces.includes(c));

/** A valid 12-digit ID and the birth year and sex it encodes. */
const validId = fc
  .record({
    province: fc.constantFrom(...provinces),
    year: fc.integer({ min: 1900, max: 2026 }),
    female: fc.boolean(),
    serial: fc.integer({ min: 0, max: 999_999 }),
  })
  .map(({ province, year, female, serial }) => ({
    id: `${province}${Math.floor((year - 1900) / 100) * 2 + (female ? 1 : 0)}${String(year % 100).padStart(2, '0')}${String(serial).padStart(6, '0')}`,
    year,
    sex: female ? ('female' as const) : ('male' as const),
  }));

describe('12-digit ID numbers', () => {
  it('every well-formed ID parses to its province, sex and birth year', () => {
    fc.assert(
      fc.property(validId, ({ id, year, sex }) => {
        const r = parseIdNumber(id, 2026);
        expect(r).toEqual({ ok: true, id: expect.objectContaining({ kind: 'personal-id', birthYear: year, sex, provinceCode: id.slice(0, 3) }) });
      }),
    );
  });

  it('an unknown province code is refused', () => {
    fc.assert(
      fc.property(fc.constantFrom(...notProvinces), fc.stringMatching(/^\d{9}$/), (p, rest) => {
        expect(parseIdNumber(`${p}${rest}`, 2026)).toEqual({ ok: false, problem: 'unknown_province' });
      }),
    );
  });

  it('a birth year in the future is refused (e.g. a 2100s century digit)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...provinces), fc.integer({ min: 4, max: 9 }), fc.stringMatching(/^\d{8}$/), (p, digit, rest) => {
        expect(parseIdNumber(`${p}${digit}${rest}`, 2026)).toEqual({ ok: false, problem: 'future_birth_year' });
      }),
    );
    expect(parseIdNumber('001227000000', 2026)).toEqual({ ok: false, problem: 'future_birth_year' }); // 2027
  });

  it('anything but 9 or 12 digits is refused', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        fc.pre(!/^\s*(\d\s*){9}$|^\s*(\d\s*){12}$/.test(s));
        expect(parseIdNumber(s, 2026).ok).toBe(false);
      }),
    );
  });

  it('a verify whose date of birth contradicts the ID year is refused locally; one that agrees passes', () => {
    fc.assert(
      fc.property(validId, fc.integer({ min: 1900, max: 2026 }), ({ id, year }, other) => {
        const attempt = () => validateVerifyInput({ idNumber: id, fullName: 'Nguyễn Văn An', dateOfBirth: String(other) }, NOW);
        if (other === year) expect(attempt().dateOfBirth).toBe(String(year));
        else expect(attempt).toThrowError(expect.objectContaining({ code: 'ERR_INPUT_INVALID', reason: 'birth_year_mismatch', path: 'dateOfBirth' }));
      }),
    );
  });

  it('masks keep only the province and the last two digits', () => {
    fc.assert(
      fc.property(validId, ({ id }) => {
        const m = maskIdNumber(id);
        expect(m).toBe(`${id.slice(0, 3)}*******${id.slice(10)}`);
        expect(m).not.toContain(id.slice(3, 10));
      }),
    );
  });
});

describe('dates of birth', () => {
  it('valid full, month and year dates parse in every accepted form, and never gain parts', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2026-11-22T00:00:00Z'), noInvalidDate: true }), (d) => {
        const iso = d.toISOString().slice(0, 10);
        const [y, m, day] = iso.split('-');
        expect(parseDateOfBirth(iso, TODAY)).toMatchObject({ ok: true, iso });
        expect(parseDateOfBirth(`${day}/${m}/${y}`, TODAY)).toMatchObject({ ok: true, iso });
        expect(parseDateOfBirth(`${y}-${m}`, TODAY)).toMatchObject({ ok: true, iso: `${y}-${m}`, date: { year: Number(y), month: Number(m) } });
        const yearOnly = parseDateOfBirth(y, TODAY);
        expect(yearOnly).toEqual({ ok: true, iso: y, date: { year: Number(y) } });
      }),
    );
  });

  it('impossible and future dates are refused', () => {
    expect(parseDateOfBirth('1990-02-30', TODAY)).toEqual({ ok: false, problem: 'impossible_date' });
    expect(parseDateOfBirth('1990-13', TODAY)).toEqual({ ok: false, problem: 'impossible_date' });
    expect(parseDateOfBirth('29/02/2023', TODAY)).toEqual({ ok: false, problem: 'impossible_date' });
    expect(parseDateOfBirth('29/02/2024', TODAY)).toMatchObject({ ok: true, iso: '2024-02-29' });
    expect(parseDateOfBirth('2026-11-24', TODAY)).toEqual({ ok: false, problem: 'future_date' });
    expect(parseDateOfBirth('2026-12', TODAY)).toEqual({ ok: false, problem: 'future_date' });
    expect(parseDateOfBirth('2027', TODAY)).toEqual({ ok: false, problem: 'future_date' });
    expect(parseDateOfBirth('2026-11-23', TODAY)).toMatchObject({ ok: true });
    expect(parseDateOfBirth('1899', TODAY)).toEqual({ ok: false, problem: 'too_old' });
    expect(parseDateOfBirth('1990/05/17', TODAY)).toEqual({ ok: false, problem: 'bad_format' });
    expect(parseDateOfBirth('', TODAY)).toEqual({ ok: false, problem: 'bad_format' });
  });

  it('"today" is the Vietnam date: 2026-11-24 is valid from 17:00 UTC on the 23rd', () => {
    const beforeVnMidnight = Date.UTC(2026, 10, 23, 16, 59, 59);
    const afterVnMidnight = Date.UTC(2026, 10, 23, 17, 0, 0);
    const input = { idNumber: '001326000001', fullName: 'Lê Thị Hoa', dateOfBirth: '2026-11-24' };
    expect(() => validateVerifyInput(input, beforeVnMidnight)).toThrowError(expect.objectContaining({ reason: 'future_date' }));
    expect(validateVerifyInput(input, afterVnMidnight).dateOfBirth).toBe('2026-11-24');
  });
});

const syllables = ['Nguyễn', 'Trần', 'Lê', 'Phạm', 'Đặng', 'Thị', 'Văn', 'Hữu', 'Ngọc', 'Quỳnh', 'Hương', 'Đức', 'Ánh', 'Tuyết', 'Ưng', 'Ơn', 'Hằng', 'Khuê', 'Yến'];
const vietnameseName = fc.array(fc.constantFrom(...syllables), { minLength: 2, maxLength: 5 }).map((xs) => xs.join(' '));

describe('names', () => {
  it('NFC, NFD, case and spacing variants have one comparison key and one normalised form', () => {
    fc.assert(
      fc.property(
        vietnameseName,
        fc.constantFrom('NFC', 'NFD', 'NFKD'),
        fc.constantFrom('same', 'upper', 'lower'),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 0, max: 2 }),
        (name, form, caseMode, gap, pad) => {
          let variant = name.normalize(form as 'NFC');
          if (caseMode === 'upper') variant = variant.toLocaleUpperCase('vi');
          if (caseMode === 'lower') variant = variant.toLocaleLowerCase('vi');
          variant = ' '.repeat(pad) + variant.split(' ').join(' '.repeat(gap)) + '\t'.repeat(pad);
          expect(nameKey(variant)).toBe(nameKey(name));
          const validated = validateVerifyInput({ idNumber: '079190000001', fullName: variant, dateOfBirth: '1990' }, NOW);
          expect(validated.fullName.normalize('NFC')).toBe(validated.fullName);
          expect(validated.fullName).not.toMatch(/\s{2,}|^\s|\s$/);
        },
      ),
    );
  });

  it('toLowerCase() is toLocaleLowerCase("vi") for every code point, alone and in context (what nameKey relies on)', () => {
    let differ = 0;
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const c = String.fromCodePoint(cp);
      const inContext = `A${c}Σ${c} ΑΣ`; // final sigma and friends depend on the neighbours
      if (c.toLowerCase() !== c.toLocaleLowerCase('vi') || inContext.toLowerCase() !== inContext.toLocaleLowerCase('vi')) differ++;
    }
    expect(differ).toBe(0);
    fc.assert(fc.property(fc.string({ unit: 'grapheme' }), (s) => {
      expect(s.toLowerCase()).toBe(s.toLocaleLowerCase('vi'));
    }), { numRuns: 2_000 });
  });

  it('refuses digits, control characters and empty names', () => {
    for (const bad of ['', '   ', 'Nguyễn Văn 2', 'Lê\u0000Thị', 'x'.repeat(101), 'Trần <script>']) {
      expect(() => validateVerifyInput({ idNumber: '079190000001', fullName: bad, dateOfBirth: '1990' }, NOW)).toThrowError(
        expect.objectContaining({ code: 'ERR_INPUT_INVALID', path: 'fullName' }),
      );
    }
  });
});
