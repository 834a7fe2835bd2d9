import { ConfigError } from '../errors.js';
import { Chain } from './chain.js';
import type { CheckpointSettings } from './checkpointer.js';
import type { AuditEvent, AuditEventBody } from './schema.js';

/** What a durable sink found when it opened: a torn tail it sealed, intents that never got an outcome. */
export interface AuditRecovery {
  /** Bytes of an unfinished last line (a write cut by a crash) that were cut off. */
  tornBytes: number;
  /** `lookup.intent` events of this writer's chain with no `lookup.outcome`. */
  danglingIntents: AuditEvent[];
}

/**
 * Where audit events go. `write` resolves only once the events are durable (for a durable sink):
 * the client does not send a request before its intent is acknowledged. Sinks chain events
 * themselves (`seq`, `prevHash`, `hash`), so a failed write never leaves a hole in the chain.
 */
export interface AuditSink {
  /** Persist a batch; resolve when durable, reject if it could not be. */
  write(events: readonly AuditEventBody[]): Promise<void>;
  /** Resolve when everything written so far is durable. */
  flush(): Promise<void>;
  /** Flush, write a final checkpoint where supported, release resources. */
  close(): Promise<void>;
  /** Open and recover (seal a torn tail, find dangling intents). Called once before the first write. */
  open?(): Promise<AuditRecovery>;
  /** `false` for diagnostic copies (pino) whose loss does not stop calls. Default `true`. */
  readonly durable?: boolean;
  /**
   * The client's checkpoint settings (signer, witness, intervals), given before `open`: a sink
   * uses them for whatever its own options left out. A durable sink without this method gets no
   * signing key, and the client warns (`DANCU_AUDIT_UNSIGNED`).
   */
  useCheckpoints?(settings: CheckpointSettings): void;
}

/** Events in memory, chained, for tests. */
export class MemoryAuditSink implements AuditSink {
  readonly events: AuditEvent[] = [];
  readonly #chain = new Chain();
  /** Set to an error to make every write fail (simulate a sink that is down). */
  failWith: Error | undefined;

  async write(bodies: readonly AuditEventBody[]): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.events.push(...this.#chain.link(bodies));
    this.#chain.commit();
  }

  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}

/**
 * Several sinks at once: a write is acknowledged when every durable sink acknowledged it.
 * Non-durable sinks (diagnostic copies) are written too, but their failures are ignored.
 */
export class FanOutAuditSink implements AuditSink {
  readonly #sinks: readonly AuditSink[];

  constructor(sinks: readonly AuditSink[]) {
    const ok = Array.isArray(sinks) && sinks.length > 0 && Array.from(sinks, (x) => typeof (x as AuditSink | null)?.write === 'function' && typeof (x as AuditSink).close === 'function').every(Boolean);
    if (!ok) {
      throw new ConfigError([{ path: 'audit.sink', received: Array.isArray(sinks) ? 'array' : typeof sinks, message: 'FanOutAuditSink takes a non-empty array of sinks { write, close }', fix: 'pass e.g. new FanOutAuditSink([jsonlSink, postgresSink])' }]);
    }
    this.#sinks = [...sinks];
  }

  useCheckpoints(settings: CheckpointSettings): void {
    for (const s of this.#sinks) s.useCheckpoints?.(settings);
  }

  async open(): Promise<AuditRecovery> {
    const recs = await Promise.all(this.#sinks.map((s) => s.open?.() ?? Promise.resolve({ tornBytes: 0, danglingIntents: [] })));
    const seen = new Set<string>();
    const dangling = recs.flatMap((r) => r.danglingIntents).filter((e) => !seen.has(e.eventId) && seen.add(e.eventId));
    return { tornBytes: recs.reduce((n, r) => n + r.tornBytes, 0), danglingIntents: dangling };
  }

  async write(events: readonly AuditEventBody[]): Promise<void> {
    await Promise.all(
      this.#sinks.map((s) => (s.durable === false ? s.write(events).catch(() => undefined) : s.write(events))),
    );
  }

  async flush(): Promise<void> {
    await Promise.all(this.#sinks.map((s) => s.flush()));
  }

  async close(): Promise<void> {
    await Promise.all(this.#sinks.map((s) => s.close()));
  }
}

/** The part of a pino logger this sink uses (no pino type in dancu's API). */
export interface InfoLogger {
  info(obj: object, msg?: string): void;
}

/**
 * A diagnostic copy of the audit events into an existing log pipeline (pino or anything with
 * `info(obj, msg)`). NOT an audit store: a logger may drop lines on a crash, so this sink is
 * non-durable and never acknowledges anything on its own. Pair it with the JSONL or PostgreSQL sink.
 */
export class PinoAuditSink implements AuditSink {
  readonly durable = false;
  readonly #logger: InfoLogger;

  constructor(logger: InfoLogger) {
    if (typeof (logger as InfoLogger | null)?.info !== 'function') {
      throw new ConfigError([{ path: 'audit.sink', received: logger === null ? 'null' : typeof logger, message: 'PinoAuditSink takes a logger with info(obj, msg)', fix: 'pass a pino logger' }]);
    }
    this.#logger = logger;
  }

  async write(events: readonly AuditEventBody[]): Promise<void> {
    for (const e of events) this.#logger.info({ audit: e }, `dancu ${e.type}`);
  }

  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}
