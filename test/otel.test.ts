/**
 * `dancu/otel` with the real OpenTelemetry SDK (in-memory exporter), against the sandbox over HTTP:
 * the spans of a retried miss, a hit and a refusal, their parent/child structure, and no canary ID
 * number, name, date of birth, IP or operator id in any attribute; the metrics after a scripted run.
 */
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { AggregationTemporality, DataPointType, MeterProvider, MetricReader, type DataPoint, type Histogram, type MetricData } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, describe, expect, it } from 'vitest';
import { instrumentDancu } from 'dancu/otel';
import { createClient, MemoryAuditSink } from '../src/index.js';
import { createSandbox, SANDBOX_PURPOSES } from '../src/testing/index.js';

const sandbox = await createSandbox({ populationSize: 10 });
// As an application's OTel SDK does: the active span follows async calls.
const contextManager = new AsyncLocalStorageContextManager().enable();
context.setGlobalContextManager(contextManager);
afterAll(async () => {
  context.disable();
  await sandbox.close();
});

/** A reader the test collects from when it wants (the SDK's own base class: what an exporter's reader is). */
class TestReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override onForceFlush(): Promise<void> { return Promise.resolve(); }
  protected override onShutdown(): Promise<void> { return Promise.resolve(); }
  async metricsByName(): Promise<Map<string, MetricData>> {
    const { resourceMetrics, errors } = await this.collect();
    expect(errors).toEqual([]);
    return new Map(resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).map((m) => [m.descriptor.name, m]));
  }
}

/** The points of a metric as [attributes, value] pairs (a histogram's value: its count). */
const pointsOf = (m: MetricData | undefined) =>
  (m?.dataPoints as DataPoint<number | Histogram>[] | undefined ?? []).map((p) => [p.attributes, typeof p.value === 'number' ? p.value : p.value.count] as const);
const valueOf = (m: MetricData | undefined, attrs: Record<string, unknown>) =>
  pointsOf(m).find(([a]) => Object.entries(attrs).every(([k, v]) => a[k] === v) && Object.keys(a).length === Object.keys(attrs).length)?.[1];

const parentOf = (s: ReadableSpan) => (s as { parentSpanContext?: { spanId: string } }).parentSpanContext?.spanId;

