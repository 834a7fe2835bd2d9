/**
 * 1,000 random mutations of a 10,000-event log: every one detected, at the first bad seq; no false
 * alarm on the untouched log. The log is written by the real JSONL sink (with its signed checkpoints)
 * and mutated in memory, then verified by the same function `dancu audit verify` uses.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JsonlAuditSink, type AuditEventBody } from '../../src/index.js';
import { checkpointSigner, generateAuditKeyPair, verifyLines, type Checkpoint } from '../../src/audit/index.js';
import type { Line } from '../../src/audit/verify.js';
import { seededRandom } from '../../src/testing/index.js';

const N = 10_000;
const PAIR = generateAuditKeyPair();
const KEY = { publicKey: PAIR.publicKey };
let dir = '';
let lines: string[] = [];
let checkpoints: Checkpoint[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dancu-mutation-'));
  const sink = new JsonlAuditSink({ directory: dir, instance: 'm', signer: checkpointSigner({ privateKey: PAIR.privateKey }), checkpointEvery: 2_500, clock: () => Date.UTC(2026, 10, 23, 3) });
  const system = { id: 's', unitCode: 'u', version: '1', instance: 'm', fingerprint: 'f'.repeat(64), sdk: '0.1.0' };
  const body = (i: number): AuditEventBody => ({
    v: 1, ts: `2026-11-23T10:${String(Math.floor(i / 600) % 60).padStart(2, '0')}:${String(Math.floor(i / 10) % 60).padStart(2, '0')}.000+07:00`,
    eventId: randomUUID(), system, type: i % 2 ? 'lookup.outcome' : 'lookup.intent', operation: 'verify',
    operator: { id: `cb.${i % 7}`, ip: '10.0.0.1' }, purpose: { code: 'HT-KHAISINH' }, requestId: `r${i >> 1}`, latencyMs: i % 97,
  });
  for (let i = 0; i < N; i += 500) await Promise.all(Array.from({ length: 500 }, (_, j) => sink.write([body(i + j)])));
  await sink.close(); // final checkpoint at the last event
  const [file] = await JsonlAuditSink.dayFiles(join(dir, 'm'));
  lines = (await readFile(file!, 'utf8')).split('\n').filter(Boolean);
  checkpoints = (await readFile(join(dir, 'm', 'checkpoints.jsonl'), 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Checkpoint);
}, 60_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

const asLines = (texts: string[], tornTail?: string): Line[] => {
  const out: Line[] = texts.map((text, i) => ({ file: 'log', line: i + 1, text, complete: true }));
  if (tornTail !== undefined) out.push({ file: 'log', line: texts.length + 1, text: tornTail, complete: false });
  return out;
};

type Mutation = { name: string; apply: (ls: string[], rnd: () => number) => { lines: Line[]; firstBad: number } };

const pick = (rnd: () => number, n: number) => Math.floor(rnd() * n);
const MUTATIONS: Mutation[] = [
  {
    name: 'bit flip',
    apply: (ls, rnd) => {
      const i = pick(rnd, ls.length);
      const buf = Buffer.from(ls[i]!, 'utf8');
      const byte = pick(rnd, buf.length);
      buf[byte]! ^= 1 << pick(rnd, 7); // a flip inside 7-bit ASCII keeps the line one line
      const copy = [...ls];
      copy[i] = buf.toString('utf8');
      return { lines: asLines(copy.flatMap((l) => l.split('\n'))), firstBad: i + 1 };
    },
  },
  {
    name: 'delete',
    apply: (ls, rnd) => {
      const i = pick(rnd, ls.length - 1); // deleting the very last line is the truncate case
      return { lines: asLines(ls.filter((_, j) => j !== i)), firstBad: i + 1 };
    },
  },
  {
    name: 'insert',
    apply: (ls, rnd) => {
      const at = pick(rnd, ls.length);
      const copy = [...ls];
      copy.splice(at, 0, ls[pick(rnd, ls.length)]!);
      return { lines: asLines(copy), firstBad: at + 1 };
    },
  },
  {
    name: 'reorder',
    apply: (ls, rnd) => {
      const i = pick(rnd, ls.length - 1);
      const j = i + 1 + pick(rnd, Math.min(50, ls.length - i - 1));
      const copy = [...ls];
      [copy[i], copy[j]] = [copy[j]!, copy[i]!];
      return { lines: asLines(copy), firstBad: i + 1 };
    },
  },
  {
    name: 'edit a timestamp',
    apply: (ls, rnd) => {
      const i = pick(rnd, ls.length);
      const copy = [...ls];
      copy[i] = copy[i]!.replace(/"ts":"2026-11-23T10:(\d\d)/, (_, m: string) => `"ts":"2026-11-23T09:${m}`);
      return { lines: asLines(copy), firstBad: i + 1 };
    },
  },
  {
    name: 'truncate the tail',
    apply: (ls, rnd) => {
      const keep = ls.length - 1 - pick(rnd, 500);
      const cut = ls[keep]!;
      const partial = cut.slice(0, pick(rnd, cut.length)); // may cut mid-line: a torn tail
      return { lines: asLines(ls.slice(0, keep), partial === '' ? undefined : partial), firstBad: keep + 1 };
    },
  },
];

describe('tamper evidence', () => {
  it('the untouched log verifies, checkpoints included (no false alarm)', () => {
    expect(lines).toHaveLength(N);
    expect(checkpoints.map((c) => [c.kind, c.seq])).toEqual([['genesis', 0], ['head', 2_500], ['head', 5_000], ['head', 7_500], ['head', 10_000], ['close', 10_000]]);
    expect(verifyLines('m', asLines(lines), checkpoints, KEY)).toMatchObject({ ok: true, events: N, lastSeq: N });
  });

  it('1,000 random mutations: 100% detected, with the first bad seq', () => {
    const rnd = seededRandom(5722);
    const missed: string[] = [];
    for (let k = 0; k < 1_000; k++) {
      const m = MUTATIONS[k % MUTATIONS.length]!;
      const { lines: mutated, firstBad } = m.apply(lines, rnd);
      const r = verifyLines('m', mutated, checkpoints, KEY);
      if (r.ok || r.problem?.seq !== firstBad) missed.push(`${m.name}: expected seq ${firstBad}, got ${JSON.stringify(r.problem ?? 'ok')}`);
    }
    expect(missed).toEqual([]);
  }, 180_000); // 1,000 full verifications of 10,000 events: 30–60 s on two shared cores

  it('a forged checkpoint signature is refused; another key is named as the wrong key', () => {
    const forged = checkpoints.map((c) => ({ ...c, sig: c.sig.replace(/^./, (ch) => (ch === 'A' ? 'B' : 'A')) }));
    expect(verifyLines('m', asLines(lines), forged, KEY)).toMatchObject({ ok: false, problem: { reason: 'bad_checkpoint' } });
    const other = generateAuditKeyPair();
    const wrong = verifyLines('m', asLines(lines), checkpoints, { publicKey: other.publicKey });
    expect(wrong).toMatchObject({ ok: false, problem: { reason: 'wrong_key' } });
    expect(wrong.problem!.message).toContain('wrong key');
    expect(wrong.events).toBe(N); // the events are still checked and counted
  });

  it('a chain whose checkpoints cannot be checked fails unless allowUnsigned', () => {
    expect(verifyLines('m', asLines(lines), checkpoints)).toMatchObject({ ok: false, problem: { reason: 'unsigned' } });
    expect(verifyLines('m', asLines(lines), [], KEY)).toMatchObject({ ok: false, problem: { reason: 'unsigned' } });
    const allowed = verifyLines('m', asLines(lines), [], { allowUnsigned: true });
    expect(allowed.ok).toBe(true);
    expect(allowed.warnings.join()).toContain('not vouched for');
  });
});
