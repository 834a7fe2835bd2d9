/**
 * The tamper suite: a trail of 3 instances × 3 Vietnam days, written by the real JSONL sink with
 * Ed25519 checkpoints relayed to a directory witness; then each kind of tampering an operator with
 * write access to the trail could do (the writer's own private key included), applied to a copy.
 * Every kind is detected with the public key and the witness; the kinds marked `needsWitness` pass
 * without it (docs/audit.md lists them). 20 untouched verifications raise no false alarm.
 */
import { randomUUID } from 'node:crypto';
import { appendFile, cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JsonlAuditSink, type AuditEventBody } from '../../src/index.js';
import {
  checkpointId, checkpointSigner, deriveAuditKeys, DirectoryWitness, generateAuditKeyPair, parseCheckpoint, verifyDirectory, type Checkpoint, type ChainReport,
} from '../../src/audit/index.js';
import { hashOf } from '../../src/audit/chain.js';
import { canonicalJson } from '../../src/internal/canonical.js';

const PAIR = generateAuditKeyPair();
const SECRET = 'tamper-suite-secret-0123456789-abcdefgh';
const INSTANCES = ['mot-cua-1', 'mot-cua-2', 'mot-cua-3'];
const DAYS = [Date.UTC(2026, 10, 23, 2), Date.UTC(2026, 10, 24, 2), Date.UTC(2026, 10, 25, 2)]; // 09:00 ICT
let root = '';
let golden = '';
let rollbackCopy = '';

const system = (instance: string) => ({ id: 's', unitCode: 'u', version: '1', instance, fingerprint: 'f'.repeat(64), sdk: '0.2.0' });
const body = (instance: string, i: number, now: number): AuditEventBody => ({
  v: 1, ts: new Date(now + 7 * 3_600_000).toISOString().replace('Z', '+07:00'), eventId: randomUUID(), system: system(instance),
  type: i % 2 ? 'lookup.outcome' : 'lookup.intent', operation: 'verify', operator: { id: `cb.${i % 5}`, ip: '10.0.0.1' },
  purpose: { code: 'HT-KHAISINH' }, requestId: `r${i >> 1}`, ...(i % 2 ? { outcome: 'match' as const } : {}),
});

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'dancu-tamper-'));
  golden = join(root, 'golden');
  rollbackCopy = join(root, 'older');
  const signer = checkpointSigner({ privateKey: PAIR.privateKey });
  for (const [d, day] of DAYS.entries()) {
    for (const instance of INSTANCES) {
      let now = day;
      const sink = new JsonlAuditSink({ directory: join(golden, 'trail'), instance, signer, witness: new DirectoryWitness(join(golden, 'witness')), checkpointEvery: 40, clock: () => now });
      for (let i = 0; i < 100; i += 10) {
        await Promise.all(Array.from({ length: 10 }, (_, j) => sink.write([body(instance, d * 100 + i + j, now)])));
        now += 60_000;
      }
      await sink.close();
    }
    if (d === 1) await cp(golden, rollbackCopy, { recursive: true }); // a backup taken after day 2
  }
}, 60_000);
afterAll(() => rm(root, { recursive: true, force: true }));

const dayFile = (t: string, instance: string, d: number) => join(t, 'trail', instance, `2026-11-${23 + d}.jsonl`);
const cpFile = (t: string, instance: string) => join(t, 'trail', instance, 'checkpoints.jsonl');
const readLines = async (f: string) => (await readFile(f, 'utf8')).split('\n').filter(Boolean);
const writeLines = (f: string, ls: string[]) => writeFile(f, ls.map((l) => `${l}\n`).join(''));
const editLine = async (f: string, i: number, fn: (l: string) => string) => {
  const ls = await readLines(f);
  ls[i] = fn(ls[i]!);
  await writeLines(f, ls);
};

/** Rewrite a chain from `fromSeq` with `edit` applied to that event, re-hashing everything after it (what the writer could do). */
async function rewriteChain(t: string, instance: string, fromSeq: number, edit: (e: Record<string, unknown>) => void): Promise<Map<number, string>> {
  const hashes = new Map<number, string>();
  let prev: string | undefined;
  for (let d = 0; d < DAYS.length; d++) {
    const f = dayFile(t, instance, d);
    const out: string[] = [];
    for (const l of await readLines(f)) {
      const e = JSON.parse(l) as Record<string, unknown> & { seq: number; prevHash: string; hash: string };
      if (e.seq === fromSeq) edit(e);
      if (e.seq >= fromSeq) {
        if (prev !== undefined) e.prevHash = prev;
        const { hash: _h, ...rest } = e;
        void _h;
        e.hash = hashOf(rest as never);
        out.push(canonicalJson(e));
      } else out.push(l);
      prev = e.hash;
      hashes.set(e.seq, e.hash);
    }
    await writeLines(f, out);
  }
  return hashes;
}

