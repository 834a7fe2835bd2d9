/**
 * Retention: `seal --before DATE` writes a signed anchor (the chain head at the end of the last day
 * before DATE) to the chain and the witness; `prune` then deletes only what a seal covers; `verify`
 * starts at the seal and still proves everything after it, and a seal the witness never received
 * (one made to hide a deletion) is refused.
 */
import { randomUUID } from 'node:crypto';
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JsonlAuditSink, type AuditEventBody } from '../../src/index.js';
import { checkpointSigner, DirectoryWitness, generateAuditKeyPair, pruneTrail, sealTrail, verifyDirectory } from '../../src/audit/index.js';
import { appendDurably } from '../../src/audit/jsonl-sink.js';
import { checkpointLine, signCheckpoint, NO_CHECKPOINT } from '../../src/audit/checkpoint.js';

const PAIR = generateAuditKeyPair();
const DAYS = [Date.UTC(2026, 10, 23, 2), Date.UTC(2026, 10, 24, 2), Date.UTC(2026, 10, 25, 2)];
let root = '';
let golden = '';

const body = (instance: string, i: number): AuditEventBody => ({
  v: 1, ts: '2026-11-23T09:00:00.000+07:00', eventId: randomUUID(), system: { id: 's', unitCode: 'u', version: '1', instance, fingerprint: 'f'.repeat(64), sdk: '0.2.0' },
  type: 'lookup.intent', operation: 'verify', operator: { id: `cb.${i % 3}`, ip: '10.0.0.1' }, purpose: { code: 'HT-KHAISINH' }, requestId: `r${i}`,
});
const sinkFor = (t: string, instance: string, now: () => number) =>
  new JsonlAuditSink({ directory: join(t, 'trail'), instance, signer: checkpointSigner({ privateKey: PAIR.privateKey }), witness: new DirectoryWitness(join(t, 'witness')), checkpointEvery: 25, clock: now });

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'dancu-retention-'));
  golden = join(root, 'golden');
  for (const day of DAYS) {
    for (const instance of ['a', 'b']) {
      const sink = sinkFor(golden, instance, () => day);
      for (let i = 0; i < 50; i++) await sink.write([body(instance, i)]);
      await sink.close();
    }
  }
});
afterAll(() => rm(root, { recursive: true, force: true }));

async function copy(): Promise<string> {
  const t = join(root, randomUUID().slice(0, 8));
  await cp(golden, t, { recursive: true });
  return t;
}
const verify = (t: string, witness = true) =>
  verifyDirectory(join(t, 'trail'), { publicKey: PAIR.publicKey, ...(witness ? { witness: new DirectoryWitness(join(t, 'witness')) } : {}) });

describe('retention: seal, prune, verify from the seal', () => {
  it('seals each chain at the end of its last day before the date, prunes only what the seals cover, and verify proves the rest', async () => {
    const t = await copy();
    const witness = new DirectoryWitness(join(t, 'witness'));
    const sealed = await sealTrail(join(t, 'trail'), '2026-11-25', { signingKey: PAIR.privateKey, witness });
    expect(sealed.map((s) => [s.instance, s.seal?.kind, s.seal?.seq])).toEqual([['a', 'seal', 100], ['b', 'seal', 100]]);
    expect((await verify(t)).map((r) => [r.instance, r.ok, r.events])).toEqual([['a', true, 150], ['b', true, 150]]);
    // A second seal at the same point is not written again.
    expect((await sealTrail(join(t, 'trail'), '2026-11-25', { signingKey: PAIR.privateKey, witness })).map((s) => s.skipped)).toEqual(['already sealed at seq 100', 'already sealed at seq 100']);

    // A later date than the seal covers: only the sealed days go.
    const deleted = await pruneTrail(join(t, 'trail'), '2026-11-26');
    expect(deleted.map((f) => f.split('/').slice(-2).join('/'))).toEqual(['a/2026-11-23.jsonl', 'a/2026-11-24.jsonl', 'b/2026-11-23.jsonl', 'b/2026-11-24.jsonl']);
    expect(await readdir(join(t, 'trail', 'a'))).toContain('2026-11-25.jsonl');
    const after = await verify(t);
    expect(after.map((r) => [r.instance, r.ok, r.events, r.lastSeq])).toEqual([['a', true, 50, 150], ['b', true, 50, 150]]);
    expect(after[0]!.warnings.join()).toContain('starts after the seal at seq 100');

    // The writer carries on after the prune; the chain still verifies.
    const sink = sinkFor(t, 'a', () => DAYS[2]! + 86_400_000);
    await sink.write([body('a', 999)]);
    await sink.close();
    expect((await verify(t)).map((r) => [r.instance, r.ok, r.lastSeq])).toEqual([['a', true, 151], ['b', true, 150]]);
  });

  it('without a seal nothing is pruned; after a prune, a deleted first line or a seal the witness never received is caught', async () => {
    const t = await copy();
    expect(await pruneTrail(join(t, 'trail'), '2026-11-26')).toEqual([]);
    await sealTrail(join(t, 'trail'), '2026-11-24', { signingKey: PAIR.privateKey, witness: new DirectoryWitness(join(t, 'witness')) });
    await pruneTrail(join(t, 'trail'), '2026-11-24');
    expect((await verify(t)).every((r) => r.ok)).toBe(true);

    // The writer's own key makes a seal at seq 140 to hide days 2 and 3 of chain b; it never reached the witness.
    const u = await copy();
    await rm(join(u, 'trail', 'b', '2026-11-23.jsonl'));
    await rm(join(u, 'trail', 'b', '2026-11-24.jsonl'));
    const lines = (await import('node:fs/promises')).readFile(join(u, 'trail', 'b', '2026-11-25.jsonl'), 'utf8');
    const first = JSON.parse((await lines).split('\n')[0]!) as { seq: number; prevHash: string };
    const forged = signCheckpoint(checkpointSigner({ privateKey: PAIR.privateKey }), { kind: 'seal', instance: 'b', seq: first.seq - 1, hash: first.prevHash, ts: '2026-11-26T00:00:00.000+07:00', prev: NO_CHECKPOINT });
    await appendDurably(join(u, 'trail', 'b', 'seals.jsonl'), checkpointLine(forged));
    expect((await verify(u, false)).find((r) => r.instance === 'b')).toMatchObject({ ok: true }); // needs the witness
    expect((await verify(u)).find((r) => r.instance === 'b')).toMatchObject({ ok: false, problem: { reason: 'bad_checkpoint', message: expect.stringContaining('never delivered to the witness') } });
    // A seal signed by another key is refused outright.
    const v = await copy();
    await rm(join(v, 'trail', 'a', '2026-11-23.jsonl'));
    const other = signCheckpoint(checkpointSigner({ privateKey: generateAuditKeyPair().privateKey }), { kind: 'seal', instance: 'a', seq: 50, hash: 'a'.repeat(64), ts: 'x', prev: NO_CHECKPOINT });
    await appendDurably(join(v, 'trail', 'a', 'seals.jsonl'), checkpointLine(other));
    expect((await verify(v, false)).find((r) => r.instance === 'a')).toMatchObject({ ok: false, problem: { reason: 'wrong_key' } });
  });
});
