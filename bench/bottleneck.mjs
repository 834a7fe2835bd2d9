// The peer a user would reach for first: Bottleneck's Redis clustering (ioredis), beside dancu's
// RedisQuotaStore, 4 processes sharing one budget, interleaved in one run.
//   node bench/bottleneck.mjs            (after `npm run build`)
// 1. Throughput and latency: 4 processes × 8 callers for 2 s against the shared Redis, a budget
//    that never runs out; reservations a second (all processes) and p50/p99 of one reservation
//    (dancu: `reserve()`; Bottleneck: `schedule()` until the job starts).
// 2. A Redis kill: a redis-server of this bench's own (never the shared one), 4 processes × 8
//    callers, SIGKILL of Redis 1 s into the run, restarted empty 100 ms later (a restart without
//    persistence). With a day budget of 500, spent before the kill: overshoot = granted − budget.
//    With a budget that never runs out: what is granted after the restart (does service resume?).
//    Granted = what the processes were given (dancu: `ok: true`; Bottleneck: jobs that ran).
// Each contender runs with its defaults; the two are alternated round by round.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { median, pct } from './stats.mjs';

const REDIS_URL = process.env.DANCU_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const PROCESSES = 4;
const CALLERS = 8;

// ---- worker (a child process) ---------------------------------------------------------------
async function worker(job) {
  const { Redis } = await import('ioredis');
  const u = new URL(job.url);
  const redisOptions = { host: u.hostname, port: Number(u.port || 6379) }; // ioredis defaults otherwise, for both
  // Granted = what the processes were given, counted where it is given (a Bottleneck job can start
  // after its caller stopped waiting for it).
  let granted = 0, afterKill = 0;
  const grant = () => {
    granted++;
    if (job.killAt && Date.now() > job.killAt) afterKill++;
  };
  let reserve, close;
  if (job.contender === 'dancu') {
    const { RedisQuotaStore } = await import('../dist/index.js');
    const redis = new Redis(redisOptions);
    redis.on('error', () => undefined);
    const store = new RedisQuotaStore({ client: redis, prefix: job.id });
    const budget = [{ id: 'global.day', key: 'd:global', kind: 'day', limit: job.budget }];
    reserve = async () => {
      const ok = (await store.reserve(budget, 1)).ok;
      if (ok) grant();
      return ok;
    };
    close = async () => {
      store.close();
      redis.disconnect();
    };
  } else {
    const { default: Bottleneck } = await import('bottleneck');
    if (job.contender === 'bottleneck-fixed') {
      // The fix of Bottleneck's open PR #222: Redis 7 prefixes `ERR ` to a script's error reply, so
      // `RedisDatastore` never recognises SETTINGS_KEY_NOT_FOUND and never re-runs `init`
      // (issues #205, #219). Stripped here, its own recovery runs, as it does on Redis 6.
      const { default: IORedisConnection } = await import('bottleneck/lib/IORedisConnection.js');
      IORedisConnection.prototype.__scriptFn__ = function (name) {
        const fn = this.client[name].bind(this.client);
        return (...args) => fn(...args).catch((e) => {
          if (typeof e?.message === 'string' && e.message.startsWith('ERR ')) e.message = e.message.slice(4);
          throw e;
        });
      };
    }
    // A caller that does not wait forever: at most `highWater` jobs queued per process (a new one
    // is dropped), and a caller gives up waiting after 200 ms and calls again.
    const limiter = new Bottleneck({
      id: job.id, datastore: 'ioredis', clearDatastore: false, reservoir: job.budget, clientOptions: redisOptions,
      highWater: CALLERS, strategy: Bottleneck.strategy.OVERFLOW,
    });
    limiter.on('error', () => undefined);
    await limiter.ready();
    // Granted when the job starts: Bottleneck has taken one from the reservoir then.
    reserve = (deadline) => new Promise((resolve, reject) => {
      const timer = setTimeout(() => resolve(false), Math.max(0, Math.min(200, deadline - Date.now())));
      limiter.schedule(async () => {
        grant();
        clearTimeout(timer);
        resolve(true);
      }).catch((err) => {
        clearTimeout(timer);
        if (err instanceof Bottleneck.BottleneckError && /dropped/.test(err.message)) resolve(false);
        else reject(err);
      });
    });
    close = async () => {
      await limiter.stop({ dropWaitingJobs: true }).catch(() => undefined);
      await limiter.disconnect(false).catch(() => undefined);
    };
  }
  let unhandled = 0;
  process.on('unhandledRejection', (err) => {
    // Counted, not fatal, so the run goes on (Bottleneck's recovery leaves ioredis rejections unhandled).
    if (unhandled++ < 2 && process.env.BENCH_DEBUG) console.error(job.contender, 'unhandled', err?.stack ?? err);
  });
  await sleep(Math.max(0, job.startAt - Date.now()));
  const lat = [];
  let refused = 0, errors = 0;
  const caller = async () => {
    while (Date.now() < job.endAt) {
      const t = process.hrtime.bigint();
      try {
        if (await reserve(job.endAt)) {
          lat.push(Number(process.hrtime.bigint() - t) / 1e6);
        } else refused++;
      } catch (err) {
        errors++;
        if (process.env.BENCH_DEBUG && errors < 3) console.error(job.contender, String(err?.message ?? err));
        await sleep(5);
      }
      if (job.pauseMs) await sleep(job.pauseMs);
    }
  };
  await Promise.all(Array.from({ length: CALLERS }, caller));
  await close();
  // Rounded to 0.1 µs: the report is a pipe's worth of numbers, flushed before the exit.
  const body = JSON.stringify({ granted, afterKill, refused, errors, unhandled, lat: lat.map((x) => Math.round(x * 1e4) / 1e4) });
  process.stdout.write(body, () => process.exit(0));
}

