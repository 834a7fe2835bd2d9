// Audited events per second into the JSONL sink (group commit: one write + fdatasync per batch),
// with C concurrent writers each waiting for its own acknowledgement, as calls do. Next to it, the
// raw floor measured in the same run: the same bytes with one fdatasync per batch, without dancu.
import { randomUUID } from 'node:crypto';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Socket } from 'node:net';
import { JsonlAuditSink, PostgresAuditSink } from '../dist/index.js';
import { median } from './stats.mjs';

const system = { id: 'bench', unitCode: 'B', version: '1', instance: 'bench', fingerprint: 'f'.repeat(64), sdk: '0.1.0' };
const body = (i) => ({
  v: 1, ts: new Date().toISOString(), eventId: randomUUID(), system, type: 'lookup.intent', operation: 'verify',
  operator: { id: 'cb.bench', ip: '10.0.0.1' }, purpose: { code: 'HT-KHAISINH', legalBasis: 'Luật Hộ tịch 2014' },
  subject: { hmac: 'a'.repeat(32), masked: '079*******21' }, fields: ['fullName', 'dateOfBirth'], requestId: `r${i}`,
});

export async function benchAudit({ rounds = 5, seconds = 1.5, concurrency = [1, 16, 64] } = {}) {
  const out = {};
  for (const c of concurrency) {
    const rates = [];
    for (let r = 0; r < rounds; r++) {
      const dir = await mkdtemp(join(tmpdir(), 'dancu-bench-audit-'));
      const sink = new JsonlAuditSink({ directory: dir, instance: 'bench' });
      let n = 0;
      const end = Date.now() + seconds * 1000;
      const t = process.hrtime.bigint();
      await Promise.all(Array.from({ length: c }, async () => {
        while (Date.now() < end) await sink.write([body(n++)]);
      }));
      rates.push(n / (Number(process.hrtime.bigint() - t) / 1e9));
      await sink.close();
      await rm(dir, { recursive: true, force: true });
    }
    out[`writers${c}`] = median(rates);
  }
  // The floor: one 400-byte line + fdatasync at a time, no dancu (what a single writer costs at best).
  const dir = await mkdtemp(join(tmpdir(), 'dancu-bench-fsync-'));
  const fh = await open(join(dir, 'x'), 'a');
  const line = Buffer.from(`${JSON.stringify(body(0))}\n`);
  let k = 0;
  const t = process.hrtime.bigint();
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) { await fh.write(line); await fh.datasync(); k++; }
  const rawFsyncPerSec = k / (Number(process.hrtime.bigint() - t) / 1e9);
  await fh.close();
  await rm(dir, { recursive: true, force: true });
  // PostgreSQL: the same writers into PostgresAuditSink (one transaction per batch), when reachable.
  const pgUrl = process.env.DANCU_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const u = new URL(pgUrl);
  const pgUp = await new Promise((resolve) => {
    const s = new Socket();
    s.setTimeout(1000, () => { s.destroy(); resolve(false); });
    s.once('error', () => resolve(false));
    s.connect(Number(u.port || 5432), u.hostname, () => { s.destroy(); resolve(true); });
  });
  const pgOut = {};
  if (pgUp) {
    const { default: pg } = await import('pg');
    const pool = new pg.Pool({ connectionString: pgUrl, max: 4 });
    const table = `dancu_bench_${process.pid}`;
    for (const c of concurrency) {
      const rates = [];
      for (let r = 0; r < rounds; r++) {
        const sink = new PostgresAuditSink({ pool, table, instance: `bench-${c}-${r}` });
        let n = 0;
        const end = Date.now() + seconds * 1000;
        const t = process.hrtime.bigint();
        await Promise.all(Array.from({ length: c }, async () => { while (Date.now() < end) await sink.write([body(n++)]); }));
        rates.push(n / (Number(process.hrtime.bigint() - t) / 1e9));
        await sink.close();
      }
      pgOut[`writers${c}`] = median(rates);
    }
    await pool.query(`DROP TABLE IF EXISTS ${table}; DROP TABLE IF EXISTS ${table}_checkpoints`);
    await pool.end();
  }
  console.log(`\naudit trail, JSONL sink (fsync group commit), ${rounds} rounds × ${seconds} s, medians:`);
  for (const c of concurrency) console.log(`  ${String(c).padStart(3)} concurrent writers   ${out[`writers${c}`].toFixed(0)} acknowledged events/s`);
  console.log(`  raw write+fdatasync floor (1 writer, no dancu): ${rawFsyncPerSec.toFixed(0)}/s   → group commit ×${(out[`writers${concurrency.at(-1)}`] / rawFsyncPerSec).toFixed(1)} at ${concurrency.at(-1)} writers`);
  if (pgUp) {
    console.log(`audit trail, PostgreSQL sink (one transaction per batch):`);
    for (const c of concurrency) console.log(`  ${String(c).padStart(3)} concurrent writers   ${pgOut[`writers${c}`].toFixed(0)} acknowledged events/s`);
  } else console.log(`audit trail, PostgreSQL sink: skipped (not reachable at ${u.host})`);
  return { jsonl: out, rawFsyncPerSec, postgres: pgUp ? pgOut : 'skipped' };
}
