import { createPublicKey } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ValidationError } from '../errors.js';
import { readTail } from '../internal/tail.js';
import { checkpointId, checkpointLine, checkpointSigner, NO_CHECKPOINT, parseCheckpoint, signCheckpoint, type Checkpoint } from './checkpoint.js';
import { appendDurably, JsonlAuditSink } from './jsonl-sink.js';
import { readSeals, verifyDirectory } from './verify.js';
import { toVietnamIso } from '../internal/time.js';
import type { CheckpointWitness } from './witness.js';
import type { KeyObject } from 'node:crypto';

const DAY = /^\d{4}-\d{2}-\d{2}$/;
/** The Vietnam day of a day file (`…/2026-11-23.jsonl` → `2026-11-23`). */
const dayOf = (file: string) => file.slice(-16, -6);
const badArg = (path: string, message: string) => new ValidationError('ERR_INPUT_INVALID', path, 'invalid_argument', message);


async function chainDirs(trail: string): Promise<Array<{ instance: string; dir: string }>> {
  const names = await readdir(trail).catch(() => {
    throw badArg('directory', `no audit trail directory at ${JSON.stringify(String(trail))}`);
  });
  const out: Array<{ instance: string; dir: string }> = [];
  for (const name of names.sort()) {
    if ((await JsonlAuditSink.dayFiles(join(trail, name))).length > 0) out.push({ instance: name, dir: join(trail, name) });
  }
  return out;
}

/** What `sealTrail` did for one chain. */
export interface SealResult {
  instance: string;
  /** The seal written (the chain head at the end of the last day before `before`), if any. */
  seal?: Checkpoint;
  /** Why not. */
  skipped?: string;
}

/**
 * Retention, step 1 (`dancu audit seal --before DATE`): for each chain of a JSONL trail, verify it
 * with the signing key's public half, then write a signed `seal` — the chain head at the end of
 * its last day file before `before` — to the chain's `seals.jsonl` and to the witness. After that,
 * `pruneTrail` may delete those day files and `verify` starts at the seal.
 */
export async function sealTrail(trail: string, before: string, options: { signingKey: string | Buffer | KeyObject; witness?: CheckpointWitness }): Promise<SealResult[]> {
  if (typeof before !== 'string' || !DAY.test(before)) throw badArg('before', 'must be a Vietnam day, YYYY-MM-DD');
  const signer = checkpointSigner({ privateKey: options.signingKey });
  const publicKey = createPublicKey(options.signingKey); // a private key (PEM or KeyObject) gives its public half
  const out: SealResult[] = [];
  for (const { instance, dir } of await chainDirs(trail)) {
    const old = (await JsonlAuditSink.dayFiles(dir)).filter((f) => dayOf(f) < before);
    if (old.length === 0) {
      out.push({ instance, skipped: `no day file before ${before}` });
      continue;
    }
    const [report] = await verifyDirectory(dir, { publicKey, ...(options.witness ? { witness: options.witness } : {}) });
    if (!report?.ok) {
      out.push({ instance, skipped: `the chain does not verify (${report?.problem?.reason}: ${report?.problem?.message}); not sealed` });
      continue;
    }
    const tail = await readTail(old.at(-1)!);
    const last = tail?.lastLine === undefined ? undefined : (JSON.parse(tail.lastLine) as { seq: number; hash: string });
    if (!last) {
      out.push({ instance, skipped: 'the last day file before the date is empty' });
      continue;
    }
    const seals = await readSeals(dir);
    if (seals.some((s) => s.seq >= last.seq)) {
      out.push({ instance, skipped: `already sealed at seq ${Math.max(...seals.map((s) => s.seq))}` });
      continue;
    }
    const cps = await readTail(join(dir, 'checkpoints.jsonl'));
    const lastCp = cps?.lastLine === undefined ? undefined : parseCheckpoint(cps.lastLine);
    const seal = signCheckpoint(signer, { kind: 'seal', instance, seq: last.seq, hash: last.hash, ts: toVietnamIso(Date.now()), prev: lastCp ? checkpointId(lastCp) : NO_CHECKPOINT });
    await appendDurably(join(dir, 'seals.jsonl'), checkpointLine(seal));
    await options.witness?.submit(seal);
    out.push({ instance, seal });
  }
  return out;
}

/**
 * Retention, step 2 (`dancu audit prune --before DATE`): delete the day files before `before`
 * whose every event a seal covers. Nothing unsealed is ever deleted. Returns the files deleted.
 */
export async function pruneTrail(trail: string, before: string): Promise<string[]> {
  if (typeof before !== 'string' || !DAY.test(before)) throw badArg('before', 'must be a Vietnam day, YYYY-MM-DD');
  const deleted: string[] = [];
  for (const { dir } of await chainDirs(trail)) {
    const sealed = Math.max(0, ...(await readSeals(dir)).map((s) => s.seq));
    for (const f of (await JsonlAuditSink.dayFiles(dir)).filter((f) => dayOf(f) < before)) {
      const tail = await readTail(f);
      const seq = tail?.lastLine === undefined ? Infinity : (JSON.parse(tail.lastLine) as { seq: number }).seq;
      if (seq > sealed) break; // this file and the later ones are not covered
      await rm(f);
      deleted.push(f);
    }
  }
  return deleted;
}

/** The oldest day (YYYY-MM-DD) still in a JSONL trail, for the maximum-retention check. */
export async function oldestDay(trail: string): Promise<string | undefined> {
  let oldest: string | undefined;
  for (const { dir } of await chainDirs(trail)) {
    const files = await JsonlAuditSink.dayFiles(dir);
    const first = files[0] && dayOf(files[0]);
    if (first && (!oldest || first < oldest)) oldest = first;
  }
  return oldest;
}
