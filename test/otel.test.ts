/**
 * `dancu/otel` with the real OpenTelemetry SDK (in-memory exporter), against the sandbox over HTTP:
 * the spans of a retried miss, a hit and a refusal, their parent/child structure, and no canary ID
 * number, name, date of birth, IP or operator id in any attribute.
 */
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
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
      expect.objectContaining({ 'http.request.method': 'POST', 'server.address': new URL(sandbox.url).host, 'dancu.attempt': 1, 'http.response.status_code': 500, 'error.type': 'ERR_UPSTREAM' }),
      { 'http.request.method': 'POST', 'server.address': new URL(sandbox.url).host, 'dancu.operation': 'verify', 'dancu.attempt': 2, 'dancu.request_id': expect.any(String) },
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
});
