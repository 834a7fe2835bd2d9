/**
 * The README quickstart, kept runnable: start the sandbox, verify a citizen, show a refusal that
 * never reached the network. `test/examples.test.ts` runs it on every `npm test`.
 */
import { createClient, isDancuError } from '../src/index.js';
import { createSandbox, SANDBOX_PURPOSES } from '../src/testing/index.js';

export async function main(log: (line: string) => void = console.log): Promise<void> {
  const sandbox = await createSandbox(); // real HTTP on 127.0.0.1
  const client = createClient({
    baseUrl: sandbox.url, // https in production
    credentials: sandbox.credentials, // { clientId, clientSecret }
    system: { id: 'mot-cua-demo', unitCode: 'UBND-X', version: '1.0.0' },
    purposes: SANDBOX_PURPOSES, // what you are licensed for
  });
  try {
    const p = sandbox.population[0]!;
    const ctx = { purpose: { code: 'HT-KHAISINH', dossierId: 'HS-0001' }, operator: { id: 'cb.an', ip: '10.0.0.5' } };
    const r = await client.verifyCitizen({ idNumber: p.idNumber, fullName: p.fullName, dateOfBirth: p.dateOfBirth }, ctx);
    log(`match=${r.match} fields=${JSON.stringify(r.fields)} subject=${r.subject}`);

    try {
      await client.verifyCitizen(
        { idNumber: p.idNumber, fullName: p.fullName, dateOfBirth: p.dateOfBirth },
        { ...ctx, purpose: { code: 'MARKETING' } },
      );
    } catch (err) {
      if (!isDancuError(err)) throw err;
      log(`refused locally: ${err.code}; upstream saw ${sandbox.stats().total} request(s)`);
    }
  } finally {
    await client.close();
    await sandbox.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main(); // e.g. `npx tsx examples/quickstart.ts`
