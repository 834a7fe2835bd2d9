import type { Clock } from '../internal/time.js';
import { Chain, type LinkedBatch } from './chain.js';
import { Checkpointer, type CheckpointSettings, type CheckpointStore } from './checkpointer.js';
import type { AuditEvent, AuditEventBody } from './schema.js';
import type { AuditRecovery } from './sink.js';

interface Waiter {
  bodies: readonly AuditEventBody[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** What a durable sink plugs into {@link GroupCommit}. */
export interface ChainStore {
  /** This chain's name. */
  instance: string;
  clock: Clock;
  /**
   * Open (recover, and return the chain head, what needs closing, and the chains this one took
   * over from, for its genesis). Retried until it succeeds.
   */
  open(): Promise<{ head: { seq: number; hash: string } | undefined; recovery: AuditRecovery; replaces?: string[] }>;
  /** Make a linked batch durable, or throw. */
  persist(batch: LinkedBatch): Promise<void>;
  /** Where checkpoints are kept. */
  checkpoints: CheckpointStore;
  /**
   * Called after a batch when nothing else is queued, before its writes are acknowledged: a store
   * that keeps a resource open while batches follow one another releases it here.
   */
  idle?(): Promise<void>;
}

/**
 * Group commit over a hash chain, shared by the durable sinks: writes that arrive while a batch is
 * being persisted form the next batch; each batch is linked, persisted in one go, and only then
 * committed to the chain and acknowledged. A failed batch is rolled back (no hole in the chain) and
 * every write in it rejected. Also: open once (retried after a failure), and checkpoints
 * ({@link Checkpointer}: by count, by time, at close; best effort, the events are durable already).
 */
export class GroupCommit {
  readonly chain: Chain;
  readonly #store: ChainStore;
  #queue: Waiter[] = [];
  #running: Promise<void> | undefined;
  #opened: Promise<AuditRecovery> | undefined;
  #settings: CheckpointSettings;
  #checkpointer: Checkpointer | undefined;

  constructor(store: ChainStore, settings: CheckpointSettings) {
    this.#store = store;
    this.#settings = { ...settings };
    this.chain = new Chain();
  }

  /** Fill in the checkpoint settings the sink's own options left out (before the first open). */
  useCheckpoints(s: CheckpointSettings): void {
    if (this.#opened) return;
    const merged: Record<string, unknown> = { ...this.#settings };
    for (const [k, v] of Object.entries(s)) if (merged[k] === undefined && v !== undefined) merged[k] = v;
    this.#settings = merged as CheckpointSettings;
  }

  open(): Promise<AuditRecovery> {
    return (this.#opened ??= this.#store.open().then(
      async ({ head, recovery, replaces }) => {
        const cp = new Checkpointer(this.#store.instance, this.#store.checkpoints, this.#settings, this.#store.clock);
        await cp.open(head, replaces ?? []);
        this.#checkpointer = cp;
        this.chain.reset(head);
        return recovery;
      },
    ).catch((err: unknown) => {
      this.#opened = undefined; // try again on the next write
      throw err;
    }));
  }

  /** Flush, checkpoint the head, deliver to the witness. Returns checkpoints the witness has not acknowledged. */
  async close(): Promise<number> {
    await this.flush();
    return (await this.#checkpointer?.close()) ?? 0;
  }

  /** Whether `open` ever succeeded (or is under way). */
  get opened(): boolean {
    return this.#opened !== undefined;
  }

  write(bodies: readonly AuditEventBody[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ bodies, resolve, reject });
      this.#kick();
    });
  }

  async flush(): Promise<void> {
    while (this.#running || this.#queue.length > 0) {
      if (!this.#running) this.#kick();
      await this.#running;
    }
  }

  #kick(): void {
    if (this.#running) return;
    this.#running = this.#drain().finally(() => {
      this.#running = undefined;
      if (this.#queue.length > 0) this.#kick();
    });
  }

  /**
   * Persist batches until the queue is empty. The next batch is linked and handed to the store
   * *before* the writes of the previous one are acknowledged: the callers released by an
   * acknowledgement then do their work while the store persists the next batch, instead of the
   * process and the disk taking turns. Acknowledgements are released a few at a time (see
   * {@link acknowledge}), so that the batches stay even.
   */
  async #drain(): Promise<void> {
    let settle: (() => void) | undefined;
    while (this.#queue.length > 0) {
      const batch = this.#queue;
      this.#queue = [];
      let outcome: Promise<void>;
      try {
        await this.open();
        this.#checkpointer?.admit();
        const linked = this.chain.linkLines(batch.length === 1 ? batch[0]!.bodies : batch.flatMap((w) => w.bodies));
        outcome = this.#store.persist(linked).then(() => this.#committed(linked));
      } catch (err) {
        outcome = Promise.reject(err);
      }
      settle?.(); // the previous batch: acknowledged now that this one is on its way
      settle = undefined;
      try {
        await outcome;
        if (this.#queue.length === 0) await this.#store.idle?.();
        settle = () => acknowledge(batch);
      } catch (err) {
        this.chain.rollback();
        await this.#store.idle?.().catch(() => undefined);
        for (const w of batch) w.reject(err);
      }
    }
    settle?.();
  }

  async #committed(linked: LinkedBatch): Promise<void> {
    this.chain.commit();
    const n = linked.hashes.length;
    if (n > 0) await this.#checkpointer?.committed(linked.firstSeq + n - 1, linked.hashes[n - 1]!, n).catch(() => undefined);
  }
}

/** Waiters acknowledged per turn of the event loop: a whole batch at once starves the next batch (docs/benchmarks.md). */
const ACK_CHUNK = 16;

/**
 * Resolve the writes of a durable batch, {@link ACK_CHUNK} per turn of the event loop. The callers
 * a resolution releases run their next steps at once, in one stretch of microtasks; releasing a
 * whole batch of 64 that way keeps the store's completion of the batch in flight waiting behind
 * them, so the next batch forms from one straggler while 63 calls wait for the one after: batches
 * of 1 and 63 in turn, and the process idle while the big one syncs. A few at a time, the
 * completions interleave and the batches stay even.
 */
function acknowledge(batch: readonly Waiter[], from = 0): void {
  const to = Math.min(batch.length, from + ACK_CHUNK);
  for (let i = from; i < to; i++) batch[i]!.resolve();
  if (to < batch.length) nextTurn(acknowledge, batch, to);
}

/**
 * The real `setImmediate`, taken when this module loads: a test that fakes timers afterwards
 * (vitest and Jest fake `setImmediate` by default) must not leave acknowledged writes unresolved.
 */
const nextTurn = setImmediate;

/** Intents of a chain with no outcome yet. */
export function danglingIntents(events: readonly AuditEvent[]): AuditEvent[] {
  const closed = new Set(events.filter((e) => e.type === 'lookup.outcome').map((e) => e.intentId));
  return events.filter((e) => e.type === 'lookup.intent' && !closed.has(e.eventId));
}
