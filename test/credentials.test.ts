import { randomBytes, randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { createClient, CredentialError, MemoryAuditSink, DEFAULT_CREDENTIAL_POLICY, estimateSecretBits, secretProblems, type DancuClientOptions } from '../src/index.js';
import { SANDBOX_PURPOSES } from '../src/testing/index.js';

const base: DancuClientOptions = {
  baseUrl: 'https://gateway.example.gov.vn/dancu',
  credentials: { clientId: 'mot-cua-tinh', clientSecret: 'Vq7#tR2m-Lw9$kP4' },
  system: { id: 'mot-cua', unitCode: 'H29', version: '1.0.0' },
  purposes: SANDBOX_PURPOSES,
  audit: { sink: new MemoryAuditSink() }, // never a ./dancu-audit in the repository
};
const withSecret = (clientSecret: string, extra: Partial<DancuClientOptions> = {}) =>
  ({ ...base, ...extra, credentials: { ...base.credentials, clientSecret, ...(extra.credentials ?? {}) } }) as DancuClientOptions;

function refusal(options: DancuClientOptions): CredentialError {
  try {
    createClient(options);
  } catch (err) {
    if (err instanceof CredentialError) return err;
    throw err;
  }
  throw new Error('expected the client to refuse to start');
}

describe('credential hygiene: the client refuses to start with a weak or default secret', () => {
  it.each([
    ['Ab1!', 'shorter than 8 characters'],
    ['Admin@123', 'a known default password'],
    ['P@ssw0rd', 'a known default password'],
    ['123456aA@', 'a known default password'], // hard-coded in a public Vietnamese integration
    ['Mot-Cua-Tinh#2026', 'contains the client id or the system name'],
    ['Password@123', 'a dictionary word with digits or symbols around it'],
    ['Matkhau@123', 'a dictionary word with digits or symbols around it'],
    ['Dancu@2027', 'a year'],
    ['Aa1!aaaa', 'repeated characters'],
    ['qwertyuiop123!', 'a keyboard or number run'],
    ['Mot-Cua#Xk9v2', 'contains the client id or the system name'], // the system's id, not only the client id
  ])('%s → ERR_CREDENTIALS_WEAK (%s), and the secret appears nowhere', (secret, problem) => {
    const err = refusal(withSecret(secret));
    expect(err.code).toBe('ERR_CREDENTIALS_WEAK');
    expect(err.problems).toContain(problem);
    for (const out of [err.message, JSON.stringify(err), inspect(err), String(err.stack)]) expect(out).not.toContain(secret);
  });

  it('judges strength, not character classes: long random keys that gateways issue are accepted', async () => {
    const keys = [randomBytes(16).toString('hex'), randomUUID(), randomBytes(20).toString('base64url').slice(0, 27), 'Vq7#tR2m-Lw9$kP4'];
    for (const clientSecret of keys) {
      expect(secretProblems('mot-cua-tinh', clientSecret, DEFAULT_CREDENTIAL_POLICY), clientSecret.length + ' chars').toEqual([]);
      expect(estimateSecretBits(clientSecret)).toBeGreaterThanOrEqual(DEFAULT_CREDENTIAL_POLICY.minEntropyBits);
      await createClient(withSecret(clientSecret)).close();
    }
    // Every policy that passes the old class rule is not strong: these have all four classes.
    for (const weak of ['Password@123', 'Matkhau@123', 'Dancu@2027', 'Aa1!aaaa', '123456aA@']) {
      expect(estimateSecretBits(weak)).toBeLessThan(30);
    }
  });

  it('fast-check: a random key of ≥ 16 base64url characters always passes; a dictionary word + year + symbol never does', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 12, maxLength: 48 }), (bytes) => {
      const key = Buffer.from(bytes).toString('base64url');
      // A key this long and random can still spell a short word by chance; its estimate stays high.
      return estimateSecretBits(key) >= DEFAULT_CREDENTIAL_POLICY.minEntropyBits;
    }), { numRuns: 500 });
    const words = ['password', 'matkhau', 'dancu', 'admin', 'welcome', 'hanoi', 'vietnam', 'congan'];
    fc.assert(fc.property(fc.constantFrom(...words), fc.integer({ min: 1950, max: 2035 }), fc.constantFrom('@', '!', '#', '.', ''), fc.boolean(),
      (w, year, sym, cap) => secretProblems('x', `${cap ? w[0]!.toUpperCase() + w.slice(1) : w}${sym}${year}`, DEFAULT_CREDENTIAL_POLICY).length > 0), { numRuns: 300 });
  });

  it('a strong secret starts; the policy is configurable (the old class rule is still there to opt into)', async () => {
    const c = createClient(base);
    await c.close();
    const relaxed = createClient(withSecret('longbutsimplepassphrase', { credentialPolicy: { minLength: 20 } }));
    await relaxed.close();
    const classes = refusal(withSecret(randomBytes(16).toString('hex'), { credentialPolicy: { requireMixed: true } }));
    expect(classes.problems).toEqual(expect.arrayContaining(['no upper-case letter', 'no special character']));
  });

  it('issuedAt: warns 7 days before the maximum age (90 days), refuses after it (Đồng Nai: rotate leaked secrets)', async () => {
    const now = Date.UTC(2026, 10, 23);
    const daysAgo = (d: number) => new Date(now - d * 86_400_000).toISOString();
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      const fresh = createClient({ ...base, clock: () => now, credentials: { ...base.credentials, issuedAt: daysAgo(10) } });
      expect(warn).not.toHaveBeenCalled();
      const soon = createClient({ ...base, clock: () => now, credentials: { ...base.credentials, issuedAt: daysAgo(85) } });
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('expires in 5 day(s)'), expect.objectContaining({ code: 'DANCU_CREDENTIALS_EXPIRING' }));
      await Promise.all([fresh.close(), soon.close()]);
    } finally {
      warn.mockRestore();
    }
    const err = refusal({ ...base, clock: () => now, credentials: { ...base.credentials, issuedAt: daysAgo(91) } });
    expect(err).toMatchObject({ code: 'ERR_CREDENTIALS_EXPIRED', problems: ['issued 91 days ago, at most 90 allowed'] });
    const longer = createClient({ ...base, clock: () => now, credentialPolicy: { maxAgeDays: 180 }, credentials: { ...base.credentials, issuedAt: daysAgo(91) } });
    await longer.close();
  });
});
