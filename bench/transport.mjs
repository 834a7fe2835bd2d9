// Benchmarks of the SDK's own cost, against a baseline measured in the same run on the same
// sandbox: a raw `fetch` with an undici Agent doing the same HTTP exchange (token fetched once,
// no validation, no purpose check, no schema). These machines are shared and noisy: we quote
// medians over rounds and ratios to the baseline, never absolute promises.
//
//   npm run bench                 (builds first; runs every bench)
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from 'undici';
import { createClient } from '../dist/index.js';
import { createSandbox, SANDBOX_PURPOSES } from '../dist/testing/index.js';
import { chainOnlySink, instantFetch, median, pct } from './stats.mjs';

export async function benchTransport({ rounds: ROUNDS = 7, calls: CALLS = 400 } = {}) {
const CONCURRENT = 64; // callers in flight
const PER_ROUND = 2_000; // calls per concurrent measurement

const sandbox = await createSandbox({ lockThreshold: 1e9, populationSize: 500 });
const ctx = { purpose: { code: 'HT-KHAISINH' }, operator: { id: 'bench', ip: '127.0.0.1' } };
// Every client of this bench: limits that never refuse, no cache (every call must make its request,
// like the baseline's), and the default audit trail: the JSONL sink, two durable events per miss
// (the intent on disk before the request, the outcome after). `extra` is what one row changes.
const dir = await mkdtemp(join(tmpdir(), 'dancu-bench-miss-'));
let instances = 0;
const benchClient = async (extra = {}) => createClient({
  baseUrl: sandbox.url, credentials: sandbox.credentials,
  system: { id: 'bench', unitCode: 'BENCH', version: '0' }, purposes: SANDBOX_PURPOSES,
  quota: { lockThreshold: 1e9 }, cache: { enabled: false }, audit: { directory: dir, instance: `miss-${instances++}` },
  ...extra,
});
const client = await benchClient();
// The disk's floor, measured in the same rounds: one event-sized line written + fdatasync'd on a
// file kept open, in the same directory. A durable miss cannot cost less than two of these.
const floorFile = await open(join(dir, 'floor.jsonl'), 'a');
const floorLine = `${JSON.stringify({ ts: new Date().toISOString(), type: 'lookup.intent', pad: 'x'.repeat(420) })}\n`;
async function fsyncFloor(n = 200) {
  const lat = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    await floorFile.write(floorLine);
    await floorFile.datasync();
    lat.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return median(lat);
}
// The opt-in engine on undici's Agent.request (no fetch layer; msw cannot see it).
const clientU = await benchClient({ httpEngine: 'undici' });
// The same client with its fetch given a deadline signal, as dancu did before its deadline became
// a timer of its own: what following a signal costs fetch on dancu's miss path.
const withSignal = (url, init) => {
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), 10_000);
  return fetch(url, { ...init, signal: deadline.signal }).finally(() => clearTimeout(timer));
};
const clientS = await benchClient({ fetch: withSignal });
// The gap to a bare fetch, taken apart: the same client with its audit events chained but not
// written (a sink that drops them), built but not chained, and with the enumeration guard off.
// Diagnostic rows, not configurations to run: a trail that is not chained and durable is no trail.
const dropAll = { async write() {}, async flush() {}, async close() {} };
const clientC = await benchClient({ audit: { sink: await chainOnlySink() } });
const clientN = await benchClient({ audit: { sink: dropAll } });
const clientE = await benchClient({ guards: { enumeration: false } });
const clientNE = await benchClient({ audit: { sink: dropAll }, guards: { enumeration: false } }); // both at once
const people = sandbox.population.map(({ idNumber, fullName, dateOfBirth }) => ({ idNumber, fullName, dateOfBirth }));
// dancu's own work on a miss: the same client over a fetch that answers at once (the reference
// protocol's answers, built in memory), next to that fetch alone. The difference is what dancu adds
// around the exchange: validation, guards, quota, two chained audit events, the answer's schema.
const instantAnswer = instantFetch;
const clientI = await benchClient({ fetch: instantAnswer, audit: { sink: await chainOnlySink() } }); // CPU only: no disk
async function ownWork() {
  const n = 2_000;
  let t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await (await instantAnswer('x', { body: '{"MaYeuCau":"a"}' })).text();
  const fetchUs = Number(process.hrtime.bigint() - t) / 1e3 / n;
  t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await clientI.verifyCitizen(people[i % people.length], ctx);
  const missUs = Number(process.hrtime.bigint() - t) / 1e3 / n;
  return { missUs, fetchUs };
}

