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

/**
 * A `fetch` that answers at once with the reference protocol's answers, built in memory: a client
 * over it measures dancu's own work, with no socket and no sandbox in the process.
 */
export const instantFetch = async (url, init) => {
  const body = String(url).endsWith('/oauth2/token')
    ? JSON.stringify({ access_token: 'instant', token_type: 'Bearer', expires_in: 3600 })
    : JSON.stringify({ MaYeuCau: JSON.parse(init.body).MaYeuCau, TonTai: true, KetQua: { TrungKhop: true, HoVaTen: true, NgayThangNamSinh: true } });
  return new Response(body, { status: 200, headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } });
};

/** Client options for a client over {@link instantFetch} (credentials strong enough to be accepted). */
export const instantClientOptions = {
  baseUrl: 'http://127.0.0.1:9', credentials: { clientId: 'bench', clientSecret: 'Xk9#mQ2v!Lp7zR4tW8nB3cJ6hY1sD5fG' }, fetch: instantFetch,
  system: { id: 'bench', unitCode: 'BENCH', version: '0' },
};
