import { Chain } from './chain.js';
import type { AuditEvent, AuditEventBody } from './schema.js';
import type { AuditRecovery } from './sink.js';

interface Waiter {
  bodies: readonly AuditEventBody[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** What a durable sink plugs into {@link GroupCommit}. */
export interface ChainStore {
  /** Open (recover, and return the chain head and what needs closing). Retried until it succeeds. */
  open(): Promise<{ head: { seq: number; hash: string } | undefined; recovery: AuditRecovery }>;
  /** Make a linked batch durable, or throw. */
  persist(events: AuditEvent[]): Promise<void>;
  /** Store a signed checkpoint of the head (optional). */
  checkpoint?(seq: number, hash: string): Promise<void>;
  /** Checkpoint every this many events (and at close). */
  checkpointEvery: number;
}

/**
 * Group commit over a hash chain, shared by the durable sinks: writes that arrive while a batch is
 * being persisted form the next batch; each batch is linked, persisted in one go, and only then
 * committed to the chain and acknowledged. A failed batch is rolled back (no hole in the chain) and
 * every write in it rejected. Also: open once (retried after a failure), checkpoints every N
 * events (best effort: the events are durable already) and at close.
 */
export class GroupCommit {
  readonly chain: Chain;
  readonly #store: ChainStore;
  #queue: Waiter[] = [];
  #running: Promise<void> | undefined;
  #opened: Promise<AuditRecovery> | undefined;
  #sinceCheckpoint = 0;

  constructor(store: ChainStore) {
    this.#store = store;
    this.chain = new Chain();
  }

  open(): Promise<AuditRecovery> {
    return (this.#opened ??= this.#store.open().then(
      ({ head, recovery }) => {
        this.chain.reset(head);
        return recovery;
      },
      (err: unknown) => {
        this.#opened = undefined; // try again on the next write
        throw err;
      },
    ));
  }

  async close(): Promise<void> {
    await this.flush();
    if (this.#opened) {
      const head = this.chain.last;
      if (head.seq > 0) await this.#store.checkpoint?.(head.seq, head.hash).catch(() => undefined);
    }
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

  async #drain(): Promise<void> {
    const batch = this.#queue;
    this.#queue = [];
    if (batch.length === 0) return;
    try {
      await this.open();
      const events = this.chain.link(batch.flatMap((w) => w.bodies));
      await this.#store.persist(events);
      this.chain.commit();
      this.#sinceCheckpoint += events.length;
      if (this.#store.checkpoint && this.#sinceCheckpoint >= this.#store.checkpointEvery) {
        const last = events.at(-1)!;
        await this.#store.checkpoint(last.seq, last.hash).then(() => (this.#sinceCheckpoint = 0), () => undefined);
      }
      for (const w of batch) w.resolve();
    } catch (err) {
      this.chain.rollback();
      for (const w of batch) w.reject(err);
    }
  }
}

/** Intents of a chain with no outcome yet. */
export function danglingIntents(events: readonly AuditEvent[]): AuditEvent[] {
  const closed = new Set(events.filter((e) => e.type === 'lookup.outcome').map((e) => e.intentId));
  return events.filter((e) => e.type === 'lookup.intent' && !closed.has(e.eventId));
}
