/**
 * A vendor's own test suite: their code under test (`registerBirth`), the upstream played by
 * `dancu/testing`'s msw handlers, no port, no network, unhandled requests are errors.
 */
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isDancuError, type DancuClient } from 'dancu';
import { createSandbox } from 'dancu/testing';
import { sandboxHandlers } from 'dancu/testing/msw';

// ---- the vendor's code under test ----
type Outcome = 'accepted' | 'needs-correction' | 'try-later' | 'call-the-police-data-centre';
async function registerBirth(client: DancuClient, parent: { idNumber: string; fullName: string; dateOfBirth: string }, dossierId: string): Promise<Outcome> {
  try {
    const r = await client.verifyCitizen(parent, { purpose: { code: 'HT-KHAISINH', dossierId }, operator: { id: 'cb.le', ip: '192.168.1.20' } });
    return r.match ? 'accepted' : 'needs-correction';
  } catch (err) {
    if (isDancuError(err) && err.code === 'ERR_UPSTREAM_LOCKED') return 'call-the-police-data-centre';
    if (isDancuError(err) && ['ERR_QUOTA_EXCEEDED', 'ERR_UPSTREAM_RATE_LIMITED', 'ERR_CIRCUIT_OPEN', 'ERR_UPSTREAM_UNREACHABLE'].includes(err.code)) return 'try-later';
    throw err;
  }
}
// ---------------------------------------

for (const profile of ['reference', 'lgsp-soap'] as const) {
  describe(`registerBirth against the ${profile} gateway (msw)`, async () => {
    const sandbox = await createSandbox({ listen: false, profile, populationSize: 30, lockThreshold: 5 });
    const server = setupServer(...sandboxHandlers(sandbox));
    beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
    afterEach(() => sandbox.reset());
    afterAll(async () => {
      server.close();
      await sandbox.close();
    });
    // A fresh client per test, bound to the sandbox (URL, credentials, profile, purposes, memory trail).
    const client = () => sandbox.client({ system: { id: 'vendor-app', unitCode: 'UBND-X', version: '2.0.0' }, retry: { attempts: 1 } });
    const parent = (i: number) => {
      const { idNumber, fullName, dateOfBirth } = sandbox.population[i]!;
      return { idNumber, fullName, dateOfBirth };
    };

    it('accepts a matching parent and asks for a correction otherwise', async () => {
      const c = client();
      expect(await registerBirth(c, parent(0), 'HS-1')).toBe('accepted');
      expect(await registerBirth(c, { ...parent(1), fullName: 'Ai Đó Khác' }, 'HS-2')).toBe('needs-correction');
      await c.close();
    });

    it('says "try later" when the upstream is down, and escalates a lock', async () => {
      const c = client();
      sandbox.inject('reset', 1);
      expect(await registerBirth(c, parent(2), 'HS-3')).toBe('try-later');
      for (let i = 3; i < 8; i++) await registerBirth(c, parent(i), `HS-${i}`);
      expect(await registerBirth(c, parent(9), 'HS-9')).toBe('call-the-police-data-centre');
      expect(sandbox.stats().locked).toBe(true);
      await c.close();
    });
  });
}
