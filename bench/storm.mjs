// A re-verification storm (Hải Dương) through dancu, next to the integration a vendor writes without
// it, in the same run: 100,000 calls over 10,000 citizens (each asked 10 times, shuffled: 10% misses),
// an upstream that answers in 5 ms, 64 callers. The naive one: `fetch` with the same undici Agent,
// p-limit for the upstream concurrency, an lru-cache of answers, a pino line per call. dancu: its
// defaults (memory cache with single-flight, the durable JSONL trail). Goal: dancu's wall time
// ≤ 1.1× the naive one's, with upstream requests = unique citizens.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LRUCache } from 'lru-cache';
import pLimit from 'p-limit';
import { pino } from 'pino';
import { Agent } from 'undici';
import { createClient } from '../dist/index.js';
import { createSandbox, SANDBOX_PURPOSES } from '../dist/testing/index.js';
import { median } from './stats.mjs';

export async function benchStorm({ rounds = 3, citizens = 10_000, repeat = 10, callers = 64, upstreamMs = 5 } = {}) {
  const sandbox = await createSandbox({ lockThreshold: 1e9, populationSize: citizens, latencyMs: upstreamMs });
  const dir = await mkdtemp(join(tmpdir(), 'dancu-bench-storm-'));
  const people = sandbox.population.map(({ idNumber, fullName, dateOfBirth }) => ({ idNumber, fullName, dateOfBirth }));
  // Every citizen `repeat` times, shuffled with a fixed seed: the same order for both.
  const order = [];
  for (let r = 0; r < repeat; r++) for (let i = 0; i < people.length; i++) order.push(i);
  let seed = 42;
  for (let i = order.length - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const j = seed % (i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const drive = async (fn) => {
    let next = 0;
    const t = performance.now();
    await Promise.all(Array.from({ length: callers }, async () => {
      while (next < order.length) await fn(people[order[next++]]);
    }));
    return performance.now() - t;
  };
  const ctx = { purpose: { code: 'HT-KHAISINH' }, operator: { id: 'cb.storm', ip: '10.0.0.1' } };
  let run = 0;

  async function dancu() {
    const client = createClient({
      baseUrl: sandbox.url, credentials: sandbox.credentials,
      system: { id: 'bench', unitCode: 'BENCH', version: '0' }, purposes: SANDBOX_PURPOSES,
      quota: { lockThreshold: 1e9 }, audit: { directory: dir, instance: `storm-${run++}` },
    });
    const before = sandbox.stats().total;
    const ms = await drive(async (p) => {
      const r = await client.verifyCitizen(p, ctx);
      if (!r.match) throw new Error('dancu mismatch');
    });
    await client.close();
    return { ms, upstream: sandbox.stats().total - before };
  }

  async function naive() {
    const agent = new Agent({ connections: 16, keepAliveTimeout: 30_000 });
    const limit = pLimit(16);
    const cache = new LRUCache({ max: 100_000, ttl: 3_600_000 });
    const dest = pino.destination({ dest: join(dir, `naive-${run++}.log`), sync: false });
    const log = pino({ base: undefined }, dest);
    const basic = Buffer.from(`${sandbox.credentials.clientId}:${sandbox.credentials.clientSecret}`).toString('base64');
    const before = sandbox.stats().total;
    const token = (await (await fetch(`${sandbox.url}/oauth2/token`, {
      method: 'POST', dispatcher: agent, body: 'grant_type=client_credentials',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    })).json()).access_token;
    let seq = 0;
    const ms = await drive(async (p) => {
      const key = `${p.idNumber}|${p.fullName}|${p.dateOfBirth}`;
      let answer = cache.get(key);
      const cached = answer !== undefined;
      if (!cached) {
        answer = await limit(async () => {
          const id = `naive-${seq++}`;
          const res = await fetch(`${sandbox.url}/api/v1/citizens/verify`, {
            method: 'POST', dispatcher: agent,
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'x-request-id': id },
            body: JSON.stringify({ MaYeuCau: id, MaDVC: 'HT-KHAISINH', MaDonVi: 'BENCH', MaHeThong: 'bench', MaCanBo: 'cb.storm',
              DiaChiIP: '10.0.0.1', SoDinhDanh: p.idNumber, HoVaTen: p.fullName, NgayThangNamSinh: p.dateOfBirth }),
          });
          return res.json();
        });
        cache.set(key, answer);
      }
      log.info({ operator: ctx.operator.id, ip: ctx.operator.ip, purpose: ctx.purpose.code, cached, match: answer.KetQua.TrungKhop }, 'verify');
      if (!answer.KetQua.TrungKhop) throw new Error('naive mismatch');
    });
    await new Promise((resolve) => dest.flush(resolve));
    dest.end();
    await agent.close();
    return { ms, upstream: sandbox.stats().total - before };
  }

  await naive(); // warm-up (JIT, connections)
  await dancu();
  const d = [], n = [];
  for (let r = 0; r < rounds; r++) {
    if (r % 2) {
      n.push(await naive());
      d.push(await dancu());
    } else {
      d.push(await dancu());
      n.push(await naive());
    }
  }
  await sandbox.close();
  await rm(dir, { recursive: true, force: true });
  const result = {
    calls: order.length, citizens, callers, upstreamMs,
    dancuMs: median(d.map((x) => x.ms)), naiveMs: median(n.map((x) => x.ms)),
    ratio: median(d.map((x, i) => x.ms / n[i].ms)),
    dancuUpstream: median(d.map((x) => x.upstream)), naiveUpstream: median(n.map((x) => x.upstream)),
  };
  console.log(`\nre-verification storm: ${result.calls.toLocaleString('en')} calls over ${citizens.toLocaleString('en')} citizens, upstream ${upstreamMs} ms, ${callers} callers, ${rounds} rounds, medians:`);
  console.log(`  dancu (defaults: memory cache, single-flight, JSONL trail)  ${result.dancuMs.toFixed(0)} ms, ${result.dancuUpstream} upstream requests`);
  console.log(`  naive (fetch + p-limit + lru-cache + pino)                  ${result.naiveMs.toFixed(0)} ms, ${result.naiveUpstream} upstream requests`);
  console.log(`  ratio dancu/naive ${result.ratio.toFixed(2)}×   (goal ≤ 1.1×, upstream = ${citizens})`);
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) await benchStorm();