/** Re-sign a chain's checkpoints for new event hashes, with `sign` (the writer's key, or an HMAC). */
async function resign(t: string, instance: string, hashes: Map<number, string>, signer: ReturnType<typeof checkpointSigner>): Promise<void> {
  const out: string[] = [];
  let prev: Checkpoint | undefined;
  for (const l of await readLines(cpFile(t, instance))) {
    const c = parseCheckpoint(l)!;
    const { sig: _s, alg: _a, kid: _k, v: _v, ...rest } = c;
    void _s, _a, _k, _v;
    const unsigned = { v: 2 as const, ...rest, hash: c.kind === 'genesis' ? c.hash : hashes.get(c.seq)!, prev: prev ? checkpointId(prev) : '0'.repeat(64), alg: signer.alg, kid: signer.kid };
    const { v: _v2, ...forSig } = unsigned;
    void _v2;
    const signed: Checkpoint = { ...unsigned, sig: signer.sign(canonicalJson({ ...forSig, v: 2 })) };
    out.push(canonicalJson(signed));
    prev = signed;
  }
  await writeLines(cpFile(t, instance), out);
}

interface Kind { name: string; needsWitness?: boolean; apply: (t: string) => Promise<void> }
const I = INSTANCES[1]!;
const KINDS: Kind[] = [
  { name: 'edit a field (operator id)', apply: (t) => editLine(dayFile(t, I, 1), 20, (l) => l.replace(/"id":"cb\.\d"/, '"id":"cb.someone-else"')) },
  { name: 'flip one byte', apply: (t) => editLine(dayFile(t, I, 0), 33, (l) => l.replace('HT-KHAISINH', 'HT-KHAISINI')) },
  { name: 'delete a line', apply: async (t) => writeLines(dayFile(t, I, 1), (await readLines(dayFile(t, I, 1))).filter((_, i) => i !== 50)) },
  { name: 'swap two lines', apply: async (t) => { const ls = await readLines(dayFile(t, I, 2)); [ls[10], ls[11]] = [ls[11]!, ls[10]!]; await writeLines(dayFile(t, I, 2), ls); } },
  { name: 'duplicate a line', apply: async (t) => { const ls = await readLines(dayFile(t, I, 0)); ls.splice(40, 0, ls[40]!); await writeLines(dayFile(t, I, 0), ls); } },
  { name: 'cut the tail, checkpoints kept', apply: async (t) => writeLines(dayFile(t, I, 2), (await readLines(dayFile(t, I, 2))).slice(0, 70)) },
  {
    name: 'cut the tail and the checkpoints after it', needsWitness: true,
    apply: async (t) => {
      await writeLines(dayFile(t, I, 2), (await readLines(dayFile(t, I, 2))).slice(0, 70)); // ends at seq 270
      await writeLines(cpFile(t, I), (await readLines(cpFile(t, I))).filter((l) => parseCheckpoint(l)!.seq <= 240));
    },
  },
  { name: 'delete a day file', apply: (t) => rm(dayFile(t, I, 1)) },
  { name: 'delete the last day file and its checkpoints', needsWitness: true, apply: async (t) => { await rm(dayFile(t, I, 2)); await writeLines(cpFile(t, I), (await readLines(cpFile(t, I))).filter((l) => parseCheckpoint(l)!.seq <= 200)); } },
  { name: 'delete every day file of an instance', apply: async (t) => { for (let d = 0; d < 3; d++) await rm(dayFile(t, I, d)); } },
  { name: 'delete an instance directory', apply: (t) => rm(join(t, 'trail', I), { recursive: true }) },
  {
    name: 'delete an instance directory and its manifest line', needsWitness: true,
    apply: async (t) => {
      await rm(join(t, 'trail', I), { recursive: true });
      await writeLines(join(t, 'trail', 'manifest.jsonl'), (await readLines(join(t, 'trail', 'manifest.jsonl'))).filter((l) => !l.includes(`"instance":"${I}"`)));
    },
  },
  { name: 'roll day files and checkpoints back to an older copy', needsWitness: true, apply: async (t) => { await rm(join(t, 'trail', I), { recursive: true }); await cp(join(rollbackCopy, 'trail', I), join(t, 'trail', I), { recursive: true }); } },
  { name: 'delete the checkpoint file', apply: (t) => rm(cpFile(t, I)) },
  { name: 'damage a checkpoint line in the middle', apply: (t) => editLine(cpFile(t, I), 3, (l) => l.slice(0, 40)) },
  { name: 'delete one checkpoint line', apply: async (t) => writeLines(cpFile(t, I), (await readLines(cpFile(t, I))).filter((_, i) => i !== 2)) },
  {
    name: 'rewrite a chain and re-sign it with a stolen HMAC key (audit.secret)',
    apply: async (t) => resign(t, I, await rewriteChain(t, I, 120, (e) => ((e['operator'] as Record<string, string>)['id'] = 'cb.an')), checkpointSigner({ hmacKey: deriveAuditKeys(SECRET, 'k1').checkpoint!, kid: 'k1' })),
  },
  {
    name: "rewrite a chain with the writer's own private key after its checkpoints reached the witness", needsWitness: true,
    apply: async (t) => resign(t, I, await rewriteChain(t, I, 120, (e) => ((e['operator'] as Record<string, string>)['id'] = 'cb.an')), checkpointSigner({ privateKey: PAIR.privateKey })),
  },
  {
    name: 'append forged events (correctly chained) after the writer closed the chain',
    apply: async (t) => {
      const f = dayFile(t, I, 2);
      const last = JSON.parse((await readLines(f)).at(-1)!) as { seq: number; hash: string };
      const forged = { ...body(I, 1, DAYS[2]!), seq: last.seq + 1, prevHash: last.hash };
      await appendFile(f, `${canonicalJson({ ...forged, hash: hashOf(forged as never) })}\n`);
    },
  },
  { name: 'add a __proto__ member to a line', apply: (t) => editLine(dayFile(t, I, 1), 5, (l) => l.replace('{"eventId"', '{"__proto__":{"operator":{"id":"cb.x"}},"eventId"')) },
  { name: 'replace the witness-covered events of another day with a copy from another instance', apply: async (t) => cp(dayFile(t, INSTANCES[0]!, 1), dayFile(t, I, 1)) },
];

