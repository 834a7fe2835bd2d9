/** The vendor runs dancu's profile contract against their own profile and gateway adapter. */
import { describe, it } from 'vitest';
import { profileContract, runProfileContract } from 'dancu/testing';
import { myGateway, myGatewayProfile } from './my-gateway.js';

describe('my-province profile: the dancu profile contract', () => {
  for (const c of profileContract({ profile: myGatewayProfile, gateway: myGateway })) it(c.name, c.run, 20_000);
  it('runProfileContract: the whole contract in one call', async () => {
    await runProfileContract({ profile: myGatewayProfile, gateway: myGateway });
  }, 60_000);
});
