import { createHmac } from 'node:crypto';
import { GENESIS, hashOf, lineHashMatches } from './chain.js';
import { checkpointId, checkSignature, NO_CHECKPOINT, parseCheckpoint, type Checkpoint, type PreparedKeys } from './checkpoint.js';
import type { AuditEvent } from './schema.js';

export type VerifyProblemReason =
  | 'unparseable' | 'altered' | 'missing' | 'reordered' | 'inserted' | 'truncated'
  | 'bad_checkpoint' | 'wrong_key' | 'unsigned' | 'deleted' | 'drift';

export interface VerifyProblem {
  /** The first sequence number that is not as it should be (0 when the problem is not at an event). */
  seq: number;
  reason: VerifyProblemReason;
  message: string;
  file?: string;
  line?: number;
}

export interface ChainReport {
  instance: string;
  ok: boolean;
  events: number;
  lastSeq: number;
  /** Checkpoints of the trail whose signature was checked and which match the events. */
  checkpoints: number;
  /** Checkpoints held by the witness for this chain (when one was given). */
  witnessed?: number;
  problem?: VerifyProblem;
  warnings: string[];
}

export interface Line {
  file: string;
  line: number;
  text: string;
  /** False for a last line without its newline (a write cut by a crash). */
  complete: boolean;
}

export interface ChainCheckOptions {
  keys: PreparedKeys;
  allowUnsigned: boolean;
  /** The witness's checkpoints of this chain. */
  witnessed?: readonly Checkpoint[] | undefined;
  /** The chain's seals (`seals.jsonl`, retention): verification may start after one whose events were pruned. */
  seals?: readonly Checkpoint[] | undefined;
}

/** A checkpoint of dancu 0.1 (HMAC over `instance|seq|hash|ts`, hex), still checked with the HMAC key. */
interface LegacyCheckpoint { instance: string; seq: number; hash: string; ts: string; sig: string }

