export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
export const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

/** EVALSHA calls and their time inside Redis so far (`INFO commandstats`; the server's own clock). */
export async function evalshaStats(redis) {
  const m = /cmdstat_evalsha:calls=(\d+),usec=(\d+)/.exec(await redis.info('commandstats'));
  return m ? { calls: Number(m[1]), usec: Number(m[2]) } : { calls: 0, usec: 0 };
}

/** Latencies (ms) of `n` sequential awaits of `fn`. */
export async function latencies(fn, n) {
  const out = new Array(n);
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    await fn(i);
    out[i] = Number(process.hrtime.bigint() - t) / 1e6;
  }
  return out;
}

/**
 * An audit sink for benches of the pipeline's own cost: every event is built and hash-chained as a
 * durable sink would (canonical JSON, SHA-256, the line), then dropped. `MemoryAuditSink` keeps every
 * event for tests, so the longer a bench runs, the more of it is garbage collection of that heap.
 */
export async function chainOnlySink() {
  const { Chain } = await import('../dist/index.js');
  const chain = new Chain();
  let events = 0;
  return {
    get events() { return events; },
    async write(bodies) { chain.linkLines(bodies); chain.commit(); events += bodies.length; },
    async flush() {},
    async close() {},
  };
}
