// Cache hits through verifyCitizen, sequential, events chained and dropped: all of it is dancu's CPU.
import { createClient } from '../../dist/index.js';
import { createSandbox, DiscardingAuditSink, SANDBOX_PURPOSES } from '../../dist/testing/index.js';

const sandbox = await createSandbox({ populationSize: 1000 });
const client = createClient({
  baseUrl: sandbox.url, credentials: sandbox.credentials, system: { id: 'bench', unitCode: 'BENCH', version: '0' },
  purposes: SANDBOX_PURPOSES, quota: { lockThreshold: 1e9 }, audit: { sink: new DiscardingAuditSink() },
});
const ctx = { purpose: { code: 'HT-KHAISINH' }, operator: { id: 'cb.bench', ip: '10.0.0.1' } };
const people = sandbox.population.map(({ idNumber, fullName, dateOfBirth }) => ({ idNumber, fullName, dateOfBirth }));
for (const p of people) await client.verifyCitizen(p, ctx); // every later call is a hit
const n = 200_000;
const t = process.hrtime.bigint();
for (let i = 0; i < n; i++) await client.verifyCitizen(people[i % people.length], ctx);
console.log(`${(Number(process.hrtime.bigint() - t) / 1e3 / n).toFixed(1)} µs per hit (includes the profiler's own cost)`);
await client.close();
await sandbox.close();
