import { mkdir, open, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../errors.js';
import { readTail } from '../internal/tail.js';
import { checkpointId, checkpointLine, isCheckpoint, parseCheckpoint, type Checkpoint } from './checkpoint.js';

/**
 * An independent, append-only copy of the checkpoints, kept where the writer cannot rewrite it
 * (another mount or host, an INSERT-only table, an auditor's HTTP endpoint). It is what turns "the
 * trail verifies" into "the trail is the one that was written": a cut tail, a rollback or a deleted
 * chain no longer matches what the witness holds.
 *
 * Rules every witness applies (see {@link witnessAccepts}): per instance, a checkpoint is taken if
 * its `seq` is not behind the last one held; the same checkpoint again is a no-op (a retried
 * delivery); one behind, or another hash at the same `seq`, is refused (a rollback or a fork).
 * Seals (retention) are kept beside the heads and never count as one.
 */
export interface CheckpointWitness {
  /** Record a checkpoint durably; reject if it could not be, or if the witness refuses it. */
  submit(c: Checkpoint): Promise<void>;
  /** The last checkpoint held for `instance`. */
  head(instance: string): Promise<Checkpoint | undefined>;
  /** The instances the witness knows (every chain ever announced to it). */
  instances(): Promise<string[]>;
  /** Every checkpoint held for `instance`, in the order received. */
  list(instance: string): Promise<Checkpoint[]>;
  close?(): Promise<void>;
}

/** Why a witness refused a checkpoint. */
export class WitnessRefusal extends Error {
  constructor(readonly reason: 'rollback' | 'fork' | 'invalid', message: string) {
    super(message);
    this.name = 'WitnessRefusal';
  }
}

/** The witness rule: `'append'`, `'duplicate'` (already held) or a refusal. */
export function witnessAccepts(head: Checkpoint | undefined, c: Checkpoint): 'append' | 'duplicate' | WitnessRefusal {
  if (!isCheckpoint(c) || (head !== undefined && !isCheckpoint(head))) {
    return new WitnessRefusal('invalid', 'not a checkpoint');
  }
  if (c.kind === 'seal') return 'append'; // retention: not a head (a copy it holds is found by its id)
  if (!head) return 'append';
  if (checkpointId(head) === checkpointId(c)) return 'duplicate';
  if (c.seq < head.seq) return new WitnessRefusal('rollback', `instance ${c.instance}: checkpoint at seq ${c.seq} is behind the witnessed head ${head.seq}`);
  if (c.seq === head.seq && c.hash !== head.hash) return new WitnessRefusal('fork', `instance ${c.instance}: another hash at the witnessed seq ${c.seq}`);
  return 'append';
}

const INSTANCE = /^[A-Za-z0-9._-]{1,128}$/;

/**
 * A witness in a directory: one append-only file per instance (`<instance>.jsonl`), each line
 * fsynced. Put it where the writer's account cannot rewrite it: another host's mount, or a
 * directory whose files are append-only (`chattr +a`). `dancu audit witness` serves one over HTTP.
 */
export class DirectoryWitness implements CheckpointWitness {
  readonly #dir: string;
  readonly #heads = new Map<string, Checkpoint | undefined>();
  #queue: Promise<unknown> = Promise.resolve();

  constructor(directory: string) {
    if (typeof directory !== 'string' || directory === '') {
      throw new ConfigError([{ path: 'DirectoryWitness.directory', received: typeof directory, message: 'must be a directory path', fix: 'pass the witness directory (another mount or host)' }]);
    }
    this.#dir = directory;
  }

  #file(instance: string): string {
    if (!INSTANCE.test(instance)) throw new WitnessRefusal('invalid', 'instance must be 1–128 of [A-Za-z0-9._-]');
    return join(this.#dir, `${instance}.jsonl`);
  }

  submit(c: Checkpoint): Promise<void> {
    // One submission at a time: the check and the append are one step.
    const run = this.#queue.then(() => this.#submit(c));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #submit(c: Checkpoint): Promise<void> {
    if (!isCheckpoint(c)) throw new WitnessRefusal('invalid', 'not a checkpoint');
    const path = this.#file(c.instance);
    const verdict = witnessAccepts(await this.head(c.instance), c);
    if (verdict === 'duplicate') return;
    if (c.kind === 'seal' && (await this.list(c.instance)).some((x) => checkpointId(x) === checkpointId(c))) return;
    if (verdict instanceof WitnessRefusal) throw verdict;
    await mkdir(this.#dir, { recursive: true });
    const fh = await open(path, 'a', 0o640);
    try {
      await fh.write(`${checkpointLine(c)}\n`);
      await fh.datasync();
    } finally {
      await fh.close();
    }
    if (c.kind !== 'seal') this.#heads.set(c.instance, c);
  }

  async head(instance: string): Promise<Checkpoint | undefined> {
    if (this.#heads.has(instance)) return this.#heads.get(instance);
    const tail = await readTail(this.#file(instance));
    let head = tail?.lastLine === undefined ? undefined : parseCheckpoint(tail.lastLine);
    if (head?.kind === 'seal') head = (await this.list(instance)).filter((c) => c.kind !== 'seal').at(-1);
    this.#heads.set(instance, head);
    return head;
  }

  async instances(): Promise<string[]> {
    const names = await readdir(this.#dir).catch(() => [] as string[]);
    return names.filter((n) => n.endsWith('.jsonl')).map((n) => n.slice(0, -'.jsonl'.length)).filter((n) => INSTANCE.test(n)).sort();
  }

  async list(instance: string): Promise<Checkpoint[]> {
    const text = await readFile(this.#file(instance), 'utf8').catch(() => '');
    return text.split('\n').flatMap((l) => {
      const c = l === '' ? undefined : parseCheckpoint(l);
      return c ? [c] : [];
    });
  }
}

/** A witness delivery problem, as the trail records it (`guard.alert`, guard `audit.witness`). */
export interface WitnessProblem {
  /** Checkpoints not yet delivered. */
  pending: number;
  /** Time since the oldest of them was made. */
  lagMs: number;
  /** `unreachable` (retried), `refused` (the witness holds a later or different head: a rollback or fork). */
  reason: 'unreachable' | 'refused';
  message: string;
}

/**
 * Delivers checkpoints to a witness in order, retrying with backoff (250 ms doubling to 30 s) while
 * it is down; a failure is reported at once and then at most once a minute, a refusal every time.
 * The writer never waits for it: `Checkpointer.admit` refuses writes on {@link lagMs} when
 * `witnessMaxLagMs` is set.
 */
export class WitnessRelay {
  readonly #witness: CheckpointWitness;
  readonly #now: () => number;
  readonly #onProblem: ((p: WitnessProblem) => void) | undefined;
  readonly #pending: Array<{ c: Checkpoint; at: number }> = [];
  #running: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #backoff = 250;
  #lastReport = -Infinity;
  #closed = false;

  constructor(witness: CheckpointWitness, now: () => number, onProblem?: (p: WitnessProblem) => void) {
    this.#witness = witness;
    this.#now = now;
    this.#onProblem = onProblem;
  }

  enqueue(c: Checkpoint): void {
    this.#pending.push({ c, at: this.#now() });
    this.#kick();
  }

  /** Age of the oldest checkpoint not yet delivered (0 when none). */
  lagMs(): number {
    const first = this.#pending[0];
    return first ? Math.max(0, this.#now() - first.at) : 0;
  }

  get pending(): number {
    return this.#pending.length;
  }

  #kick(): void {
    if (this.#running || this.#timer || this.#closed) return;
    this.#running = this.#deliver().finally(() => (this.#running = undefined));
  }

  async #deliver(): Promise<void> {
    while (this.#pending.length > 0) {
      const { c } = this.#pending[0]!;
      try {
        await this.#witness.submit(c);
        this.#pending.shift();
        this.#backoff = 250;
      } catch (err) {
        const refused = err instanceof WitnessRefusal || (err as { reason?: unknown }).reason === 'rollback' || (err as { reason?: unknown }).reason === 'fork';
        if (this.#now() - this.#lastReport >= 60_000 || refused) {
          this.#lastReport = this.#now();
          this.#onProblem?.({ pending: this.#pending.length, lagMs: this.lagMs(), reason: refused ? 'refused' : 'unreachable', message: String((err as Error).message ?? err).slice(0, 300) });
        }
        if (this.#closed) return;
        this.#timer = setTimeout(() => {
          this.#timer = undefined;
          this.#kick();
        }, this.#backoff);
        this.#timer.unref();
        this.#backoff = Math.min(30_000, this.#backoff * 2);
        return;
      }
    }
  }

  /** Deliver what is pending, giving up after `timeoutMs`; stop retrying. Returns what is still pending. */
  async close(timeoutMs = 5_000): Promise<number> {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#kick();
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.#running, new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    return this.#pending.length;
  }
}