async function copyTrail(): Promise<string> {
  const t = join(root, `case-${randomUUID().slice(0, 8)}`);
  await cp(golden, t, { recursive: true });
  return t;
}
const verify = (t: string, witness: boolean): Promise<ChainReport[]> =>
  verifyDirectory(join(t, 'trail'), { publicKey: PAIR.publicKey, ...(witness ? { witness: new DirectoryWitness(join(t, 'witness')) } : {}) });

describe('tamper suite: 3 instances × 3 days, Ed25519 checkpoints and a directory witness', () => {
  it('the untouched trail verifies, 20 times over, with and without the witness (no false alarm)', async () => {
    expect((await readdir(join(golden, 'witness'))).sort()).toEqual(INSTANCES.map((i) => `${i}.jsonl`));
    for (let k = 0; k < 20; k++) {
      const reports = await verify(golden, k % 2 === 0);
      expect(reports.map((r) => [r.instance, r.ok, r.events]), JSON.stringify(reports)).toEqual(INSTANCES.map((i) => [i, true, 300]));
    }
  });

  it(`${KINDS.length} kinds of tampering: every one detected with the witness; the ones marked need it`, async () => {
    expect(KINDS.length).toBeGreaterThanOrEqual(20);
    const missed: string[] = [];
    const table: string[] = [];
    for (const kind of KINDS) {
      const t = await copyTrail();
      await kind.apply(t);
      const withWitness = await verify(t, true);
      const without = await verify(t, false);
      const bad = (rs: ChainReport[]) => rs.filter((r) => !r.ok);
      if (bad(withWitness).length === 0) missed.push(`${kind.name}: not detected with the witness`);
      if (!kind.needsWitness && bad(without).length === 0) missed.push(`${kind.name}: not detected without the witness`);
      if (kind.needsWitness && bad(without).length > 0) missed.push(`${kind.name}: marked needsWitness, but detected without it (${JSON.stringify(bad(without)[0]!.problem)})`);
      // The other instances still verify: each chain is reported on its own.
      for (const other of [INSTANCES[0]!, INSTANCES[2]!]) if (!withWitness.find((r) => r.instance === other)?.ok) missed.push(`${kind.name}: false alarm on ${other}`);
      table.push(`${kind.needsWitness ? 'witness' : 'alone  '} ${bad(withWitness)[0]?.problem?.reason ?? '-'}: ${kind.name}`);
      await rm(t, { recursive: true, force: true });
    }
    console.log(table.join('\n'));
    expect(missed).toEqual([]);
  }, 120_000);

  it('a writer whose trail was rolled back behind the witness refuses to continue (rollback), instead of reusing sequence numbers', async () => {
    const t = await copyTrail();
    await rm(join(t, 'trail', I), { recursive: true });
    await cp(join(rollbackCopy, 'trail', I), join(t, 'trail', I), { recursive: true });
    const sink = new JsonlAuditSink({ directory: join(t, 'trail'), instance: I, signer: checkpointSigner({ privateKey: PAIR.privateKey }), witness: new DirectoryWitness(join(t, 'witness')) });
    await expect(sink.open()).rejects.toMatchObject({ reason: 'rollback' });
    await sink.close();
  });
});