describe('dancu/otel', () => {
  it('a span per call, a child per quota reservation, audit write and request; no personal data in any attribute', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const instrumentation = instrumentDancu({ tracerProvider: provider });
    const client = createClient({
      baseUrl: sandbox.url, credentials: sandbox.credentials, system: { id: 'otel', unitCode: 'UBND-X', version: '1' },
      purposes: SANDBOX_PURPOSES, audit: { sink: new MemoryAuditSink() }, retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 },
    });
    const c = sandbox.population[0]!;
    const input = { idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth };
    const ctx = { purpose: { code: 'HT-KHAISINH' }, operator: { id: 'cb.canary-officer', ip: '10.9.8.7' } };
    try {
      await client.ready(); // the trail's opening write (config.loaded) is not part of the first call
      // Under a span of the application's own: dancu's call span is its child.
      const app = provider.getTracer('app').startSpan('POST /ho-so');
      sandbox.inject('500', 1);
      await context.with(trace.setSpan(context.active(), app), () => client.verifyCitizen(input, ctx));
      app.end();
      await client.verifyCitizen(input, ctx); // a hit
      await client.verifyCitizen({ ...input, dateOfBirth: '2999-01-01' }, ctx).catch(() => undefined); // refused
    } finally {
      instrumentation.disable();
      await client.close();
    }
    const spans = exporter.getFinishedSpans();
    const calls = spans.filter((s) => s.name === 'dancu.verify');
    expect(calls).toHaveLength(3);
    const [missSpan, hitSpan, refused] = calls as [ReadableSpan, ReadableSpan, ReadableSpan];
    const app = spans.find((s) => s.name === 'POST /ho-so')!;
    expect(parentOf(missSpan)).toBe(app.spanContext().spanId);
    expect(missSpan.attributes).toEqual({
      'dancu.operation': 'verify', 'dancu.purpose': 'HT-KHAISINH', 'dancu.result.source': 'upstream', 'dancu.cache_hit': false, 'dancu.outcome': 'ok', 'dancu.attempts': 2,
    });
    expect(hitSpan.attributes).toMatchObject({ 'dancu.result.source': 'cache', 'dancu.cache_hit': true, 'dancu.attempts': 0 });
    expect(refused.attributes).toMatchObject({ 'dancu.outcome': 'error', 'dancu.error_code': 'ERR_INPUT_INVALID', 'error.type': 'ERR_INPUT_INVALID' });
    expect(refused.status.code).toBe(2); // ERROR

    const children = (s: ReadableSpan) => spans.filter((x) => parentOf(x) === s.spanContext().spanId).map((x) => x.name);
    // The miss: the intent written, a reservation and a request (a 500), again (the answer), the outcome written.
    expect(children(missSpan)).toEqual(['dancu.audit.commit', 'dancu.quota.reserve', 'POST', 'dancu.quota.reserve', 'POST', 'dancu.audit.commit']);
    expect(children(hitSpan)).toEqual(['dancu.audit.commit']);
    const requests = spans.filter((s) => s.name === 'POST');
    expect(requests.map((s) => s.attributes)).toEqual([
      expect.objectContaining({ 'http.request.method': 'POST', 'server.address': '127.0.0.1', 'server.port': Number(new URL(sandbox.url).port), 'dancu.attempt': 1, 'http.response.status_code': 500, 'error.type': 'ERR_UPSTREAM' }),
      { 'http.request.method': 'POST', 'server.address': '127.0.0.1', 'server.port': Number(new URL(sandbox.url).port), 'dancu.operation': 'verify', 'dancu.attempt': 2, 'dancu.request_id': expect.any(String) },
    ]);
    expect(requests[1]!.kind).toBe(2); // CLIENT

    const text = JSON.stringify(spans.map((s) => ({ name: s.name, attributes: s.attributes, events: s.events, status: s.status })));
    for (const canary of [c.idNumber, c.fullName, c.dateOfBirth, '2999-01-01', 'cb.canary-officer', '10.9.8.7']) expect(text).not.toContain(canary);
  });

  it('after disable(), no spans', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    instrumentDancu({ tracerProvider: provider }).disable();
    const client = createClient({
      baseUrl: sandbox.url, credentials: sandbox.credentials, system: { id: 'otel', unitCode: 'UBND-X', version: '1' },
      purposes: SANDBOX_PURPOSES, audit: { sink: new MemoryAuditSink() },
    });
    const c = sandbox.population[1]!;
    await client.verifyCitizen({ idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth }, { purpose: { code: 'HT-KHAISINH' }, operator: { id: 'o', ip: '10.0.0.1' } });
    await client.close();
    expect(exporter.getFinishedSpans()).toEqual([]);
    expect(() => instrumentDancu({ tracerProvider: {} })).toThrow(TypeError);
  });

  it('metrics after a scripted run: calls, requests, guards, quota, lock distance, breaker and cache', async () => {
    const reader = new TestReader();
    const meterProvider = new MeterProvider({ readers: [reader] });
    const client = createClient({
      baseUrl: sandbox.url, credentials: sandbox.credentials, system: { id: 'otel-metrics', unitCode: 'UBND-Y', version: '1' },
      purposes: SANDBOX_PURPOSES, audit: { sink: new MemoryAuditSink() }, retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 },
      quota: { perPurpose: { 'HT-KHAISINH': { perDay: 50 } } }, guards: { ip: { alertOnNewIp: true } },
    });
    const instrumentation = instrumentDancu({ meterProvider, traces: false, clients: [client] });
    const c = sandbox.population[2]!;
    const input = { idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth };
    const ctx = { purpose: { code: 'HT-KHAISINH' }, operator: { id: 'cb.canary-officer', ip: '10.9.8.7' } };
    const codeOf = (p: Promise<unknown>) => p.then(() => 'ok', (e: { code: string }) => e.code);
    try {
      sandbox.inject('500', 1);
      await client.verifyCitizen(input, ctx); //                               a miss: a 500, then the answer
      await client.verifyCitizen(input, ctx); //                               a hit
      await client.verifyCitizen(input, { ...ctx, operator: { ...ctx.operator, ip: '10.9.8.6' } }); // a hit from a new IP: an alert
      expect(await codeOf(client.verifyCitizen({ ...input, dateOfBirth: '2999-01-01' }, ctx))).toBe('ERR_INPUT_INVALID');
      const year = c.dateOfBirth.slice(0, 4); // the ID number's century and year digits must agree
      const wrong = ['01-01', '01-02', '01-03', '01-04'].map((d) => `${year}-${d}`).filter((d) => d !== c.dateOfBirth).slice(0, 3);
      for (const dateOfBirth of wrong.slice(0, 2)) await client.verifyCitizen({ ...input, dateOfBirth }, ctx); // two more dates: misses
      expect(await codeOf(client.verifyCitizen({ ...input, dateOfBirth: wrong[2]! }, ctx))).toBe('ERR_GUARD_ENUMERATION'); // a fourth: refused
      const stats = await client.cache.stats();
      const m = await reader.metricsByName();

      const ok = { 'dancu.operation': 'verify', 'dancu.outcome': 'ok', 'dancu.purpose': 'HT-KHAISINH' };
      expect(pointsOf(m.get('dancu.calls'))).toHaveLength(4);
      expect(valueOf(m.get('dancu.calls'), { ...ok, 'dancu.result.source': 'upstream' })).toBe(3);
      expect(valueOf(m.get('dancu.calls'), { ...ok, 'dancu.result.source': 'cache' })).toBe(2);
      expect(valueOf(m.get('dancu.calls'), { 'dancu.operation': 'verify', 'dancu.outcome': 'error', 'error.type': 'ERR_INPUT_INVALID' })).toBe(1);
      expect(valueOf(m.get('dancu.calls'), { 'dancu.operation': 'verify', 'dancu.outcome': 'error', 'error.type': 'ERR_GUARD_ENUMERATION' })).toBe(1);
      expect(m.get('dancu.calls')!.dataPointType).toBe(DataPointType.SUM);
      expect((m.get('dancu.calls') as { isMonotonic?: boolean }).isMonotonic).toBe(true);
      const server = { 'server.address': '127.0.0.1', 'server.port': Number(new URL(sandbox.url).port) };
      expect(pointsOf(m.get('http.client.request.duration'))).toEqual(expect.arrayContaining([
        [{ 'http.request.method': 'POST', ...server, 'dancu.operation': 'verify', 'http.response.status_code': 500, 'error.type': 'ERR_UPSTREAM' }, 1],
        [{ 'http.request.method': 'POST', ...server, 'dancu.operation': 'verify' }, 3],
      ]));
      expect(m.get('http.client.request.duration')!.descriptor.unit).toBe('s');
      expect(valueOf(m.get('dancu.audit.commit.duration'), {})).toBeGreaterThanOrEqual(7); // one write per call at least
      expect(valueOf(m.get('dancu.guard.denials'), { 'dancu.guard': 'enumeration' })).toBe(1);
      expect(valueOf(m.get('dancu.guard.alerts'), { 'dancu.guard': 'enumeration' })).toBe(1);
      expect(valueOf(m.get('dancu.guard.alerts'), { 'dancu.guard': 'new-ip' })).toBe(1);

      // Four requests reserved four queries: from the day, the purpose's budget and the lock distance.
      const who = { 'dancu.system': 'otel-metrics', 'dancu.unit': 'UBND-Y' };
      expect(valueOf(m.get('dancu.quota.used'), { ...who, 'dancu.budget': 'global.day', 'dancu.budget.kind': 'day' })).toBe(4);
      expect(valueOf(m.get('dancu.quota.remaining'), { ...who, 'dancu.budget': 'global.day', 'dancu.budget.kind': 'day' })).toBe(9_000 - 4);
      expect(valueOf(m.get('dancu.quota.used'), { ...who, 'dancu.budget': 'purpose.day[HT-KHAISINH]', 'dancu.budget.kind': 'day' })).toBe(4);
      expect(valueOf(m.get('dancu.quota.limit'), { ...who, 'dancu.budget': 'purpose.day[HT-KHAISINH]', 'dancu.budget.kind': 'day' })).toBe(50);
      expect(valueOf(m.get('dancu.quota.lock_distance'), who)).toBe(10_000 - 4);
      expect(valueOf(m.get('dancu.quota.stopped'), who)).toBe(0);
      expect(pointsOf(m.get('dancu.breaker.state')).map(([a, v]) => [a['dancu.breaker.state'], v])).toEqual([['closed', 1], ['open', 0], ['half-open', 0], ['off', 0]]);
      expect(stats).toMatchObject({ hits: 2, misses: 4 }); // the refused fourth date looked in the cache first
      expect(valueOf(m.get('dancu.cache.size'), who)).toBe(stats.size);
      expect(valueOf(m.get('dancu.cache.hit_ratio'), who)).toBeCloseTo(2 / 6);
      expect(valueOf(m.get('dancu.cache.lookups'), { ...who, 'dancu.cache.result': 'hit' })).toBe(2);

      const text = JSON.stringify([...m.values()].map((x) => pointsOf(x)));
      for (const canary of [c.idNumber, c.fullName, c.dateOfBirth, '2999-01-01', ...wrong, 'cb.canary-officer', '10.9.8.']) expect(text).not.toContain(canary);

      // After disable(): a call that costs a query is neither counted nor observed.
      instrumentation.disable();
      const d = sandbox.population[4]!;
      await client.verifyCitizen({ idNumber: d.idNumber, fullName: d.fullName, dateOfBirth: d.dateOfBirth }, ctx);
      expect((await client.quota.status()).budgets.find((b) => b.id === 'global.day')?.used).toBe(5);
      const after = await reader.metricsByName();
      expect(valueOf(after.get('dancu.calls'), { ...ok, 'dancu.result.source': 'upstream' })).toBe(3);
      expect(valueOf(after.get('dancu.quota.used'), { ...who, 'dancu.budget': 'global.day', 'dancu.budget.kind': 'day' })).not.toBe(5);
    } finally {
      instrumentation.disable();
      await client.close();
    }
    await meterProvider.shutdown();
  });

  it('an open breaker and a shared stop show on the gauges', async () => {
    const locking = await createSandbox({ populationSize: 2, lockThreshold: 1 }); // the second query locks the account
    const reader = new TestReader();
    const meterProvider = new MeterProvider({ readers: [reader] });
    const client = createClient({
      baseUrl: locking.url, credentials: locking.credentials, system: { id: 'otel-lock', unitCode: 'UBND-Z', version: '1' },
      purposes: SANDBOX_PURPOSES, audit: { sink: new MemoryAuditSink() }, retry: { attempts: 1 },
    });
    const instrumentation = instrumentDancu({ meterProvider, traces: false, clients: [client] });
    try {
      for (const c of locking.population) {
        await client.verifyCitizen({ idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth }, { purpose: { code: 'HT-KHAISINH' }, operator: { id: 'o', ip: '10.0.0.1' } }).catch(() => undefined);
      }
      expect(client.breaker.state()).toMatchObject({ state: 'open', reason: 'locked' });
      const m = await reader.metricsByName();
      const who = { 'dancu.system': 'otel-lock', 'dancu.unit': 'UBND-Z' };
      expect(valueOf(m.get('dancu.breaker.state'), { ...who, 'dancu.breaker.state': 'open' })).toBe(1);
      expect(valueOf(m.get('dancu.quota.stopped'), { ...who, 'dancu.stop.reason': 'locked' })).toBe(1);
      expect(valueOf(m.get('dancu.calls'), { 'dancu.operation': 'verify', 'dancu.outcome': 'error', 'error.type': 'ERR_UPSTREAM_LOCKED' })).toBe(1);
    } finally {
      instrumentation.disable();
      await client.close();
      await meterProvider.shutdown();
      await locking.close();
    }
  });
});