// ---- parent ---------------------------------------------------------------------------------
function runWorkers(job) {
  const self = fileURLToPath(import.meta.url);
  return Promise.all(Array.from({ length: PROCESSES }, () => new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [self, 'worker', JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.once('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`worker exited ${code}`))));
  })));
}

async function prepare(contender, url, id, budget) {
  if (contender === 'dancu') return;
  // One limiter clears and initialises the shared state, as a deployment's first process would.
  const { default: Bottleneck } = await import('bottleneck');
  const u = new URL(url);
  const limiter = new Bottleneck({ id, datastore: 'ioredis', clearDatastore: true, reservoir: budget, clientOptions: { host: u.hostname, port: Number(u.port || 6379) } });
  await limiter.ready();
  await limiter.disconnect(false);
}

async function cleanup(url, id) {
  const { Redis } = await import('ioredis');
  const redis = new Redis(url);
  for (const pattern of [`{${id}}:*`, `b_${id}_*`]) {
    for (let cursor = '0'; ;) {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      if (keys.length) await redis.del(...keys);
      cursor = next;
      if (cursor === '0') break;
    }
  }
  redis.disconnect();
}

async function throughput(contender, ms) {
  const id = `bench-bn-${randomUUID()}`;
  await prepare(contender, REDIS_URL, id, 1e9);
  const startAt = Date.now() + 1500; // every process has connected and loaded its scripts by then
  const rs = await runWorkers({ contender, url: REDIS_URL, id, budget: 1e9, startAt, endAt: startAt + ms });
  await cleanup(REDIS_URL, id);
  const lat = rs.flatMap((r) => r.lat);
  const granted = rs.reduce((s, r) => s + r.granted, 0);
  return { perSec: granted / (ms / 1000), p50ms: median(lat), p99ms: pct(lat, 99), errors: rs.reduce((s, r) => s + r.errors, 0) };
}

function startRedis(port) {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  return (async () => {
    for (let i = 0; i < 100; i++) {
      const up = await new Promise((resolve) => {
        const s = new Socket();
        s.once('error', () => resolve(false));
        s.connect(port, '127.0.0.1', () => {
          s.destroy();
          resolve(true);
        });
      });
      if (up) return child;
      await sleep(50);
    }
    child.kill('SIGKILL');
    throw new Error(`redis-server did not start on port ${port}`);
  })();
}

/**
 * Redis SIGKILLed 1 s into a 6 s run and restarted empty 100 ms later. With a budget of 500 (spent
 * by both contenders before the kill) what is granted past it is the overshoot; with a budget that
 * never runs out, what is granted in the 4.9 s after the restart says whether service resumed.
 */
