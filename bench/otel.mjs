// The cost of OpenTelemetry tracing on the hit path: the same client, cache hits, with
// `instrumentDancu` on (the real OTel SDK: BasicTracerProvider, a BatchSpanProcessor, an in-memory
// exporter emptied each round; every span sampled) and off, interleaved in one process. Goal: ≤ 10%
// on the hit path. A hit makes two spans: the call and its audit write.
//   node --expose-gc bench/otel.mjs        (after `npm run build`)
import { fileURLToPath } from 'node:url';
import { BasicTracerProvider, BatchSpanProcessor, InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { createClient } from '../dist/index.js';
import { instrumentDancu } from '../dist/otel.js';
import { SANDBOX_PURPOSES } from '../dist/testing/index.js';
import { chainOnlySink, instantClientOptions, median } from './stats.mjs';

const perSecond = async (fn, n) => {
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await fn(i);
  return n / (Number(process.hrtime.bigint() - t) / 1e9);
};

export async function benchOtel({ rounds = 7, n = 20_000, people = 1_000 } = {}) {
  const client = createClient({ ...instantClientOptions, purposes: SANDBOX_PURPOSES, quota: { lockThreshold: 1e9 }, audit: { sink: await chainOnlySink() } });
  const ctx = { purpose: { code: 'HT-KHAISINH' }, operator: { id: 'bench', ip: '127.0.0.1' } };
  // Valid tuples (checksum-free ID format: province 001, century digit, year, serial).
  const inputs = Array.from({ length: people }, (_, i) => ({ idNumber: `0010900${String(10_000 + i).padStart(5, '0')}`, fullName: 'Nguyễn Văn An', dateOfBirth: '1990-05-17' }));
  for (const p of inputs) await client.verifyCitizen(p, ctx); // every later call is a hit
  const hit = (i) => client.verifyCitizen(inputs[i % people], ctx);
  const exporter = new InMemorySpanExporter();
  // As in production: a batch processor (an exporter over the network would sit where the in-memory one is).
  const provider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter, { maxQueueSize: 100_000 })] });
  const off = [], on = [];
  await perSecond(hit, n);
  for (let r = 0; r < rounds; r++) {
    off.push(await perSecond(hit, n));
    const instrumentation = instrumentDancu({ tracerProvider: provider });
    on.push(await perSecond(hit, n));
    instrumentation.disable();
    exporter.reset();
    globalThis.gc?.();
  }
  await client.close();
  const result = { rounds, hitsPerRound: n, offPerSec: median(off), onPerSec: median(on) };
  result.overhead = result.offPerSec / result.onPerSec - 1;
  console.log(`\nOpenTelemetry tracing on the hit path (real SDK, in-memory exporter), ${rounds} rounds × ${n} hits, medians:`);
  console.log(`  off ${Math.round(result.offPerSec).toLocaleString('en')}/s   on ${Math.round(result.onPerSec).toLocaleString('en')}/s   overhead ${(result.overhead * 100).toFixed(1)}%   (goal ≤ 10%)`);
  return result;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(JSON.stringify(await benchOtel(), null, 2));
