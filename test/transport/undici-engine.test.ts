/** The opt-in `httpEngine: 'undici'` keeps every transport guarantee of the fetch engine. */
import { describe, expect, it } from 'vitest';
import { createClient } from '../../src/index.js';
import { createSandbox } from '../../src/testing/index.js';
import { clientFor, ctx, rejection, setup, verifyInput } from '../helpers.js';

const v = verifyInput;
describe("httpEngine: 'undici'", () => {
  it('verifies, refreshes an expired token, retries a 5xx, and maps faults the same way', async () => {
    const { sandbox, client, close } = await setup({ slowMs: 2_000 }, { httpEngine: 'undici', timeoutMs: 400, retry: { attempts: 2, baseDelayMs: 1 }, maxResponseBytes: 64 * 1024 });
    try {
      const p = sandbox.population;
      expect((await client.verifyCitizen(v(p[0]!), ctx)).match).toBe(true);
      sandbox.expireTokens();
      expect((await client.verifyCitizen(v(p[1]!), ctx)).match).toBe(true);
      sandbox.inject('503', 1);
      expect((await client.verifyCitizen(v(p[2]!), ctx)).match).toBe(true);
      for (const [fault, code] of [['oversize', 'ERR_UPSTREAM_RESPONSE'], ['flood', 'ERR_UPSTREAM_RESPONSE'], ['redirect', 'ERR_UPSTREAM'], ['malformed', 'ERR_UPSTREAM_RESPONSE'], ['drip', 'ERR_TIMEOUT']] as const) {
        sandbox.inject(fault, 2);
        expect((await rejection(client.verifyCitizen(v(p[3]!), ctx))).code, fault).toBe(code);
        sandbox.reset();
      }
      sandbox.inject('reset', 2);
      expect((await rejection(client.verifyCitizen(v(p[4]!), ctx))).code).toBe('ERR_UPSTREAM_UNREACHABLE');
    } finally {
      await close();
    }
  });

  it('cannot be combined with an injected fetch', async () => {
    const sandbox = await createSandbox({ listen: false });
    expect(() => clientFor(sandbox, { httpEngine: 'undici', fetch: globalThis.fetch })).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
    void createClient;
    await sandbox.close();
  });
});