// The SDK gets a quota large enough never to refuse and no cache: this measures the pipeline and its
// request, not the budget or a cache hit.
// Baseline: the same exchange by hand.
const agent = new Agent({ connections: 16, keepAliveTimeout: 30_000 });
const basic = Buffer.from(`${sandbox.credentials.clientId}:${sandbox.credentials.clientSecret}`).toString('base64');
const tokenRes = await fetch(`${sandbox.url}/oauth2/token`, {
  method: 'POST', dispatcher: agent, body: 'grant_type=client_credentials',
  headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
});
const { access_token } = await tokenRes.json();
let seq = 0;
// `redirect` undefined: fetch's default ('follow'), the bare fetch of the goal. 'error' is what dancu
// passes (fetch then neither clones the request nor tees its body): the same exchange at its cheapest.
// With a deadline signal (a controller and a cleared timer, as dancu did before): what fetch's
// following of a signal costs, which is why dancu's deadline is a timer of its own.
const raw = (p) => rawFetch(p, undefined);
const rawE = (p) => rawFetch(p, 'error');
const rawES = (p) => rawFetch(p, 'error', true);
async function rawFetch(p, redirect, withSignal = false) {
  const id = `raw-${seq++}`;
  let deadline, timer;
  if (withSignal) {
    deadline = new AbortController();
    timer = setTimeout(() => deadline.abort(), 10_000);
  }
  const res = await fetch(`${sandbox.url}/api/v1/citizens/verify`, {
    method: 'POST', dispatcher: agent, ...(redirect ? { redirect } : {}), ...(deadline ? { signal: deadline.signal } : {}),
    headers: { authorization: `Bearer ${access_token}`, 'content-type': 'application/json', 'x-request-id': id },
    body: JSON.stringify({ MaYeuCau: id, MaDVC: 'HT-KHAISINH', MaDonVi: 'BENCH', MaHeThong: 'bench', MaCanBo: 'bench',
      DiaChiIP: '127.0.0.1', SoDinhDanh: p.idNumber, HoVaTen: p.fullName, NgayThangNamSinh: p.dateOfBirth }),
  });
  const body = await res.json();
  clearTimeout(timer);
  if (!body.KetQua.TrungKhop) throw new Error('baseline mismatch');
}
async function rawU(p) {
  const id = `rawu-${seq++}`;
  const res = await agent.request({
    origin: new URL(sandbox.url).origin, path: '/api/v1/citizens/verify', method: 'POST',
    headers: { authorization: `Bearer ${access_token}`, 'content-type': 'application/json', 'x-request-id': id },
    body: JSON.stringify({ MaYeuCau: id, MaDVC: 'HT-KHAISINH', MaDonVi: 'BENCH', MaHeThong: 'bench', MaCanBo: 'bench',
      DiaChiIP: '127.0.0.1', SoDinhDanh: p.idNumber, HoVaTen: p.fullName, NgayThangNamSinh: p.dateOfBirth }),
  });
  const body = await res.body.json();
  if (!body.KetQua.TrungKhop) throw new Error('baseline mismatch');
}
/** One verification through `c`, checked like the baseline's. */
const through = (c) => async (p) => {
  const r = await c.verifyCitizen(p, ctx);
  if (!r.match) throw new Error('sdk mismatch');
};
const sdk = through(client), sdkC = through(clientC), sdkS = through(clientS), sdkN = through(clientN), sdkE = through(clientE), sdkNE = through(clientNE), sdkU = through(clientU);

