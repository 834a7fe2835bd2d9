// The cost of OpenTelemetry on the hit path and the miss path: the same client with `instrumentDancu`
// off and on (the real OTel SDK: BasicTracerProvider with a BatchSpanProcessor and an in-memory
// exporter emptied each round; a MeterProvider whose periodic reader exports every second to an
// in-memory exporter, the gauges reading the client each time), interleaved in one process. As in
// an application whose OTel SDK is set up, an AsyncLocalStorageContextManager is registered for
// every variant, "off" included. Goal: ≤ 10% on the hit path with traces (every span sampled) and
// metrics on. A hit makes two spans (the call and its audit write); a miss five (the call, two
// audit writes, the reservation, the request).
//   node --expose-gc bench/otel.mjs        (after `npm run build`)
import { fileURLToPath } from 'node:url';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, BatchSpanProcessor, InMemorySpanExporter, ParentBasedSampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace-base';
import { createClient } from '../dist/index.js';
import { instrumentDancu } from '../dist/otel.js';
import { SANDBOX_PURPOSES } from '../dist/testing/index.js';
import { chainOnlySink, instantClientOptions, median } from './stats.mjs';

const perSecond = async (fn, n) => {
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await fn(i);
  return n / (Number(process.hrtime.bigint() - t) / 1e9);
};

// Valid tuples (checksum-free ID format: province 001, century digit 0, year 90, a 6-digit serial).
const person = (i) => ({ idNumber: `001090${String(i).padStart(6, '0')}`, fullName: 'Nguyễn Văn An', dateOfBirth: '1990-05-17' });

export async function benchOtel({ rounds = 7, n = 20_000, misses = 2_000, people = 1_000 } = {}) {
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  const client = createClient({ ...instantClientOptions, purposes: SANDBOX_PURPOSES, quota: { lockThreshold: 1e9 }, audit: { sink: await chainOnlySink() } });
  const ctx = { purpose: { code: 'HT-KHAISINH' }, operator: { id: 'bench', ip: '127.0.0.1' } };
  for (let i = 0; i < people; i++) await client.verifyCitizen(person(i), ctx); // every later call on these is a hit
  const hit = (i) => client.verifyCitizen(person(i % people), ctx);
  let fresh = people;
  const miss = () => client.verifyCitizen(person(fresh++), ctx); // a citizen not seen before: a request

  const spans = new InMemorySpanExporter();
  const metricsOut = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  // As in production: a batch span processor and a periodic metric reader (an exporter over the network would sit where the in-memory ones are).
  const tracing = (sampler) => new BasicTracerProvider({ ...(sampler ? { sampler } : {}), spanProcessors: [new BatchSpanProcessor(spans, { maxQueueSize: 100_000 })] });
  const all = tracing(undefined);
  const tenth = tracing(new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0.1) }));
  const meterProvider = new MeterProvider({ readers: [new PeriodicExportingMetricReader({ exporter: metricsOut, exportIntervalMillis: 1_000 })] });
  const variants = {
    hit: {
      off: { path: hit, n },
      'traces+metrics': { path: hit, n, options: { tracerProvider: all, meterProvider, clients: [client] } },
      metrics: { path: hit, n, options: { meterProvider, traces: false, clients: [client] } },
      'traces 10% sampled+metrics': { path: hit, n, options: { tracerProvider: tenth, meterProvider, clients: [client] } },
    },
    miss: {
      off: { path: miss, n: misses },
      'traces+metrics': { path: miss, n: misses, options: { tracerProvider: all, meterProvider, clients: [client] } },
    },
  };
  const samples = {};
  for (const [path, vs] of Object.entries(variants)) for (const v of Object.keys(vs)) (samples[path] ??= {})[v] = [];
  await perSecond(hit, n);
  await perSecond(miss, misses);
  for (let r = 0; r < rounds; r++) {
    for (const [path, vs] of Object.entries(variants)) {
      for (const [name, v] of Object.entries(vs)) {
        const instrumentation = v.options && instrumentDancu(v.options);
        samples[path][name].push(await perSecond(v.path, v.n));
        instrumentation?.disable();
        spans.reset();
        metricsOut.reset();
        globalThis.gc?.();
      }
    }
  }
  await meterProvider.shutdown();
  await client.close();
  context.disable();
  const result = { rounds, hitsPerRound: n, missesPerRound: misses };
  for (const [path, vs] of Object.entries(samples)) {
    const off = median(vs.off);
    result[path] = Object.fromEntries(Object.entries(vs).map(([name, s]) => [name, { perSec: median(s), ...(name === 'off' ? {} : { overhead: off / median(s) - 1 }) }]));
  }
  result.overhead = result.hit['traces+metrics'].overhead;
  console.log(`\nOpenTelemetry on the hit and miss paths (real SDK, in-memory exporters), ${rounds} rounds × ${n} hits / ${misses} misses, medians:`);
  for (const [path, vs] of Object.entries(result).filter(([, v]) => typeof v === 'object')) {
    for (const [name, v] of Object.entries(vs)) {
      console.log(`  ${path.padEnd(4)} ${name.padEnd(28)} ${Math.round(v.perSec).toLocaleString('en').padStart(8)}/s${v.overhead === undefined ? '' : `   overhead ${(v.overhead * 100).toFixed(1)}%`}`);
    }
  }
  console.log('  goal: ≤ 10% on the hit path with traces (every span sampled) and metrics on');
  return result;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(JSON.stringify(await benchOtel(), null, 2));
