/**
 * `verify` and `report` stream: 1,000,000 events in one chain (a ~400 MB day file), in one pass,
 * in a process whose V8 old generation is capped at 48 MB, with peak RSS within 64 MB of what
 * 10,000 events take.
 * The trail is written as the JSONL sink writes it (the chain's lines, signed checkpoints).
 */
import { execFile } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { Chain } from '../../src/audit/chain.js';
import { checkpointId, checkpointSigner, generateAuditKeyPair, type Checkpoint } from '../../src/audit/index.js';
import { checkpointLine, NO_CHECKPOINT, signCheckpoint } from '../../src/audit/checkpoint.js';
import type { AuditEventBody } from '../../src/index.js';

const run = promisify(execFile);
const PAIR = generateAuditKeyPair();
const roots: string[] = [];
afterAll(async () => {
  for (const r of roots) await rm(r, { recursive: true, force: true });
});

/** A one-chain trail of `n` events (intent/outcome pairs), checkpoints every 10,000 and at the end. */
async function writeTrail(n: number): Promise<{ dir: string; bytes: number }> {
  const root = await mkdtemp(join(tmpdir(), 'dancu-stream-'));
  roots.push(root);
  const dir = join(root, 'big');
  await mkdir(dir);
  const signer = checkpointSigner({ privateKey: PAIR.privateKey });
  const system = { id: 's', unitCode: 'u', version: '1', instance: 'big', fingerprint: 'f'.repeat(64), sdk: '0.2.0' };
  const chain = new Chain();
  const out = createWriteStream(join(dir, '2026-11-23.jsonl'));
  const cps: Checkpoint[] = [];
  const cp = (kind: Checkpoint['kind'], seq: number, hash: string) => {
    const c = signCheckpoint(signer, { kind, instance: 'big', seq, hash, ts: '2026-11-23T23:00:00.000+07:00', prev: cps.length ? checkpointId(cps.at(-1)!) : NO_CHECKPOINT });
    cps.push(c);
  };
  cp('genesis', 0, NO_CHECKPOINT);
  for (let i = 0; i < n; i += 1000) {
    const bodies = Array.from({ length: 1000 }, (_, j): AuditEventBody => ({
      v: 1, ts: '2026-11-23T10:00:00.000+07:00', eventId: `e${i + j}`, system, type: (i + j) % 2 ? 'lookup.outcome' : 'lookup.intent', operation: 'verify',
      operator: { id: `cb.${(i + j) % 50}`, ip: '10.0.0.1' }, purpose: { code: 'HT-KHAISINH' }, subject: { hmac: ((i + j) >> 1).toString(16).padStart(32, '0'), masked: '001*******45' },
      requestId: `r${(i + j) >> 1}`, ...((i + j) % 2 ? { outcome: 'match' as const } : {}),
    }));
    const b = chain.linkLines(bodies);
    chain.commit();
    if (!out.write(`${b.lines.join('\n')}\n`)) await new Promise<void>((r) => out.once('drain', () => r()));
    if ((i + 1000) % 10_000 === 0) cp('head', i + 1000, b.hashes.at(-1)!);
  }
  cp('close', chain.last.seq, chain.last.hash);
  await new Promise<void>((r) => out.end(() => r()));
  await writeFile(join(dir, 'checkpoints.jsonl'), cps.map((c) => `${checkpointLine(c)}\n`).join(''));
  return { dir, bytes: (await stat(join(dir, '2026-11-23.jsonl'))).size };
}

async function measure(dir: string): Promise<{ ok: boolean; events: number; reportEvents: number; upstream: number; verifyMs: number; reportMs: number; maxRssMb: number }> {
  // A 48 MB old generation: a verifier or report that held the events (hundreds of MB) would die.
  const { stdout } = await run(process.execPath, ['--max-old-space-size=48', '--import', 'tsx', new URL('./stream-child.ts', import.meta.url).pathname, dir, PAIR.publicKey], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout);
}

describe('streaming verify and report', () => {
  it('1,000,000 events in one chain: verified and reported in one pass, memory bounded independent of the trail', async () => {
    const small = await writeTrail(10_000);
    const big = await writeTrail(1_000_000);
    const a = await measure(small.dir);
    const b = await measure(big.dir);
    console.log(`10k events (${(small.bytes / 1e6).toFixed(0)} MB): ${JSON.stringify(a)}\n1M events (${(big.bytes / 1e6).toFixed(0)} MB): ${JSON.stringify(b)}`);
    expect(a).toMatchObject({ ok: true, events: 10_000, reportEvents: 10_000, upstream: 5_000 });
    expect(b).toMatchObject({ ok: true, events: 1_000_000, reportEvents: 1_000_000, upstream: 500_000 });
    expect(big.bytes).toBeGreaterThan(300e6);
    expect(b.maxRssMb - a.maxRssMb).toBeLessThan(64); // the file is > 300 MB: nothing holds it
  }, 600_000);
});
