import { canonicalJson, sha256Hex } from '../internal/canonical.js';
import { canonicalEventJson } from './event-json.js';
import type { AuditEvent, AuditEventBody } from './schema.js';

/** `prevHash` of the first event of a chain. */
export const GENESIS = '0'.repeat(64);

/**
 * One line of a trail: the canonical JSON of the event without `hash`, with `"hash"` appended last.
 * A verifier can then check a line by hashing its own text (no re-serialisation), and a line that a
 * tool re-serialised still verifies through `hashOf`.
 */
function lineOf(canonical: string, hash: string): string {
  return `${canonical.slice(0, -1)},"hash":"${hash}"}`;
}

/**
 * A batch linked onto a chain, as a durable sink stores it: event `i` is `bodies[i]` with
 * `seq = firstSeq + i`, `prevHash` (for `i > 0`, `hashes[i - 1]`) and `hashes[i]`; `lines[i]` is its
 * line (`lineOf`: canonical JSON, then `"hash"`). No event object is built: a sink that stores lines needs none.
 */
export interface LinkedBatch {
  bodies: readonly AuditEventBody[];
  firstSeq: number;
  prevHash: string;
  hashes: string[];
  lines: string[];
}

const LINE_END = /,"ts":"([^"]{10,40})","type":"([a-z.]{1,40})","v":\d{1,3},"hash":"[0-9a-f]{64}"\}$/;

/**
 * The time, and for an intent its `eventId` or for an outcome its `intentId`, of a line as this
 * writer writes it (read from its last members in canonical order, and the id where it occurs once);
 * `undefined` for any other line, which is then parsed in full.
 */
export function glance(line: string): { at: number; intent?: string; outcomeOf?: string } | undefined {
  const m = LINE_END.exec(line.length > 200 ? line.slice(-200) : line);
  if (!m) return undefined;
  const at = Date.parse(m[1]!);
  if (Number.isNaN(at)) return undefined;
  if (m[2] === 'lookup.intent') return withId(line, '"eventId":"', (intent) => ({ at, intent }));
  if (m[2] === 'lookup.outcome') return withId(line, '"intentId":"', (outcomeOf) => ({ at, outcomeOf }));
  return { at };
}

function withId<T>(line: string, key: string, make: (id: string) => T): T | undefined {
  const i = line.indexOf(key);
  if (i === -1 || i !== line.lastIndexOf(key)) return undefined;
  const end = line.indexOf('"', i + key.length);
  const id = line.slice(i + key.length, end);
  return end === -1 || id === '' || id.includes('\\') ? undefined : make(id);
}

/** The hash a line claims, when its text hashes to it as written (the fast path of verification). */
export function lineHashMatches(text: string): boolean | undefined {
  const m = /,"hash":"([0-9a-f]{64})"\}$/.exec(text);
  if (!m) return undefined;
  return sha256Hex(`${text.slice(0, m.index)}}`) === m[1];
}

/** sha256 over the canonical JSON of the event without its own `hash` (so `prevHash` and `seq` are covered). */
export function hashOf(event: Omit<AuditEvent, 'hash'> & { hash?: string }): string {
  const { hash: _drop, ...rest } = event;
  void _drop;
  return sha256Hex(canonicalJson(rest));
}

/**
 * The hash chain of one writer: assigns `seq`, `prevHash`, `hash`. Links are provisional until
 * `commit` (after the sink made them durable); `rollback` forgets links that failed to persist, so
 * the chain never has a hole.
 */
export class Chain {
  #seq: number;
  #hash: string;
  #pending: { seq: number; hash: string } | undefined;

  constructor(last?: { seq: number; hash: string }) {
    this.#seq = last?.seq ?? 0;
    this.#hash = last?.hash ?? GENESIS;
  }

  /** Continue after `head` (what a sink found when it opened). */
  reset(head?: { seq: number; hash: string }): void {
    this.#seq = head?.seq ?? 0;
    this.#hash = head?.hash ?? GENESIS;
    this.#pending = undefined;
  }

  get last(): { seq: number; hash: string } {
    return { seq: this.#seq, hash: this.#hash };
  }

  /** Link a batch after the committed head (or after the previous provisional batch). */
  link(bodies: readonly AuditEventBody[]): AuditEvent[] {
    const b = this.linkLines(bodies);
    // Object.assign, not `{ ...body, seq }`: the same result, cheaper in V8 (`node bench/micro.mjs`).
    return bodies.map((body, i) => Object.assign({}, body, { seq: b.firstSeq + i, prevHash: i === 0 ? b.prevHash : b.hashes[i - 1]!, hash: b.hashes[i]! }));
  }

  /** {@link link} for a sink that stores lines: hashes and lines, no event objects. */
  linkLines(bodies: readonly AuditEventBody[]): LinkedBatch {
    const start = this.#pending ?? { seq: this.#seq, hash: this.#hash };
    const hashes: string[] = [];
    const lines: string[] = [];
    let prevHash = start.hash;
    for (let i = 0; i < bodies.length; i++) {
      const canonical = canonicalEventJson(bodies[i]!, start.seq + 1 + i, prevHash); // = hashOf(event)'s input
      prevHash = sha256Hex(canonical);
      hashes.push(prevHash);
      lines.push(lineOf(canonical, prevHash));
    }
    this.#pending = { seq: start.seq + bodies.length, hash: prevHash };
    return { bodies, firstSeq: start.seq + 1, prevHash: start.hash, hashes, lines };
  }

  commit(): void {
    if (this.#pending) ({ seq: this.#seq, hash: this.#hash } = this.#pending);
    this.#pending = undefined;
  }

  rollback(): void {
    this.#pending = undefined;
  }
}
