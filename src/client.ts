import { randomUUID } from 'node:crypto';
import { Session, type ClientSession, type SessionOptions } from './session.js';
import { inspect } from 'node:util';
import { parseIdNumber } from './citizen/id-number.js';
import type { CitizenRecord, LookupCitizenInput, VerifyCitizenInput } from './citizen/types.js';
import { validateLookupInput, validateVerifyInput } from './citizen/validate.js';
import { resolveOptions, type DancuClientOptions, type ResolvedOptions } from './config.js';
import { validateContext, type CallContext, type LookupContext, type NormalisedContext } from './context.js';
import { AuditError, ClientClosedError, GuardError, RateLimitedError, TransportError, UpstreamLockedError, ValidationError } from './errors.js';
import { toVietnamIso } from './internal/time.js';
import { PurposeRegistry, type PurposeDefinition } from './purpose/registry.js';
import { HttpClient } from './transport/http.js';
import type { LookupAnswer, RequestMeta, VerifyAnswer } from './transport/types.js';
import { Upstream, type AttemptHooks } from './transport/upstream.js';
import { CircuitBreaker } from './transport/breaker.js';
import { QuotaManager, type QuotaStatus } from './quota/manager.js';
import { Dedup, type CacheStats, type DedupOutcome, type ResultSource } from './cache/dedup.js';
import { AuditTrail, outcomeOf } from './audit/trail.js';
import type { Operation } from './purpose/registry.js';
import { entryKey, subjectKey } from './cache/keys.js';
import type { CachedEntry } from './cache/types.js';
import { nameKeyOfNormalised } from './citizen/name.js';
import { vietnamDate } from './internal/time.js';
import { Guards, type GuardAlert, type GuardProbe, type GuardVerdict } from './guard/guards.js';

export type { ResultSource } from './cache/dedup.js';

interface ResultBase {
  /** `MaYeuCau` of the upstream request that produced the answer (for a cached answer: the original one). */
  requestId: string;
  /** `upstream`: this call asked the upstream; `joined`: it shared an identical call in flight; `cache`: a cached answer. */
  source: ResultSource;
  /** Purpose code of this call. */
  purpose: string;
  /** Masked ID number, e.g. `079*******21`: safe to log. */
  subject: string;
  /** When the upstream gave the answer (for a cached answer, the original time), ISO 8601 in Vietnam time. */
  checkedAt: string;
}

/** Result of {@link DancuClient.verifyCitizen}. */
export interface VerifyResult extends ResultBase, VerifyAnswer {}

/** Result of {@link DancuClient.lookupCitizen}: only the fields asked for and allowed. */
export interface LookupResult extends ResultBase {
  found: boolean;
  citizen: CitizenRecord | null;
}

/** A client of the population service. Create with {@link createClient}; one per deployment process. */
export interface DancuClient {
  /**
   * Check an (ID number, name, date of birth[, sex]) tuple against the national database.
   * Refused locally, with no network call, when the input is impossible or the purpose is not
   * registered for `verify`.
   *
   * @example
   * ```ts
   * const r = await client.verifyCitizen(
   *   { idNumber: '079190012345', fullName: 'Nguyễn Văn An', dateOfBirth: '1990-05-17' },
   *   { purpose: { code: 'HT-KS-01', dossierId: 'HS-2026-000123' }, operator: { id: 'cb.nguyen', ip: '10.0.0.12' } },
   * )
   * if (!r.match) askForCorrection(r.fields)
   * ```
   */
  verifyCitizen(input: VerifyCitizenInput, context: CallContext): Promise<VerifyResult>;
  /**
   * Read fields of a citizen record. `context.fields` lists what to read; every field must be
   * allowed by the purpose, and only those fields are returned.
   */
  lookupCitizen(input: LookupCitizenInput, context: LookupContext): Promise<LookupResult>;
  /** The registered purposes. */
  readonly purposes: readonly PurposeDefinition[];
  /** The client-side quota. */
  readonly quota: {
    /**
     * Used and remaining of every global, unit and purpose budget (and an operator's, when given),
     * and the shared stop in force, if any. For dashboards; takes nothing.
     */
    status(of?: { operatorId?: string; purposeCode?: string }): Promise<QuotaStatus>;
  };
  /**
   * Start an operator's session: writes `session.login` (operator, IP, user agent, time); calls made
   * through the session carry its operator, IP and session id; `end()` writes `session.logout`.
   *
   * @example
   * ```ts
   * const s = client.session({ operatorId: 'cb.an', ip: req.ip, userAgent: req.headers['user-agent'] })
   * await s.verifyCitizen(input, { purpose: { code: 'HT-KHAISINH', dossierId }, ip: req.ip }) // each request's own IP
   * await s.end()
   * ```
   */
  session(options: SessionOptions): ClientSession;
  /** The dedup cache. */
  readonly cache: {
    /** Drop every cached answer about a citizen (all operations, names, purposes). Returns how many. */
    invalidate(citizen: { idNumber: string }): Promise<number>;
    /** Hits, misses, joins and size since the client started. */
    stats(): Promise<CacheStats>;
  };
  /** sha256 fingerprint of the configuration (no secrets), for the audit trail and `doctor`. */
  readonly fingerprint: string;
  /** Close pooled connections and the audit trail (flushed, final checkpoint). Later calls fail with `ERR_CLIENT_CLOSED`. */
  close(): Promise<void>;
}

