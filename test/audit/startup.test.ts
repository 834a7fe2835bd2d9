/**
 * A restart with a day file of 1,000,000 events (a national portal's busy day; every cache hit is an
 * event): the JSONL sink opens reading the file from its end only — back to 36 minutes before the
 * last event — so what start-up reads does not grow with the day. It continues the chain and closes
 * the intent a crash left open.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Chain } from '../../src/audit/chain.js';
import { JsonlAuditSink, type AuditEventBody } from '../../src/index.js';
import { RECENT_MAX_BYTES } from '../../src/audit/jsonl-sink.js';
import { readTail } from '../../src/internal/tail.js';

const roots: string[] = [];
afterAll(async () => {
  for (const r of roots) await rm(r, { recursive: true, force: true });
});

/** `n` events spread evenly over one Vietnam day; the very last one an intent with no outcome (a crash). */
async function dayOf(n: number): Promise<{ directory: string; file: string }> {
  const directory = await mkdtemp(join(tmpdir(), 'dancu-startup-'));
  roots.push(directory);
  await mkdir(join(directory, 'w'));
  const file = join(directory, 'w', '2026-11-23.jsonl');
  const out = createWriteStream(file);
  const chain = new Chain();
  const start = Date.parse('2026-11-23T00:00:00.000+07:00');
  const system = { id: 's', unitCode: 'u', version: '1', instance: 'w', fingerprint: 'f'.repeat(64), sdk: '0.2.0' };
  for (let i = 0; i < n; i += 1000) {
    const bodies = Array.from({ length: Math.min(1000, n - i) }, (_, j): AuditEventBody => {
      const k = i + j;
      const intent = k % 2 === 0;
      return {
        v: 1, ts: new Date(start + Math.floor((k * 86_000_000) / n) + 7 * 3_600_000).toISOString().replace('Z', '+07:00'), eventId: `e${k}`, system,
        type: intent ? 'lookup.intent' : 'lookup.outcome', operation: 'verify', operator: { id: 'cb.1', ip: '10.0.0.1' }, purpose: { code: 'HT-KHAISINH' },
        requestId: `r${k >> 1}`, ...(intent ? {} : { intentId: `e${k - 1}`, outcome: 'match' as const }),
      };
    });
    const b = chain.linkLines(bodies);
    chain.commit();
    if (!out.write(`${b.lines.join('\n')}\n`)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((r) => out.end(() => r()));
  return { directory, file };
}

async function openAndWrite(directory: string): Promise<{ ms: number; scanned: number; dangling: number; next: { seq: number; prevHash: string } }> {
  const sink = new JsonlAuditSink({ directory, instance: 'w', clock: () => Date.parse('2026-11-23T23:59:00.000+07:00') });
  const t = performance.now();
  const recovery = await sink.open();
  const ms = performance.now() - t;
  await sink.write([{ v: 1, ts: '2026-11-23T23:59:00.000+07:00', eventId: 'after-restart', system: { id: 's', unitCode: 'u', version: '1', instance: 'w', fingerprint: 'f'.repeat(64), sdk: '0.2.0' }, type: 'config.loaded' }]);
  await sink.close();
  const tail = await readTail(join(directory, 'w', '2026-11-23.jsonl'));
  const next = JSON.parse(tail!.lastLine!) as { seq: number; prevHash: string };
  return { ms, scanned: sink.scannedBytes, dangling: recovery.danglingIntents.length, next };
}

describe('start-up reads the end of the trail, not the day', () => {
  it('1,000,000 events in today\'s file: a bounded number of bytes read, the chain continued, the open intent closed', async () => {
    const small = await dayOf(1_001);
    const big = await dayOf(1_000_001);
    const size = (await stat(big.file)).size;
    const a = await openAndWrite(small.directory);
    const b = await openAndWrite(big.directory);
    console.log(`open after a restart: 1,001 events ${a.ms.toFixed(1)} ms, ${a.scanned} bytes read; 1,000,001 events (${(size / 1e6).toFixed(0)} MB) ${b.ms.toFixed(1)} ms, ${b.scanned} bytes read`);
    expect(size).toBeGreaterThan(400e6);
    // 36 minutes of a day of 1M events is ~25,000 events: ~14 MB, under the cap, and far under the file.
    expect(b.scanned).toBeLessThan(20 * 1024 * 1024);
    expect(b.scanned).toBeLessThan(RECENT_MAX_BYTES);
    expect(b.next.seq).toBe(1_000_002);
    expect(b.dangling).toBe(1);
    expect(a).toMatchObject({ dangling: 1, next: { seq: 1_002 } });
  }, 300_000);

  it('hits, intents and outcomes read from their last members; an open intent mid-trail is found whole; a rewritten line is still read', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'dancu-startup-'));
    roots.push(directory);
    await mkdir(join(directory, 'w'));
    const chain = new Chain();
    const system = { id: 's', unitCode: 'u', version: '1', instance: 'w', fingerprint: 'f'.repeat(64), sdk: '0.2.0' };
    const start = Date.parse('2026-11-23T23:00:00.000+07:00');
    const bodies: AuditEventBody[] = [];
    const at = (k: number) => new Date(start + k * 1000 + 7 * 3_600_000).toISOString().replace('Z', '+07:00');
    for (let k = 0; k < 900; k += 3) {
      const base = { v: 1 as const, system, operation: 'verify', operator: { id: `cb.${k}`, ip: '10.0.0.1' }, purpose: { code: 'HT-KHAISINH' } };
      bodies.push({ ...base, ts: at(k), eventId: `i${k}`, type: 'lookup.intent', requestId: `r${k}` });
      bodies.push({ ...base, ts: at(k + 1), eventId: `h${k}`, type: 'cache.hit', source: 'cache', requestId: `r${k - 3}`, outcome: 'match', detail: { ts: 'not the event time', type: 'x' } });
      if (k !== 600) bodies.push({ ...base, ts: at(k + 2), eventId: `o${k}`, type: 'lookup.outcome', intentId: `i${k}`, requestId: `r${k}`, outcome: 'match' });
    }
    const { lines } = chain.linkLines(bodies);
    // One outcome rewritten by a tool (members in another order): no longer in this writer's form.
    const j = lines.findIndex((l) => l.includes('"eventId":"o300"'));
    const { hash, ...rest } = JSON.parse(lines[j]!) as Record<string, unknown>;
    lines[j] = JSON.stringify({ hash, ...rest });
    await writeFile(join(directory, 'w', '2026-11-23.jsonl'), `${lines.join('\n')}\n`);
    const sink = new JsonlAuditSink({ directory, instance: 'w', clock: () => Date.parse('2026-11-23T23:59:00.000+07:00') });
    const recovery = await sink.open();
    await sink.close();
    expect(recovery.danglingIntents.map((e) => e.eventId)).toEqual(['i600']);
    expect(recovery.danglingIntents[0]).toMatchObject({ type: 'lookup.intent', operator: { id: 'cb.600' }, requestId: 'r600', seq: 601 });
  });
});