async function killRun(contender, port, budget) {
  const url = `redis://127.0.0.1:${port}`;
  let redis = await startRedis(port);
  try {
    const id = `bench-bn-${randomUUID()}`;
    await prepare(contender, url, id, budget);
    const startAt = Date.now() + 1500;
    const killAt = startAt + 1_000;
    // 32 callers, one call each per 5 ms at most: over 10× a budget of 500 before the kill.
    const run = runWorkers({ contender, url, id, budget, startAt, endAt: startAt + 6_000, killAt, pauseMs: 5 });
    await sleep(killAt - Date.now());
    redis.kill('SIGKILL');
    await sleep(100);
    redis = await startRedis(port);
    const rs = await run;
    const granted = rs.reduce((s, r) => s + r.granted, 0);
    const total = (k) => rs.reduce((s, r) => s + r[k], 0);
    return { budget, granted, afterRestart: total('afterKill'), overshoot: Math.max(0, granted - budget), errors: total('errors'), unhandled: total('unhandled') };
  } finally {
    redis.kill('SIGKILL');
  }
}

export async function benchBottleneck({ rounds = 3, ms = 2_000 } = {}) {
  const { Redis } = await import('ioredis');
  const probe = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0 });
  const up = await probe.connect().then(() => true, () => false);
  probe.disconnect();
  if (!up) return `skipped: Redis not reachable at ${REDIS_URL}`;
  const out = { dancu: [], bottleneck: [] };
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 ? ['bottleneck', 'dancu'] : ['dancu', 'bottleneck'];
    for (const c of order) out[c].push(await throughput(c, ms));
  }
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const kill = {}, resume = {};
  for (const [i, c] of ['dancu', 'bottleneck', 'bottleneck-fixed'].entries()) {
    kill[c] = await killRun(c, port + i, 500);
    resume[c] = await killRun(c, port + 3 + i, 1e9);
  }
  const sum = (c) => ({
    perSec: median(out[c].map((x) => x.perSec)),
    p50ms: median(out[c].map((x) => x.p50ms)),
    p99ms: median(out[c].map((x) => x.p99ms)),
    errors: out[c].reduce((s, x) => s + x.errors, 0),
    kill: kill[c],
    resume: resume[c],
  });
  const result = { processes: PROCESSES, callers: CALLERS, rounds, ms, dancu: sum('dancu'), bottleneck: sum('bottleneck'), bottleneckFixed: { kill: kill['bottleneck-fixed'], resume: resume['bottleneck-fixed'] } };
  result.perSecRatio = result.dancu.perSec / result.bottleneck.perSec;
  const f = (x, d = 0) => x.toLocaleString('en', { maximumFractionDigits: d, minimumFractionDigits: d });
  console.log(`\nshared quota, ${PROCESSES} processes × ${CALLERS} callers, one budget (medians of ${rounds} rounds of ${ms / 1000} s):`);
  for (const c of ['dancu', 'bottleneck', 'bottleneckFixed']) {
    const s = result[c];
    if (c === 'bottleneckFixed') console.log('  Bottleneck with the Redis 7 error match fixed (open PR #222), Redis kills only:');
    else console.log(`  ${c === 'dancu' ? 'RedisQuotaStore      ' : 'Bottleneck (ioredis) '} ${f(s.perSec)} reservations/s   p50 ${f(s.p50ms, 3)} ms   p99 ${f(s.p99ms, 3)} ms`);
    console.log(`      Redis killed once a budget of ${f(s.kill.budget)} was spent: ${f(s.kill.granted)} granted (${f(s.kill.afterRestart)} after the restart), overshoot ${f(s.kill.overshoot)}; ${f(s.kill.errors)} calls rejected`);
    console.log(`      Redis killed with budget left: ${f(s.resume.afterRestart)} granted in the 4.9 s after the restart (${f(s.resume.granted)} in all); ${f(s.resume.errors)} calls rejected`);
  }
  console.log(`  reservations a second, RedisQuotaStore / Bottleneck: ${result.perSecRatio.toFixed(2)}×`);
  return result;
}

if (process.argv[2] === 'worker') await worker(JSON.parse(process.argv[3]));
else if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(JSON.stringify(await benchBottleneck(), null, 2));
