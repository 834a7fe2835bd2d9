import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { isDancuError, type DancuClient } from 'dancu';
import { createSandbox } from 'dancu/testing';
import { sandboxHandlers } from 'dancu/testing/msw'; // the only entry whose types need msw

const sandbox = await createSandbox({ listen: false, lockThreshold: 5 }); // profile: 'lgsp-soap' for the LGSP gateway
const server = setupServer(...sandboxHandlers(sandbox));
let client: DancuClient;
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
beforeEach(() => {
  client = sandbox.client({ retry: { attempts: 1 } }); // a fresh client per test: no lock or breaker carried over
});
afterEach(async () => {
  await client.close();
  sandbox.reset(); // the upstream's counters, lock and faults
  server.resetHandlers();
});
afterAll(async () => {
  server.close();
  await sandbox.close();
});

const as = { purpose: { code: 'HT-KHAISINH' }, operator: { id: 'cb.1', ip: '10.0.0.1' } };
const input = (i: number) => {
  const { idNumber, fullName, dateOfBirth } = sandbox.population[i]!; // the input only: a citizen record has more fields
  return { idNumber, fullName, dateOfBirth };
};

it('asks for a correction when the name does not match', async () => {
  const r = await client.verifyCitizen({ ...input(0), fullName: 'Ai Đó' }, as);
  expect(r.fields.fullName).toBe(false);
});

it('escalates when the province is locked', async () => {
  const errors: string[] = [];
  for (let i = 1; i <= 6; i++) {
    await client.verifyCitizen(input(i), as).catch((e: unknown) => errors.push(isDancuError(e) ? e.code : String(e)));
  }
  expect(errors).toContain('ERR_UPSTREAM_LOCKED');
});

it('the next test starts clean: a new client, an unlocked upstream', async () => {
  expect((await client.verifyCitizen(input(7), as)).match).toBe(true);
});
