import { toVietnamIso, type Clock } from '../internal/time.js';
import { checkpointId, NO_CHECKPOINT, signCheckpoint, type Checkpoint, type CheckpointSigner } from './checkpoint.js';
import { WitnessRelay, type CheckpointWitness, type WitnessProblem } from './witness.js';

/**
 * How a durable sink checkpoints its chain. The client passes these to whatever sink it is given
 * (`AuditSink.useCheckpoints`); a sink's own constructor options take precedence.
 */
export interface CheckpointSettings {
  /** Signs checkpoints (`checkpointSigner`). Without it no checkpoint is written, and `verify` fails the chain unless told `allowUnsigned`. */
  signer?: CheckpointSigner | undefined;
  /** Where checkpoints are also delivered (`DirectoryWitness`, `HttpWitness`, `PostgresWitness`). */
  witness?: CheckpointWitness | undefined;
  /** A checkpoint every this many events. Default `1000`. */
  every?: number | undefined;
  /** And at most this long after an event that no checkpoint covers yet. Default `60000`. */
  intervalMs?: number | undefined;
  /** Refuse writes (calls fail closed) while the witness lags by more than this. Default: never (the lag is audited). */
  witnessMaxLagMs?: number | undefined;
  /** Called when the witness is unreachable or refuses (the client records a `guard.alert`). */
  onWitnessProblem?: ((p: WitnessProblem) => void) | undefined;
}

/** The storage side a sink gives the checkpointer. */
export interface CheckpointStore {
  /** The last checkpoint stored locally (read from the end, bounded). */
  lastCheckpoint(): Promise<Checkpoint | undefined>;
  /** Store a checkpoint durably. */
  appendCheckpoint(c: Checkpoint): Promise<void>;
  /** Record a new chain in the trail's registry (the manifest). */
  announce?(genesis: Checkpoint): Promise<void>;
}

/** An error the sink raises on purpose: `ERR_AUDIT_UNAVAILABLE` with this reason. */
export class AuditIntegrityError extends Error {
  constructor(readonly reason: 'rollback' | 'witness_lag', message: string) {
    super(message);
    this.name = 'AuditIntegrityError';
  }
}

/**
 * Checkpoints of one chain: a genesis when the chain starts, a `head` every N events or T ms after
 * an uncovered event, and at close; each linked to the one before, stored locally and relayed to the
 * witness. At open it refuses a trail that is behind its own last checkpoint or behind the
 * witness's (a rollback): a writer must never reuse sequence numbers.
 */
export class Checkpointer {
  readonly #instance: string;
  readonly #store: CheckpointStore;
  readonly #s: CheckpointSettings;
  readonly #clock: Clock;
  readonly #relay: WitnessRelay | undefined;
  #last: Checkpoint | undefined;
  #since = 0;
  #head = { seq: 0, hash: NO_CHECKPOINT };
  #timer: NodeJS.Timeout | undefined;
  #queue: Promise<void> = Promise.resolve();

  constructor(instance: string, store: CheckpointStore, settings: CheckpointSettings, clock: Clock) {
    this.#instance = instance;
    this.#store = store;
    this.#s = settings;
    this.#clock = clock;
    this.#relay = settings.witness && settings.signer ? new WitnessRelay(settings.witness, clock, settings.onWitnessProblem) : undefined;
  }

  /** After the sink found its head: check for a rollback, then start the chain (genesis) if it is new. */
  async open(head: { seq: number; hash: string } | undefined, replaces: readonly string[]): Promise<void> {
    const seq = head?.seq ?? 0;
    this.#head = head ?? { seq: 0, hash: NO_CHECKPOINT };
    const last = await this.#store.lastCheckpoint();
    if (last && (last.seq > seq || (last.seq === seq && last.kind !== 'genesis' && last.hash !== this.#head.hash))) {
      throw new AuditIntegrityError('rollback', `the trail of ${this.#instance} ends at seq ${seq}, but its own signed checkpoint vouches for seq ${last.seq}: it was cut or rolled back; refusing to reuse sequence numbers (restore the trail, or start a new instance)`);
    }
    const witnessed = this.#s.witness ? await this.#s.witness.head(this.#instance).catch(() => undefined) : undefined;
    if (witnessed && (witnessed.seq > seq || !last || last.seq < witnessed.seq)) {
      throw new AuditIntegrityError('rollback', `the trail of ${this.#instance} is behind its witness (witnessed seq ${witnessed.seq}, local seq ${seq}${last ? `, local checkpoint ${last.seq}` : ', no local checkpoint'}): it was cut or rolled back; refusing to continue`);
    }
    this.#last = last;
    if (!this.#s.signer) return;
    if (!head && !last) await this.#write('genesis', { seq: 0, hash: NO_CHECKPOINT }, replaces);
    // A chain continued (after a close or a crash) says so: events after a `close` need this signature.
    else if (head) await this.#write('resume', this.#head);
  }

  /** Fail closed on a lagging witness, when configured. */
  admit(): void {
    const max = this.#s.witnessMaxLagMs;
    if (max !== undefined && this.#relay && this.#relay.lagMs() > max) {
      throw new AuditIntegrityError('witness_lag', `the audit witness has not acknowledged a checkpoint for ${this.#relay.lagMs()} ms (limit ${max} ms, ${this.#relay.pending} pending)`);
    }
  }

  /** A batch was committed: checkpoint by count now, or by time later. */
  committed(seq: number, hash: string, n: number): Promise<void> {
    this.#head = { seq, hash };
    if (!this.#s.signer || n === 0) return Promise.resolve();
    this.#since += n;
    if (this.#since >= (this.#s.every ?? 1000)) return this.#headCheckpoint();
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      void this.#headCheckpoint().catch(() => undefined);
    }, this.#s.intervalMs ?? 60_000);
    this.#timer.unref();
    return Promise.resolve();
  }

  /** Checkpoint the head if any event is not covered yet (by count, by time, at close). */
  #headCheckpoint(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#last && this.#last.seq >= this.#head.seq) return Promise.resolve();
    this.#since = 0;
    return this.#write('head', this.#head);
  }

  /** Sign, store, relay, one at a time (each links to the one before). Best effort: the events are durable already. */
  #write(kind: Checkpoint['kind'], at: { seq: number; hash: string }, replaces: readonly string[] = []): Promise<void> {
    const run = this.#queue.then(async () => {
      if (kind === 'head' && this.#last && this.#last.seq >= at.seq) return;
      if (kind === 'close' && this.#last?.kind === 'close' && this.#last.seq === at.seq) return;
      const c = signCheckpoint(this.#s.signer!, {
        kind, instance: this.#instance, seq: at.seq, hash: at.hash, ts: toVietnamIso(this.#clock()),
        prev: this.#last ? checkpointId(this.#last) : NO_CHECKPOINT, ...(replaces.length > 0 ? { replaces: [...replaces] } : {}),
      });
      await this.#store.appendCheckpoint(c);
      this.#last = c;
      if (kind === 'genesis') await this.#store.announce?.(c);
      this.#relay?.enqueue(c);
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** At close: a `close` checkpoint of the head, delivered to the witness (bounded wait). Returns checkpoints still undelivered. */
  async close(): Promise<number> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#s.signer) await this.#write('close', this.#head).catch(() => undefined);
    await this.#queue;
    return (await this.#relay?.close()) ?? 0;
  }
}