function legacyOf(text: string): LegacyCheckpoint | undefined {
  try {
    const o = JSON.parse(text) as Record<string, unknown>;
    return o['v'] === undefined && typeof o['instance'] === 'string' && Number.isSafeInteger(o['seq']) && typeof o['hash'] === 'string' && typeof o['ts'] === 'string' && typeof o['sig'] === 'string' ? (o as unknown as LegacyCheckpoint) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Verifies one chain in one pass over its lines, holding only the checkpoints' expectations (never
 * the events): every event parses, has the next `seq`, links to the previous hash and hashes to its
 * own; every checkpoint is signed by the key given, links to the one before, and matches the event
 * at its `seq`; none (and none the witness holds) is beyond the end.
 */
export class ChainVerifier {
  readonly #instance: string;
  readonly #o: ChainCheckOptions;
  readonly #warnings: string[] = [];
  /** seq → expected hash, and who vouches for it. */
  readonly #expect = new Map<number, { hash: string; by: 'checkpoint' | 'witness' }>();
  #problem: VerifyProblem | undefined;
  #scanFor: number | undefined;
  #expected = 1;
  #prevHash = GENESIS;
  #events = 0;
  #signed = 0;
  #unchecked = 0;
  #lastCovered = 0;
  #torn = false;
  /** Where the trail's checkpoints say the writer closed the chain (no `resume` after it). */
  #closedAt: number | undefined;
  #maxResume = -1;
  /** Valid seals by seq: where verification may start (retention). */
  readonly #seals = new Map<number, Checkpoint>();
  #started = false;

  constructor(instance: string, checkpointLines: readonly Line[], o: ChainCheckOptions) {
    this.#instance = instance;
    this.#o = o;
    this.#checkpoints(checkpointLines);
    this.#sealsFrom(o);
    let witnessClosed: number | undefined;
    for (const c of o.witnessed ?? []) {
      if (c.kind === 'seal') continue; // seals are checked with the trail's own, above
      witnessClosed = c.kind === 'close' ? c.seq : c.kind === 'head' ? witnessClosed : undefined;
      const sig = checkSignature(c, o.keys);
      if (sig === 'bad' || sig === 'wrong_key') {
        this.#fail({ seq: c.seq, reason: sig === 'bad' ? 'bad_checkpoint' : 'wrong_key', message: sig === 'bad' ? `the witness holds a checkpoint (seq ${c.seq}) whose signature is invalid` : `the witness's checkpoints are signed by key ${c.kid}, not by the key given` });
      }
      if (c.kind === 'genesis') continue;
      const known = this.#expect.get(c.seq);
      if (known && known.hash !== c.hash) this.#fail({ seq: c.seq, reason: 'bad_checkpoint', message: `the trail's checkpoint at seq ${c.seq} differs from the witness's: the trail's checkpoints were rewritten` });
      this.#expect.set(c.seq, { hash: c.hash, by: 'witness' });
    }
    // The witness saw the chain closed, and the trail shows no resume since: events after it were added later.
    if (this.#closedAt === undefined && witnessClosed !== undefined && this.#maxResume < witnessClosed) this.#closedAt = witnessClosed;
  }

  /** Keep the seals that are signed (and, with a witness, witnessed); each vouches for its event's hash. */
  #sealsFrom(o: ChainCheckOptions): void {
    const witnessedIds = o.witnessed ? new Set(o.witnessed.filter((c) => c.kind === 'seal').map(checkpointId)) : undefined;
    const all = [...(o.seals ?? []), ...(o.witnessed ?? []).filter((c) => c.kind === 'seal')];
    for (const s of all) {
      if (s.instance !== this.#instance) continue;
      const sig = checkSignature(s, o.keys);
      if (sig === 'unchecked') {
        this.#warnings.push(`a seal at seq ${s.seq} could not be checked (no key of its kind given): not used`);
        continue;
      }
      if (sig !== 'ok') return this.#fail({ seq: s.seq, reason: sig === 'wrong_key' ? 'wrong_key' : 'bad_checkpoint', message: `the seal at seq ${s.seq} is not signed by the key given: forged or altered` });
      if (witnessedIds && !witnessedIds.has(checkpointId(s))) return this.#fail({ seq: s.seq, reason: 'bad_checkpoint', message: `the seal at seq ${s.seq} was never delivered to the witness: a seal made to hide deleted events?` });
      this.#seals.set(s.seq, s);
      const known = this.#expect.get(s.seq);
      if (known && known.hash !== s.hash) return this.#fail({ seq: s.seq, reason: 'bad_checkpoint', message: `the seal at seq ${s.seq} differs from the checkpoint there` });
      this.#expect.set(s.seq, { hash: s.hash, by: 'checkpoint' });
    }
  }

  #fail(p: VerifyProblem): void {
    this.#problem ??= p;
  }

  #checkpoints(lines: readonly Line[]): void {
    let prev: Checkpoint | undefined;
    let legacyOnly = true;
    let hmacBad = 0;
    let hmacAll = 0;
    lines.forEach((l, i) => {
      const last = i === lines.length - 1;
      const c = parseCheckpoint(l.text);
      if (!c) {
        const legacy = legacyOf(l.text);
        if (legacy && this.#o.keys.hmacKey) {
          const ok = createHmac('sha256', this.#o.keys.hmacKey).update(`${legacy.instance}|${legacy.seq}|${legacy.hash}|${legacy.ts}`).digest('hex') === legacy.sig;
          if (!ok) return this.#fail({ seq: legacy.seq, reason: 'bad_checkpoint', message: `checkpoint (dancu 0.1 format) at seq ${legacy.seq} has an invalid signature`, file: l.file, line: l.line });
          this.#signed++;
          this.#expect.set(legacy.seq, { hash: legacy.hash, by: 'checkpoint' });
          return;
        }
        if (legacy) return void this.#unchecked++;
        if (last && (!l.complete || l.text.trim() === '' || !l.text.endsWith('}'))) {
          this.#warnings.push(`${l.file}:${l.line}: torn last checkpoint line (${Buffer.byteLength(l.text)} bytes): a write cut by a crash`);
          return;
        }
        return this.#fail({ seq: 0, reason: 'bad_checkpoint', message: 'a checkpoint line is damaged (not a checkpoint)', file: l.file, line: l.line });
      }
      legacyOnly = false;
      const where = { file: l.file, line: l.line };
      if (c.instance !== this.#instance) return this.#fail({ seq: c.seq, reason: 'bad_checkpoint', message: `a checkpoint of instance ${c.instance} in the trail of ${this.#instance}`, ...where });
      const sig = checkSignature(c, this.#o.keys);
      if (c.alg === 'hmac-sha256' && sig !== 'unchecked') {
        hmacAll++;
        if (sig === 'bad') hmacBad++;
      }
      if (sig === 'wrong_key') return this.#fail({ seq: c.seq, reason: 'wrong_key', message: `checkpoints are signed by key ${c.kid}, not by the key given (${this.#o.keys.kid}): wrong key`, ...where });
      if (sig === 'bad' && c.alg === 'ed25519') return this.#fail({ seq: c.seq, reason: 'bad_checkpoint', message: `checkpoint at seq ${c.seq} has an invalid signature: forged or altered`, ...where });
      if (sig === 'unchecked') this.#unchecked++;
      if (sig === 'ok') this.#signed++;
      const wantPrev = prev ? checkpointId(prev) : NO_CHECKPOINT;
      if (c.prev !== wantPrev) {
        return this.#fail({ seq: c.seq, reason: 'bad_checkpoint', message: prev ? `checkpoint at seq ${c.seq} does not link to the one before it (seq ${prev.seq}): checkpoints were deleted, inserted or reordered` : `the first checkpoint (seq ${c.seq}) links to one that is not there: earlier checkpoints were deleted`, ...where });
      }
      if (prev && c.seq < prev.seq) return this.#fail({ seq: c.seq, reason: 'bad_checkpoint', message: `checkpoint at seq ${c.seq} goes back from ${prev.seq}`, ...where });
      prev = c;
      if (c.kind !== 'genesis') this.#expect.set(c.seq, { hash: c.hash, by: 'checkpoint' });
      if (c.kind === 'close') this.#closedAt = c.seq;
      else if (c.kind === 'resume' || c.kind === 'genesis') {
        this.#closedAt = undefined;
        this.#maxResume = Math.max(this.#maxResume, c.seq);
      }
    });
    if (hmacAll > 0 && hmacBad === hmacAll) {
      this.#problem = { seq: 0, reason: 'wrong_key', message: `no checkpoint verifies under the HMAC key given: wrong secret or key id (or every checkpoint was forged)` };
    } else if (hmacBad > 0) this.#fail({ seq: 0, reason: 'bad_checkpoint', message: `${hmacBad} checkpoint(s) have an invalid signature: forged or altered` });
    if (legacyOnly && lines.length > 0 && this.#unchecked > 0) this.#warnings.push('checkpoints in the dancu 0.1 format (HMAC): give the HMAC key to check them');
  }

  /** One line of the chain, in order. */
  push(l: Line): void {
    if (this.#torn) return;
    if (this.#scanFor !== undefined) {
      if (this.#problem?.reason === 'missing' && l.text.includes(`"seq":${this.#scanFor},`)) {
        this.#problem = { ...this.#problem, reason: 'reordered', message: `seq ${this.#scanFor} appears later: events were reordered` };
      }
      return;
    }
    const where = { file: l.file, line: l.line };
    const expected = this.#expected;
    if (!l.complete) {
      this.#warnings.push(`${l.file}:${l.line}: torn last line (${Buffer.byteLength(l.text)} bytes): a write cut by a crash, never acknowledged`);
      this.#torn = true;
      return;
    }
    let e: AuditEvent;
    try {
      e = JSON.parse(l.text) as AuditEvent;
    } catch {
      return this.#stop({ seq: expected, reason: 'unparseable', message: 'line is not JSON', ...where });
    }
    if (typeof e !== 'object' || e === null || !Number.isInteger(e.seq) || typeof e.hash !== 'string' || typeof e.prevHash !== 'string') {
      return this.#stop({ seq: expected, reason: 'altered', message: 'not an audit event (seq, prevHash or hash missing)', ...where });
    }
    if (!this.#started) {
      this.#started = true;
      // The events before a seal were pruned (retention): start after it.
      const seal = e.seq > 1 ? this.#seals.get(e.seq - 1) : undefined;
      if (seal) {
        this.#expected = e.seq;
        this.#prevHash = seal.hash;
        this.#lastCovered = seal.seq;
        this.#warnings.push(`starts after the seal at seq ${seal.seq} (${seal.ts}): the events before it were pruned under the retention policy`);
        return this.push(l);
      }
    }
    if (e.seq !== expected) {
      if (e.seq < expected) return this.#stop({ seq: expected, reason: 'inserted', message: `found seq ${e.seq} where ${expected} was expected (an event out of place)`, ...where });
      this.#stop({ seq: expected, reason: 'missing', message: `seq ${expected} is missing (found ${e.seq})`, ...where });
      this.#scanFor = expected;
      return;
    }
    if (lineHashMatches(l.text) !== true && hashOf(e) !== e.hash) return this.#stop({ seq: e.seq, reason: 'altered', message: 'the event does not hash to its hash: its content was changed', ...where });
    if (e.prevHash !== this.#prevHash) return this.#stop({ seq: e.seq, reason: 'altered', message: `prevHash does not match the hash of seq ${e.seq - 1}: the chain was rewritten`, ...where });
    const vouched = this.#expect.get(e.seq);
    if (vouched) {
      if (vouched.hash !== e.hash) return this.#stop({ seq: e.seq, reason: 'bad_checkpoint', message: `event ${e.seq} differs from its signed checkpoint${vouched.by === 'witness' ? ' held by the witness: the chain was rewritten after it was witnessed' : ''}`, ...where });
      this.#lastCovered = e.seq;
    }
    this.#prevHash = e.hash;
    this.#expected++;
    this.#events++;
  }

  #stop(p: VerifyProblem): void {
    this.#problem ??= p; // a checkpoint's problem, found first, is the one reported; the events are still counted
    this.#scanFor = -1; // nothing more to check; a 'missing' sets the seq to look for
  }

  end(): ChainReport {
    const lastSeq = this.#expected - 1;
    const report = (problem?: VerifyProblem): ChainReport => ({
      instance: this.#instance, ok: problem === undefined, events: this.#events, lastSeq, checkpoints: this.#signed,
      ...(this.#o.witnessed ? { witnessed: this.#o.witnessed.length } : {}), ...(problem ? { problem } : {}), warnings: this.#warnings,
    });
    if (this.#problem) return report(this.#problem);
    let beyond: { seq: number; by: string } | undefined;
    for (const [seq, v] of this.#expect) if (seq > lastSeq && (!beyond || seq > beyond.seq)) beyond = { seq, by: v.by };
    if (beyond) {
      return report({ seq: lastSeq + 1, reason: 'truncated', message: `a signed checkpoint ${beyond.by === 'witness' ? 'held by the witness ' : ''}vouches for seq ${beyond.seq}, the trail ends at ${lastSeq}: its tail was cut or rolled back` });
    }
    if (this.#closedAt !== undefined && lastSeq > this.#closedAt) {
      return report({ seq: this.#closedAt + 1, reason: 'inserted', message: `the writer closed the chain at seq ${this.#closedAt} (signed), yet ${lastSeq - this.#closedAt} event(s) follow with no signed resume: they were added afterwards` });
    }
    if (this.#events > 0 && this.#signed === 0) {
      const why = this.#unchecked > 0 ? `its ${this.#unchecked} checkpoint(s) could not be checked (no key of their kind given: --public-key, or --secret for a development trail)` : 'it has no checkpoint';
      if (!this.#o.allowUnsigned) return report({ seq: 0, reason: 'unsigned', message: `the chain is not vouched for: ${why}; a cut tail or a rewritten chain would not be seen (--allow-unsigned to accept)` });
      this.#warnings.push(`not vouched for: ${why}`);
    } else if (this.#unchecked > 0) this.#warnings.push(`${this.#unchecked} checkpoint(s) not checked (no key of their kind given)`);
    if (lastSeq > this.#lastCovered && this.#signed > 0) this.#warnings.push(`${lastSeq - this.#lastCovered} event(s) after the last checkpoint (seq ${this.#lastCovered}): vouched for by the hash chain only until the next checkpoint`);
    return report();
  }
}
