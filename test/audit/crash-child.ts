/**
 * Child of crash.test.ts: makes audited calls as fast as it can and tells the parent the request id
 * of every call the SDK acknowledged, until it is killed (SIGKILL) at a random moment.
 */
import { readFileSync } from 'node:fs';
import { createClient } from '../../src/index.js';
import { DirectoryWitness } from '../../src/audit/index.js';
import { SANDBOX_PURPOSES } from '../../src/testing/index.js';

const [url, clientId, clientSecret, directory, citizensJson, keyFile, witnessDir] = process.argv.slice(2) as [string, string, string, string, string, string, string];
const citizens = JSON.parse(citizensJson) as Array<{ idNumber: string; fullName: string; dateOfBirth: string }>;
const client = createClient({
  baseUrl: url,
  credentials: { clientId, clientSecret },
  system: { id: 'crash-test', unitCode: 'TEST', version: '1' },
  purposes: SANDBOX_PURPOSES,
  cache: { enabled: false },
  audit: {
    directory, instance: 'child', secret: 'crash-test-secret-0123456789-abcdefghij', checkpointEvery: 25,
    // Checkpoints by time too (every 20 ms here), signed with Ed25519, relayed to a witness.
    checkpointIntervalMs: 20, signingKey: readFileSync(keyFile, 'utf8'), witness: new DirectoryWitness(witnessDir),
  },
});
let i = 0;
await Promise.all(
  Array.from({ length: 8 }, async () => {
    for (;;) {
      const c = citizens[i++ % citizens.length]!;
      const r = await client.verifyCitizen(c, { purpose: { code: 'HT-KHAISINH' }, operator: { id: 'cb.crash', ip: '10.9.9.9' } });
      process.send!(r.requestId);
    }
  }),
);