async function sequential(fn) {
  const lat = [];
  for (let i = 0; i < CALLS; i++) {
    const t = process.hrtime.bigint();
    await fn(people[i % people.length]);
    lat.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return lat;
}
async function concurrent(fn) {
  let next = 0;
  const t = process.hrtime.bigint();
  await Promise.all(Array.from({ length: CONCURRENT }, async () => {
    while (next < PER_ROUND) await fn(people[next++ % people.length]);
  }));
  return PER_ROUND / (Number(process.hrtime.bigint() - t) / 1e9);
}
function localRefusal() {
  // Steps 1–2 only: an unregistered purpose, refused before any I/O.
  const t = process.hrtime.bigint();
  const n = 20_000;
  const ps = [];
  for (let i = 0; i < n; i++) ps.push(client.verifyCitizen(people[i % people.length], { ...ctx, purpose: { code: 'NOPE' } }).catch(() => 0));
  return Promise.all(ps).then(() => (Number(process.hrtime.bigint() - t) / 1e3) / n);
}

// Warm-up: JIT, connections, token.
await sequential(raw);
await sequential(rawE);
await sequential(sdk);
await sequential(rawU);
await sequential(sdkU);

const rounds = { rawP50: [], sdkP50: [], rawP99: [], sdkP99: [], rawEP50: [], rawEP99: [], sdkCP50: [], sdkCP99: [], fsyncMs: [], rawRps: [], sdkRps: [], rawERps: [], sdkCRps: [], rawESRps: [], sdkSRps: [], sdkNRps: [], sdkERps: [], sdkNERps: [], rawURps: [], sdkURps: [], refusalUs: [], ownMissUs: [], instantFetchUs: [] };
for (let r = 0; r < ROUNDS; r++) {
  // Alternate the order so drift on a shared machine hits both sides alike.
  const order = [['rawE', rawE], ['sdk', sdk], ['raw', raw], ['sdkC', sdkC]];
  if (r % 2) order.reverse();
  for (const [name, fn] of order) {
    const lat = await sequential(fn);
    rounds[`${name}P50`].push(median(lat));
    rounds[`${name}P99`].push(pct(lat, 99));
    rounds[`${name}Rps`].push(await concurrent(fn));
  }
  rounds.fsyncMs.push(await fsyncFloor());
  rounds.rawESRps.push(await concurrent(rawES));
  rounds.sdkSRps.push(await concurrent(sdkS));
  rounds.sdkNRps.push(await concurrent(sdkN));
  rounds.sdkERps.push(await concurrent(sdkE));
  rounds.sdkNERps.push(await concurrent(sdkNE));
  for (const [name, fn] of r % 2 ? [['sdkU', sdkU], ['rawU', rawU]] : [['rawU', rawU], ['sdkU', sdkU]]) rounds[`${name}Rps`].push(await concurrent(fn));
  rounds.refusalUs.push(await localRefusal());
  const own = await ownWork();
  rounds.ownMissUs.push(own.missUs);
  rounds.instantFetchUs.push(own.fetchUs);
}

const result = {
  node: process.version,
  rounds: ROUNDS,
  callsPerRound: CALLS,
  sequential: {
    rawP50ms: median(rounds.rawP50), sdkP50ms: median(rounds.sdkP50),
    rawP99ms: median(rounds.rawP99), sdkP99ms: median(rounds.sdkP99),
    rawErrorP50ms: median(rounds.rawEP50), rawErrorP99ms: median(rounds.rawEP99),
    chainOnlyP50ms: median(rounds.sdkCP50), chainOnlyP99ms: median(rounds.sdkCP99),
    p50Ratio: median(rounds.sdkP50.map((s, i) => s / rounds.rawEP50[i])),
    // The goal: dancu's p50 over a raw fetch sent as dancu sends it, against two fdatasyncs + 150 µs, per round.
    addedP50ms: median(rounds.sdkP50.map((s, i) => s - rounds.rawEP50[i])),
    fsyncP50ms: median(rounds.fsyncMs),
    addedBudgetMs: median(rounds.fsyncMs.map((x) => 2 * x + 0.15)),
    addedToBudget: median(rounds.sdkP50.map((s, i) => (s - rounds.rawEP50[i]) / (2 * rounds.fsyncMs[i] + 0.15))),
    chainOnlyAddedP50ms: median(rounds.sdkCP50.map((s, i) => s - rounds.rawEP50[i])),
  },
  concurrent64: {
    rawFetchPerSec: median(rounds.rawRps), sdkFetchPerSec: median(rounds.sdkRps),
    // For context only: against a fetch with the default `redirect` (clones and tees every request).
    fetchRatio: median(rounds.sdkRps.map((s, i) => s / rounds.rawRps[i])),
    sdkChainOnlyPerSec: median(rounds.sdkCRps),
    chainOnlyRatio: median(rounds.sdkCRps.map((s, i) => s / rounds.rawERps[i])),
    rawFetchRedirectErrorPerSec: median(rounds.rawERps),
    fetchRatioSameRedirect: median(rounds.sdkRps.map((s, i) => s / rounds.rawERps[i])),
    redirectErrorGain: median(rounds.rawERps.map((s, i) => s / rounds.rawRps[i])),
    rawFetchRedirectErrorSignalPerSec: median(rounds.rawESRps),
    signalCost: median(rounds.rawESRps.map((s, i) => s / rounds.rawERps[i])),
    sdkWithSignalPerSec: median(rounds.sdkSRps),
    sdkSignalCost: median(rounds.sdkSRps.map((s, i) => s / rounds.sdkRps[i])),
    sdkNoChainPerSec: median(rounds.sdkNRps),
    noChainRatio: median(rounds.sdkNRps.map((s, i) => s / rounds.rawERps[i])),
    sdkNoEnumerationPerSec: median(rounds.sdkERps),
    noEnumerationRatio: median(rounds.sdkERps.map((s, i) => s / rounds.rawERps[i])),
    sdkNoChainNoEnumerationPerSec: median(rounds.sdkNERps),
    noChainNoEnumerationRatio: median(rounds.sdkNERps.map((s, i) => s / rounds.rawERps[i])),
    rawUndiciRequestPerSec: median(rounds.rawURps), sdkUndiciEnginePerSec: median(rounds.sdkURps),
    undiciRatio: median(rounds.sdkURps.map((s, i) => s / rounds.rawURps[i])),
    rawFetchToRawUndici: median(rounds.rawRps.map((s, i) => s / rounds.rawURps[i])),
  },
  localRefusalMicros: median(rounds.refusalUs),
  ownWork: { missWithInstantFetchUs: median(rounds.ownMissUs), instantFetchAloneUs: median(rounds.instantFetchUs),
    dancuUs: median(rounds.ownMissUs.map((m, i) => m - rounds.instantFetchUs[i])) },
  upstream: sandbox.stats().total,
};
await client.close();
await clientC.close();
await floorFile.close();
await clientU.close();
await clientI.close();
await clientS.close();
await clientN.close();
await clientE.close();
await clientNE.close();
await agent.close();
await sandbox.close();
await rm(dir, { recursive: true, force: true });

{
  const f = (x, d = 3) => x.toFixed(d);
  console.log(`dancu bench — ${result.node}, ${ROUNDS} rounds, medians over rounds`);
  console.log(`verify, sequential (${CALLS} calls/round):`);
  const q = result.sequential;
  console.log(`  raw fetch, default redirect    p50 ${f(q.rawP50ms)} ms   p99 ${f(q.rawP99ms)} ms`);
  console.log(`  raw fetch, redirect: 'error'   p50 ${f(q.rawErrorP50ms)} ms   p99 ${f(q.rawErrorP99ms)} ms`);
  console.log(`  dancu (JSONL trail, 2 durable events)  p50 ${f(q.sdkP50ms)} ms   p99 ${f(q.sdkP99ms)} ms`);
  console.log(`  dancu (events chained, dropped)        p50 ${f(q.chainOnlyP50ms)} ms   p99 ${f(q.chainOnlyP99ms)} ms`);
  console.log(`  write+fdatasync of one line (open file) p50 ${f(q.fsyncP50ms)} ms`);
  console.log(`  added p50 ${f(q.addedP50ms)} ms vs 2 × fdatasync + 0.150 = ${f(q.addedBudgetMs)} ms: ${f(q.addedToBudget, 2)}× the budget   (goal ≤ 1)`);
  const c = result.concurrent64;
  console.log(`verify (cache off), ${CONCURRENT} concurrent callers, ${PER_ROUND} calls per round:`);
  console.log(`  raw fetch+Agent, redirect: 'error' (as dancu sends it) ${f(c.rawFetchRedirectErrorPerSec, 0)}/s   dancu (fetch engine, JSONL trail) ${f(c.sdkFetchPerSec, 0)}/s   ratio ${f(c.fetchRatioSameRedirect, 2)}×   (goal ≥ 0.80)`);
  console.log(`  context: raw fetch+Agent, default redirect ${f(c.rawFetchPerSec, 0)}/s (redirect: 'error' is ${f(c.redirectErrorGain, 2)}× it); dancu ${f(c.fetchRatio, 2)}× it`);
  console.log(`  dancu with events chained and dropped (no disk) ${f(c.sdkChainOnlyPerSec, 0)}/s = ${f(c.chainOnlyRatio, 2)}×`);
  console.log(`  the same with a deadline signal (controller + cleared timer) ${f(c.rawFetchRedirectErrorSignalPerSec, 0)}/s = ${f(c.signalCost, 2)}× without`);
  console.log(`  dancu with its fetch given a deadline signal (as before) ${f(c.sdkWithSignalPerSec, 0)}/s = ${f(c.sdkSignalCost, 2)}× dancu`);
  console.log(`  taken apart (vs redirect: 'error'): dancu with audit events not chained ${f(c.sdkNoChainPerSec, 0)}/s = ${f(c.noChainRatio, 2)}×; with the enumeration guard off ${f(c.sdkNoEnumerationPerSec, 0)}/s = ${f(c.noEnumerationRatio, 2)}×; both ${f(c.sdkNoChainNoEnumerationPerSec, 0)}/s = ${f(c.noChainNoEnumerationRatio, 2)}×`);
  console.log(`  raw Agent.request        ${f(c.rawUndiciRequestPerSec, 0)}/s   dancu (undici engine) ${f(c.sdkUndiciEnginePerSec, 0)}/s   ratio ${f(c.undiciRatio, 2)}×`);
  console.log(`  raw fetch / raw Agent.request: ${f(c.rawFetchToRawUndici, 2)}× (the cost of the fetch layer on ${process.version})`);
  console.log(`local refusal (validation + purpose check, no I/O): ${f(result.localRefusalMicros, 1)} µs per call`);
  console.log(`dancu's own work per miss (over a fetch that answers at once): ${f(result.ownWork.dancuUs, 1)} µs (miss ${f(result.ownWork.missWithInstantFetchUs, 1)} µs − that fetch alone ${f(result.ownWork.instantFetchAloneUs, 1)} µs)`);
}
return result;
}
