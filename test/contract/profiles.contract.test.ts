/**
 * One contract, every wire profile: the suite `dancu/testing` exports (`profileContract`) runs
 * against the sandbox playing the reference REST gateway, the strict LGSP gateway and the NDXP
 * gateway, over real HTTP and through msw. What a vendor sees must not depend on the gateway.
 */
import { setupServer } from 'msw/node';
import { describe, it } from 'vitest';
import { LgspGateway, NdxpGateway, profileContract, type Sandbox } from '../../src/testing/index.js';
import { sandboxHandlers } from '../../src/testing/msw.js';
import { referenceProfile } from '../../src/profiles.js';

const viaMsw = async (sandbox: Sandbox) => {
  const server = setupServer(...sandboxHandlers(sandbox));
  server.listen({ onUnhandledRequest: 'error' });
  return () => server.close();
};

const profiles = [
  ['reference', referenceProfile],
  ['lgsp-soap', LgspGateway.profile()],
  ['ndxp', NdxpGateway.profile()],
] as const;

for (const [builtIn, profile] of profiles) {
  for (const transport of ['http', 'msw'] as const) {
    describe(`wire profile contract: ${builtIn} over ${transport}`, () => {
      for (const c of profileContract({ profile, builtIn, serve: transport === 'http' ? 'http' : viaMsw })) it(c.name, c.run, 20_000);
    });
  }
}
