import { inspect } from 'node:util';
import { describe, expect, it, vi } from 'vitest';
import { createClient, CredentialError, type DancuClientOptions } from '../src/index.js';
import { SANDBOX_PURPOSES } from '../src/testing/index.js';

const base: DancuClientOptions = {
  baseUrl: 'https://gateway.example.gov.vn/dancu',
  credentials: { clientId: 'mot-cua-tinh', clientSecret: 'Strong-Secret-9!x' },
  system: { id: 'mot-cua', unitCode: 'H29', version: '1.0.0' },
  purposes: SANDBOX_PURPOSES,
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
    ['alllower1!', 'no upper-case letter'],
    ['ALLUPPER1!', 'no lower-case letter'],
    ['NoDigits!!', 'no digit'],
    ['NoSpecial12', 'no special character'],
    ['Admin@123', 'a known default password'],
    ['P@ssw0rd', 'a known default password'],
    ['Mot-Cua-Tinh#2026', 'contains the client id'],
  ])('%s → ERR_CREDENTIALS_WEAK (%s), and the secret appears nowhere', (secret, problem) => {
    const err = refusal(withSecret(secret));
    expect(err.code).toBe('ERR_CREDENTIALS_WEAK');
    expect(err.problems).toContain(problem);
    for (const out of [err.message, JSON.stringify(err), inspect(err), String(err.stack)]) expect(out).not.toContain(secret);
  });

  it('a strong secret starts; the policy is configurable', async () => {
    const c = createClient(base);
    await c.close();
    const relaxed = createClient(withSecret('longbutsimplepassphrase', { credentialPolicy: { requireMixed: false, minLength: 20 } }));
    await relaxed.close();
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
