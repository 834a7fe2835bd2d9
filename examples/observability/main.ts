/**
 * Run: `npx tsx examples/observability/main.ts`, then `curl -s 127.0.0.1:9464/metrics | grep dancu_`.
 * A client against the embedded sandbox, a few calls, and the metrics served until Ctrl-C.
 */
import { createClient, MemoryAuditSink } from 'dancu';
import { createSandbox, SANDBOX_PURPOSES } from 'dancu/testing';
import { startTelemetry } from './telemetry.js';

const sandbox = await createSandbox({ populationSize: 5 });
const client = createClient({
  baseUrl: sandbox.url, credentials: sandbox.credentials, system: { id: 'observability-demo', unitCode: 'UBND-X', version: '1.0.0' },
  purposes: SANDBOX_PURPOSES, audit: { sink: new MemoryAuditSink() },
});
const telemetry = await startTelemetry([client], { port: Number(process.env['PORT'] ?? 9464) });
for (const c of sandbox.population) {
  const input = { idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth };
  const ctx = { purpose: { code: 'HT-KHAISINH' }, operator: { id: 'cb.an', ip: '10.0.0.12' } };
  await client.verifyCitizen(input, ctx);
  await client.verifyCitizen(input, ctx); // a hit
}
console.log(`metrics on ${telemetry.url}`);
const stop = async () => {
  await telemetry.close();
  await client.close();
  await sandbox.close();
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
