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

/** An audit sink that chains every event and drops it (see `DiscardingAuditSink` in dancu/testing). */
export async function chainOnlySink() {
  const { DiscardingAuditSink } = await import('../dist/testing/index.js');
  return new DiscardingAuditSink();
}