/** What every event of one call carries. */
interface EventBase {
  operation: Operation;
  operator: NormalisedContext['operator'];
  purpose: { code: string; legalBasis: string; dossierId?: string };
  subject: ReturnType<AuditTrail['subject']>;
  fields: string[];
}

interface Performed extends DedupOutcome {
  ctx: NormalisedContext;
  /** Masked ID number. */
  masked: string;
}

class Client implements DancuClient {
  readonly #opts: ResolvedOptions;
  readonly #purposes: PurposeRegistry;
  readonly #http: HttpClient;
  readonly #upstream: Upstream;
  readonly #quota: QuotaManager;
  readonly #dedup: Dedup;
  readonly #audit: AuditTrail;
  readonly #guards: Guards;
  #closed = false;

  constructor(opts: ResolvedOptions) {
    this.#opts = opts;
    this.#purposes = new PurposeRegistry(opts.purposes);
    this.#http = new HttpClient({
      baseUrl: opts.baseUrl,
      fetch: opts.fetch,
      engine: opts.httpEngine,
      timeoutMs: opts.timeoutMs,
      connectTimeoutMs: opts.connectTimeoutMs,
      maxResponseBytes: opts.maxResponseBytes,
      connections: opts.maxConnections,
      tls: opts.tls,
    });
    this.#upstream = new Upstream(opts.profile, this.#http, opts.credentials, opts.clock, opts.tokenRefreshSkewMs, opts.retry,
      opts.breaker && new CircuitBreaker(opts.breaker, opts.clock));
    this.#quota = new QuotaManager({ ...opts.quota, clock: opts.clock });
    this.#dedup = new Dedup(opts.cache);
    this.#guards = new Guards(opts.guards, opts.system.unitCode, opts.clock);
    this.#audit = new AuditTrail(opts.audit, opts.system, opts.fingerprint, opts.clock, {
      baseUrl: opts.baseUrl.href,
      profile: opts.profile.name,
      purposes: opts.purposes.map((p) => ({ code: p.code, legalBasis: p.legalBasis, operations: p.operations, fields: p.fields })),
      quota: { perDay: opts.quota.plan.perDay, lockThreshold: opts.quota.plan.lockThreshold },
    });
  }

  readonly cache = {
    invalidate: async (citizen: { idNumber: string }): Promise<number> => {
      const idNumber = (citizen as { idNumber?: unknown } | null | undefined)?.idNumber;
      if (typeof idNumber !== 'string') throw new ValidationError('ERR_INPUT_INVALID', 'idNumber', 'invalid_type', 'pass { idNumber } of the citizen whose cached answers to drop');
      const parsed = parseIdNumber(idNumber, vietnamDate(this.#opts.clock()).year);
      if (!parsed.ok) throw new ValidationError('ERR_INPUT_INVALID', 'idNumber', parsed.problem, 'not a valid ID number');
      return this.#dedup.invalidate(subjectKey(this.#opts.cache.keys, parsed.id.value));
    },
    stats: (): Promise<CacheStats> => this.#dedup.stats(),
  };

  readonly quota = {
    status: async (of: { operatorId?: string; purposeCode?: string } = {}): Promise<QuotaStatus> => {
      const o = (typeof of === 'object' && of !== null ? of : {}) as Record<string, unknown>;
      for (const k of ['operatorId', 'purposeCode'] as const) {
        if (o[k] !== undefined && typeof o[k] !== 'string') throw new ValidationError('ERR_INPUT_INVALID', k, 'invalid_type', 'must be a string');
      }
      if (of !== undefined && (typeof of !== 'object' || of === null)) throw new ValidationError('ERR_INPUT_INVALID', '(input)', 'invalid_type', 'pass { operatorId?, purposeCode? } or nothing');
      return this.#quota.status({ unitCode: this.#opts.system.unitCode, operatorId: o['operatorId'] as string | undefined, purposeCode: o['purposeCode'] as string | undefined });
    },
  };

  get purposes(): readonly PurposeDefinition[] {
    return this.#purposes.list();
  }

  get fingerprint(): string {
    return this.#opts.fingerprint;
  }

  async verifyCitizen(input: VerifyCitizenInput, context: CallContext): Promise<VerifyResult> {
    const out = await this.#perform('verify', context, input, (now) => {
      const ctx = validateContext(context, false); //                                   1 validate
      const v = validateVerifyInput(input, now);
      this.#purposes.authorize(ctx.purpose.code, 'verify'); //                          2 purpose
      const name = nameKeyOfNormalised(v.fullName); // v.fullName is normalised already
      return {
        ctx,
        id: v.id.value,
        fields: v.sex ? ['fullName', 'dateOfBirth', 'sex'] : ['fullName', 'dateOfBirth'],
        // Built only for a call that must go upstream (the enumeration guard), not for a hit.
        probe: (masked) => ({ idNumber: v.id.value, masked, values: [['dateOfBirth', v.dateOfBirth], ['fullName', name]] }),
        keyParts: ['v', name, v.dateOfBirth, v.sex ?? ''],
        send: (meta, hooks) => {
          // Literals first, spreads last: on Node 20 `{ ...a, b }` costs over 10× `{ b, ...a }` (`node bench/micro.mjs`).
          const request = { idNumber: v.id.value, fullName: v.fullName, dateOfBirth: v.dateOfBirth, ...meta };
          return this.#upstream.call('verify', v.sex ? { sex: v.sex, ...request } : request, hooks, ctx.signal);
        },
      };
    });
    const a = out.entry.answer as VerifyAnswer; //                                        9 result
    return { found: a.found, match: a.match, fields: { ...a.fields }, ...this.#resultBase(out) };
  }

  async lookupCitizen(input: LookupCitizenInput, context: LookupContext): Promise<LookupResult> {
    const out = await this.#perform('lookup', context, input, (now) => {
      const ctx = validateContext(context, true); //                                    1 validate
      const v = validateLookupInput(input, now);
      const fields = ctx.fields!;
      this.#purposes.authorize(ctx.purpose.code, 'lookup', fields); //                  2 purpose
      return {
        ctx,
        id: v.id.value,
        fields,
        probe: undefined,
        keyParts: ['l', [...fields].sort().join(',')],
        send: (meta, hooks) => this.#upstream.call('lookup', { idNumber: v.id.value, fields, ...meta }, hooks, ctx.signal),
      };
    });
    const a = out.entry.answer as LookupAnswer;
    return { found: a.found, citizen: a.citizen && { ...a.citizen }, ...this.#resultBase(out) };
  }

  /** Start a session: writes `session.login`; calls through it carry its operator, IP and session id. */
  session(options: SessionOptions): ClientSession {
    this.#assertOpen();
    const o = (typeof options === 'object' && options !== null ? options : {}) as Partial<Record<keyof SessionOptions, unknown>>;
    const operator = validateContext({ purpose: { code: '-' }, operator: { id: o.operatorId, ip: o.ip, sessionId: o.sessionId ?? randomUUID() } }, false).operator;
    if (o.userAgent !== undefined && typeof o.userAgent !== 'string') throw new ValidationError('ERR_INPUT_INVALID', 'userAgent', 'invalid_type', 'must be a string');
    const full = { ...operator, sessionId: operator.sessionId!, ...(o.userAgent ? { userAgent: o.userAgent.slice(0, 256) } : {}) };
    return new Session(this, full, (type) => this.#audit.ready().then(() => this.#audit.write([{ type, operator: full }])).then(() => undefined));
  }

  /**
   * The pipeline around one call: the trail is open (6), the call is admitted (1–2) or its denial
   * audited, dedup (4) joins or serves from cache, and a call that must go upstream writes its
   * durable intent (6), spends quota per attempt (5, in the hooks), is sent (7–8), and writes its
   * outcome linked to the intent. Every caller gets its own event.
   */
  async #perform(
    operation: Operation,
    context: unknown,
    input: unknown,
    admit: (now: number) => {
      ctx: NormalisedContext;
      id: string;
      fields: string[];
      probe: ((masked: string) => GuardProbe) | undefined;
      keyParts: string[];
      send: (meta: RequestMeta, hooks: AttemptHooks) => Promise<VerifyAnswer | LookupAnswer>;
    },
  ): Promise<Performed> {
    this.#assertOpen();
    if (!this.#audit.opened) await this.#audit.ready();
    let admitted: ReturnType<typeof admit>;
    try {
      admitted = admit(this.#opts.clock());
    } catch (err) {
      await this.#audit.write([{ type: 'lookup.denied', operation, ...this.#describe(context, input), ...outcomeOf(undefined, err) }]);
      throw err;
    }
    const { ctx, id, fields, probe, keyParts, send } = admitted;
    const def = this.#purposes.get(ctx.purpose.code)!;
    keyParts.push(this.#scope(ctx));
    const { key, subject, citizen } = entryKey(this.#opts.cache.keys, id, keyParts);
    const purpose: EventBase['purpose'] = { code: ctx.purpose.code, legalBasis: def.legalBasis };
    if (ctx.purpose.dossierId) purpose.dossierId = ctx.purpose.dossierId;
    const base: EventBase = { operation, operator: ctx.operator, purpose, subject: this.#audit.subjectVia(id, citizen), fields };
    const verdict = await this.#guards.checkCaller(ctx); //                              3 guards (caller)
    if (verdict.denial || verdict.alerts.length > 0) await this.#applyGuards(verdict, base);
    let led = false;
    let out: DedupOutcome;
    try {
      out = await this.#dedup.run(key, subject, async () => { //                      4 dedup
        led = true;
        await this.#applyGuards(await this.#guards.checkValues(ctx, probe?.(base.subject.masked)), base); // 3 guards (values, on a miss)
        const meta = this.#meta(ctx);
        const [intentId] = await this.#audit.write([{ type: 'lookup.intent', requestId: meta.requestId, ...base }]); // 6
        const t0 = this.#opts.clock();
        const done = (extra: object) => ({ type: 'lookup.outcome' as const, intentId, requestId: meta.requestId, latencyMs: this.#opts.clock() - t0, ...base, ...extra });
        let answer: VerifyAnswer | LookupAnswer;
        try {
          answer = await send(meta, this.#hooks(ctx)); //                               5, 7–8
        } catch (err) {
          await this.#audit.write([done(outcomeOf(undefined, err))]).catch(() => undefined); // closed as unknown at restart if lost
          throw err;
        }
        await this.#audit.write([done(outcomeOf(answer))]);
        return this.#entry(answer, meta.requestId, ctx);
      });
    } catch (err) {
      if (!led && !(err instanceof AuditError)) {
        // A joiner shares the leader's fate; a guard's refusal is a refusal of this call too.
        const type = err instanceof GuardError ? ('lookup.denied' as const) : ('cache.hit' as const);
        await this.#audit.write([{ type, ...base, ...(type === 'cache.hit' ? { source: 'joined' as const } : {}), ...outcomeOf(undefined, err) }]);
      }
      throw err;
    }
    if (!led) {
      const answer = out.entry.answer;
      const { outcome } = outcomeOf('citizen' in answer ? { found: answer.found } : answer); // an answer: never a code
      // One literal, not spreads: this is the event of every cache hit.
      await this.#audit.write([{ type: 'cache.hit', operation, operator: base.operator, purpose: base.purpose, subject: base.subject, fields, source: out.source, requestId: out.entry.requestId, outcome }]);
    }
    return { entry: out.entry, source: out.source, ctx, masked: base.subject.masked };
  }

  /** Record a guard's alerts, and its refusal with them in one batch (then throw it). */
  async #applyGuards(verdict: GuardVerdict, base: EventBase): Promise<void> {
    const alerts = verdict.alerts.map((a) => this.#alertEvent(a, base));
    if (verdict.denial) {
      await this.#audit.write([...alerts, { type: 'lookup.denied', ...base, ...outcomeOf(undefined, verdict.denial) }]);
      throw verdict.denial;
    }
    if (alerts.length > 0) await this.#audit.write(alerts);
  }

  #alertEvent(a: GuardAlert, base: EventBase) {
    return {
      type: 'guard.alert' as const,
      operation: base.operation,
      operator: base.operator,
      purpose: base.purpose,
      ...(a.guard === 'enumeration' ? { subject: base.subject } : {}),
      detail: { guard: a.guard, ...a.detail },
    };
  }

  /** What can be said of a refused call without trusting its shape: strings only, the ID as HMAC + mask. */
  #describe(context: unknown, input: unknown): Record<string, unknown> {
    const c = (typeof context === 'object' && context !== null ? context : {}) as Record<string, Record<string, unknown> | undefined>;
    const str = (v: unknown) => (typeof v === 'string' ? v.slice(0, 128) : undefined);
    const out: Record<string, unknown> = {};
    const op = { id: str(c['operator']?.['id']), ip: str(c['operator']?.['ip']), sessionId: str(c['operator']?.['sessionId']), loginIp: str(c['operator']?.['loginIp']) };
    const pu = { code: str(c['purpose']?.['code']), dossierId: str(c['purpose']?.['dossierId']) };
    if (Object.values(op).some(Boolean)) out['operator'] = Object.fromEntries(Object.entries(op).filter(([, v]) => v));
    if (Object.values(pu).some(Boolean)) out['purpose'] = Object.fromEntries(Object.entries(pu).filter(([, v]) => v));
    const idNumber = (input as { idNumber?: unknown } | null)?.idNumber;
    if (typeof idNumber === 'string' && /^\s*(\d\s*){9}$|^\s*(\d\s*){12}$/.test(idNumber)) out['subject'] = this.#audit.subject(idNumber);
    return out;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#http.close();
    await this.#audit.close();
  }

  /** Step 5 around every attempt: spend quota before it, open the shared stop after a lock or a 429. */
  #hooks(ctx: NormalisedContext): AttemptHooks {
    const who = { unitCode: this.#opts.system.unitCode, operatorId: ctx.operator.id, purposeCode: ctx.purpose.code };
    return {
      beforeAttempt: () => this.#quota.reserve(who, ctx.priority, ctx.signal),
      afterFailure: async (err) => {
        if (err instanceof UpstreamLockedError) {
          await this.#quota.stop({ reason: 'locked', until: 'next-vietnam-day' });
          await this.#audit
            .write([{ type: 'upstream.locked', operator: ctx.operator, purpose: { code: ctx.purpose.code }, ...(err.requestId ? { requestId: err.requestId } : {}), detail: { lockedUntil: err.lockedUntil, status: err.status, ...(err.discarded ? { discarded: err.discarded } : {}) } }])
            .catch(() => undefined);
        }
        else if (err instanceof RateLimitedError) await this.#quota.stop({ reason: 'rate-limited', until: { forMs: err.retryAfterMs } });
      },
    };
  }

  #assertOpen(): void {
    if (this.#closed) throw new ClientClosedError();
  }

  #meta(ctx: NormalisedContext): RequestMeta {
    if (ctx.signal?.aborted) {
      throw new TransportError('ERR_ABORTED', 'The call was aborted by its signal before it was sent.', undefined, { cause: ctx.signal.reason });
    }
    return {
      requestId: ctx.requestId ?? randomUUID(),
      purposeCode: ctx.purpose.code,
      unitCode: this.#opts.system.unitCode,
      systemId: this.#opts.system.id,
      operatorId: ctx.operator.id,
      operatorIp: ctx.operator.ip,
    };
  }

  #entry(answer: VerifyAnswer | LookupAnswer, requestId: string, ctx: NormalisedContext): CachedEntry {
    return { answer, requestId, checkedAt: this.#opts.clock(), purpose: ctx.purpose.code };
  }

  /** A result always names the caller's own purpose, whoever's call produced the answer. */
  #resultBase(out: Performed): ResultBase {
    return {
      requestId: out.entry.requestId,
      source: out.source,
      purpose: out.ctx.purpose.code,
      subject: out.masked,
      checkedAt: toVietnamIso(out.entry.checkedAt),
    };
  }

  #scope(ctx: NormalisedContext): string {
    return this.#opts.cache.shareAcrossPurposes ? '*' : ctx.purpose.code;
  }

  /** What `console.log(client)` shows: never credentials. */
  [inspect.custom](): string {
    return `DancuClient ${inspect(this.toJSON())}`;
  }

  toJSON(): Record<string, unknown> {
    return {
      baseUrl: this.#opts.baseUrl.href,
      system: this.#opts.system,
      purposes: this.#purposes.list().map((p) => p.code),
      profile: this.#opts.profile.name,
      fingerprint: this.#opts.fingerprint,
      closed: this.#closed,
    };
  }
}

/**
 * Create a client. Options are validated once; a bad option throws `ERR_CONFIG_INVALID` naming
 * its path, the type received and the fix.
 *
 * @example
 * ```ts
 * const client = createClient({
 *   baseUrl: process.env.DANCU_URL!,
 *   credentials: { clientId: process.env.DANCU_CLIENT_ID!, clientSecret: process.env.DANCU_CLIENT_SECRET! },
 *   system: { id: 'mot-cua-hcm', unitCode: 'H29', version: '4.2.0' },
 *   purposes: [{ code: 'HT-KS-01', title: 'Đăng ký khai sinh', legalBasis: 'Luật Hộ tịch 2014', operations: ['verify'] }],
 * })
 * ```
 */
export function createClient(options: DancuClientOptions): DancuClient {
  return new Client(resolveOptions(options));
}
