import { Chain } from './chain.js';
import type { AuditEvent, AuditEventBody } from './schema.js';

interface Waiter {
  bodies: readonly AuditEventBody[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit over a hash chain, shared by the durable sinks: writes that arrive while a batch is
 * being persisted form the next batch; each batch is linked, persisted in one go, and only then
 * committed to the chain and acknowledged. A failed batch is rolled back (no hole in the chain) and
 * every write in it rejected.
 */
export class GroupCommit {
  chain = new Chain();
  readonly #persist: (events: AuditEvent[]) => Promise<void>;
  #queue: Waiter[] = [];
  #running: Promise<void> | undefined;

  /** `persist` must make the events durable or throw; `before` runs first in every batch (e.g. open). */
  constructor(persist: (events: AuditEvent[]) => Promise<void>, readonly before: () => Promise<unknown> = async () => undefined) {
    this.#persist = persist;
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
      await this.before();
      const events = this.chain.link(batch.flatMap((w) => w.bodies));
      await this.#persist(events);
      this.chain.commit();
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
