import { createClient } from 'dancu';
import { createSandbox, SANDBOX_PURPOSES } from 'dancu/testing';
import { buildApp, hashPassword } from './app.js';

const sandbox = await createSandbox();
const client = createClient({
  baseUrl: sandbox.url,
  credentials: sandbox.credentials,
  system: { id: 'mot-cua-demo', unitCode: 'UBND-X', version: '1.0.0' },
  purposes: SANDBOX_PURPOSES,
  guards: { ip: { allow: ['127.0.0.0/8', '10.0.0.0/8'] } },
});
// A demo officer; in production the officer list and hashes come from your identity provider.
const app = buildApp(client, { officers: { 'cb.an': hashPassword('demo-only: doi-mat-khau-ngay') } });
await app.listen({ host: '127.0.0.1', port: Number(process.env['PORT'] ?? 3000) });
const c = sandbox.population[0]!;
console.log(`app on http://127.0.0.1:${process.env['PORT'] ?? 3000}; try:
  curl -s -XPOST localhost:3000/login -H 'content-type: application/json' -d '{"officerId":"cb.an","password":"demo-only: doi-mat-khau-ngay"}'
  curl -s -XPOST localhost:3000/dossiers/HS-1/verify-applicant -H 'x-session: <token>' -H 'content-type: application/json' \\
    -d '{"idNumber":"${c.idNumber}","fullName":"${c.fullName}","dateOfBirth":"${c.dateOfBirth}"}'`);
const stop = async () => {
  await app.close();
  await client.close();
  await sandbox.close();
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
