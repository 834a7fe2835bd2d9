// The storm of bench/storm.mjs, dancu's side only, with its default durable JSONL trail.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '../../dist/index.js';
import { createSandbox, SANDBOX_PURPOSES } from '../../dist/testing/index.js';

const sandbox = await createSandbox({ lockThreshold: 1e9, populationSize: 10_000, latencyMs: 5 });
const dir = await mkdtemp(join(tmpdir(), 'dancu-prof-storm-'));
const people = sandbox.population.map(({ idNumber, fullName, dateOfBirth }) => ({ idNumber, fullName, dateOfBirth }));
const order = people.flatMap((_, i) => Array.from({ length: 10 }, () => i)).sort(() => Math.random() - 0.5);
const client = createClient({
  baseUrl: sandbox.url, credentials: sandbox.credentials, system: { id: 'bench', unitCode: 'BENCH', version: '0' },
  purposes: SANDBOX_PURPOSES, quota: { lockThreshold: 1e9 }, audit: { directory: dir, instance: 'storm' },
});
const ctx = { purpose: { code: 'HT-KHAISINH' }, operator: { id: 'cb.storm', ip: '10.0.0.1' } };
let next = 0;
const t = performance.now();
await Promise.all(Array.from({ length: 64 }, async () => {
  while (next < order.length) await client.verifyCitizen(people[order[next++]], ctx);
}));
console.log(`${order.length} calls in ${(performance.now() - t).toFixed(0)} ms`);
await client.close();
await sandbox.close();
await rm(dir, { recursive: true, force: true });
