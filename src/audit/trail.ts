import { createHmac, createSecretKey, randomUUID, type KeyObject } from 'node:crypto';
import { maskIdNumber, normaliseIdNumber } from '../citizen/id-number.js';
import { AuditError } from '../errors.js';
import { BoundedMemo } from '../internal/memo.js';
import { toVietnamIso, type Clock } from '../internal/time.js';
import { VERSION } from '../version.js';
import { AUDIT_SCHEMA_VERSION, type AuditEventBody } from './schema.js';
import type { CheckpointSettings } from './checkpointer.js';
import type { AuditSink } from './sink.js';
import { closedAtRestart, configLoaded, recovered, witnessLagging, type EventDraft } from './events.js';
import { diagnostics, type Diagnose } from '../internal/log.js';
import { publishGuardAlert, traceAudit } from '../internal/channels.js';

/** Audit settings after validation and defaults. */
export interface AuditPlan {
  sink: AuditSink;
  instance: string;
  /** Key of the subject HMAC (derived from `audit.secret`). */
  subjectKey: Buffer;
  rawSubject: boolean;
  failOpen: boolean;
  /** Signer, witness and intervals, handed to the sink (`AuditSink.useCheckpoints`). */
  checkpoints: CheckpointSettings;
  /** Where diagnostics go (the client's `logger`); process warnings when absent. */
  diagnose?: Diagnose;
}


/**
 * Step 6 of the pipeline, and every other event: builds events (system, time, id, subject HMAC)
 * and writes them to the sink, failing closed: if the sink cannot acknowledge, the call is
 * refused with `ERR_AUDIT_UNAVAILABLE` (unless `failOpen`, for development only).
 */
export class AuditTrail {
  readonly #plan: AuditPlan;
  readonly #subjectKey: KeyObject;
  readonly #subjects = new BoundedMemo<Readonly<NonNullable<AuditEventBody['subject']>>>(10_000);
  readonly #system: AuditEventBody['system'];
  readonly #clock: Clock;
  readonly #configDetail: Record<string, unknown>;
  #ready: Promise<void> | undefined;
  #opened = false;
  #warned = false;
  readonly #diagnose: Diagnose;

  constructor(plan: AuditPlan, system: { id: string; unitCode: string; version: string }, fingerprint: string, clock: Clock, configDetail: Record<string, unknown>) {
    this.#plan = plan;
    this.#diagnose = plan.diagnose ?? diagnostics(undefined);
    this.#subjectKey = createSecretKey(plan.subjectKey);
    this.#system = Object.freeze({ ...system, instance: plan.instance, fingerprint, sdk: VERSION }); // frozen: its canonical text is written once
    this.#clock = clock;
    this.#configDetail = configDetail;
    const sink = plan.sink;
    if (typeof sink.useCheckpoints === 'function') {
      // A witness problem is itself recorded, in the chain it is about (best effort: it is an alert).
      sink.useCheckpoints({
        ...plan.checkpoints,
        onWitnessProblem: (p) => {
          publishGuardAlert('audit.witness');
          this.#diagnose('warn', 'DANCU_AUDIT_WITNESS_LAG', `dancu audit witness ${p.reason}: ${p.pending} checkpoint(s) not delivered for ${Math.round(p.lagMs / 1000)} s`, { ...p });
          void this.write([witnessLagging(p)]).catch(() => undefined);
        },
      });
    } else if (plan.checkpoints.signer?.alg === 'ed25519' && sink.durable !== false) {
      // An Ed25519 key was configured (audit.signingKey) and this sink cannot use it: say so.
      this.#diagnose('warn', 'DANCU_AUDIT_UNSIGNED', 'dancu: the audit sink has no useCheckpoints(): the signing key and witness are not used and its chain has no checkpoints.');
    }
  }

  /** Open the sink, close what a crash left open, record `config.loaded`. Retried until it succeeds. */
  ready(): Promise<void> {
    return (this.#ready ??= this.#start().then(
      () => void (this.#opened = true),
      (err: unknown) => {
        this.#ready = undefined;
        throw err;
      },
    ));
  }

  /** Whether {@link ready} has succeeded (then a call need not wait for it). */
  get opened(): boolean {
    return this.#opened;
  }

  async #start(): Promise<void> {
    const recovery = await this.#guard(async () => (await this.#plan.sink.open?.()) ?? { tornBytes: 0, danglingIntents: [] });
    const drafts: EventDraft[] = [];
    if (recovery && (recovery.tornBytes > 0 || recovery.danglingIntents.length > 0)) {
      drafts.push(recovered(recovery.tornBytes, recovery.danglingIntents.length), ...recovery.danglingIntents.map(closedAtRestart));
    }
    drafts.push(configLoaded(this.#configDetail));
    await this.write(drafts);
  }

  /** Subject of an ID number: keyed HMAC + masked form (+ the raw value only if configured). */
  subject(idNumber: string): NonNullable<AuditEventBody['subject']> {
    const id = normaliseIdNumber(idNumber);
    const s: NonNullable<AuditEventBody['subject']> = {
      hmac: createHmac('sha256', this.#subjectKey).update(id).digest('hex').slice(0, 32),
      masked: maskIdNumber(id),
    };
    if (this.#plan.rawSubject) s.raw = id;
    return s;
  }

  /**
   * {@link subject}, remembered under `pseudonym` — a secret-keyed digest of the same ID (the cache
   * key's hidden part), never the ID itself — for the citizens asked about again and again (a storm
   * of re-verifications): one HMAC saved per call. Bounded; frozen, so the event writer also
   * remembers its text.
   */
  subjectVia(idNumber: string, pseudonym: string): NonNullable<AuditEventBody['subject']> {
    return this.#subjects.get(pseudonym) ?? this.#subjects.set(pseudonym, Object.freeze(this.subject(idNumber)));
  }

  /** Build and durably write events; returns their ids. Throws `ERR_AUDIT_UNAVAILABLE` when the sink fails. */
  async write(partials: readonly EventDraft[]): Promise<string[]> {
    const ts = toVietnamIso(this.#clock());
    const bodies = partials.map((p) => ({ v: AUDIT_SCHEMA_VERSION, ts, eventId: randomUUID(), system: this.#system, ...p }) as AuditEventBody);
    await traceAudit(bodies.length, () => this.#guard(() => this.#plan.sink.write(bodies)));
    return bodies.map((b) => b.eventId);
  }

  async close(): Promise<void> {
    await this.#plan.sink.close();
  }

  async #guard<T>(fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await fn();
    } catch (cause) {
      if (this.#plan.failOpen) {
        if (!this.#warned) {
          this.#warned = true;
          this.#diagnose('error', 'DANCU_AUDIT_FAIL_OPEN', 'dancu audit sink failed and audit.failOpen is set: calls continue WITHOUT an audit trail (development only).', { error: String((cause as Error)?.message ?? cause).slice(0, 300) });
        }
        return undefined;
      }
      throw new AuditError(cause);
    }
  }
}
