/** The Prometheus example, scraped as Prometheus does: GET /metrics over HTTP after calls against the sandbox. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createClient, MemoryAuditSink, type DancuClient } from 'dancu';
import { createSandbox, SANDBOX_PURPOSES, type Sandbox } from 'dancu/testing';
import { startTelemetry, type Telemetry } from './telemetry.js';

let sandbox: Sandbox;
let client: DancuClient;
let telemetry: Telemetry;
beforeAll(async () => {
  sandbox = await createSandbox({ populationSize: 3 });
  client = createClient({
    baseUrl: sandbox.url, credentials: sandbox.credentials, system: { id: 'prom-example', unitCode: 'UBND-P', version: '1' },
    purposes: SANDBOX_PURPOSES, audit: { sink: new MemoryAuditSink() },
  });
  telemetry = await startTelemetry([client], { port: 0 });
});
afterAll(async () => {
  await telemetry.close();
  await client.close();
  await sandbox.close();
});

/** The value of the sample whose name and labels match, from the text exposition format. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

it('serves the call counter, the quota gauges and the request histogram in Prometheus format', async () => {
  for (const c of sandbox.population) {
    const input = { idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth };
    const ctx = { purpose: { code: 'HT-KHAISINH' }, operator: { id: 'cb.an', ip: '10.0.0.12' } };
    await client.verifyCitizen(input, ctx);
    await client.verifyCitizen(input, ctx);
  }
  const res = await fetch(telemetry.url);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  const text = await res.text();

  expect(text).toContain('# TYPE dancu_calls_total counter');
  expect(sample(text, 'dancu_calls_total', { dancu_operation: 'verify', dancu_outcome: 'ok', dancu_result_source: 'upstream' })).toBe(3);
  expect(sample(text, 'dancu_calls_total', { dancu_operation: 'verify', dancu_outcome: 'ok', dancu_result_source: 'cache' })).toBe(3);
  expect(text).toContain('# TYPE dancu_quota_used gauge');
  expect(sample(text, 'dancu_quota_used', { dancu_budget: 'global.day', dancu_system: 'prom-example', dancu_unit: 'UBND-P' })).toBe(3);
  expect(sample(text, 'dancu_quota_lock_distance', { dancu_system: 'prom-example' })).toBe(10_000 - 3);
  expect(sample(text, 'dancu_breaker_state', { dancu_breaker_state: 'closed' })).toBe(1);
  expect(sample(text, 'http_client_request_duration_count', { http_request_method: 'POST' })).toBe(3);
  for (const c of sandbox.population) expect(text).not.toContain(c.idNumber);
  expect(text).not.toContain('10.0.0.12');

  expect((await fetch(new URL('/other', telemetry.url))).status).toBe(404);
});
