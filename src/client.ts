import { inspect } from 'node:util';
import type { CallInput, CallResult, DancuClient, LookupResult, VerifyResult } from './api.js';
import * as events from './audit/events.js';
import { AuditTrail } from './audit/trail.js';
import { Dedup, type CacheStats, type DedupSlot } from './cache/dedup.js';
import { entryKey, subjectKey } from './cache/keys.js';
import type { CachedEntry } from './cache/types.js';
import { parseIdNumber } from './citizen/id-number.js';
import type { LookupCitizenInput, VerifyCitizenInput } from './citizen/types.js';
import { resolveOptions, type DancuClientOptions } from './config.js';
import type { SystemIdentity } from './options.js';
import { buildRuntime, type Runtime } from './runtime.js';
import { checkReady, type ReadyOptions, type ReadyReport } from './readiness.js';
import type { CallContext, LookupContext } from './context.js';
import { ClientClosedError, GuardError, isDancuError, UpstreamError, UpstreamLockedError, ValidationError } from './errors.js';
import { Guards, type GuardVerdict } from './guard/guards.js';
import { traceCall } from './internal/channels.js';
import { toVietnamIso, vietnamDate } from './internal/time.js';
import { sendWithAttempts, type AttemptDeps } from './pipeline/attempts.js';
import { checkedAnswer, knownOperation, prepareExtra, prepareLookup, prepareVerify, requestMeta, type CallPlan } from './pipeline/plan.js';
import { PurposeRegistry, type Operation, type PurposeDefinition } from './purpose/registry.js';
import { QuotaManager, type QuotaStatus } from './quota/manager.js';
import { openSession, type ClientSession, type SessionOptions } from './session.js';
import { CircuitBreaker } from './transport/breaker.js';
import { HttpClient } from './transport/http.js';
import type { ExtraAnswer, ExtraRequest, LookupAnswer, VerifyAnswer } from './transport/types.js';
import { Upstream, type SendOperation } from './transport/upstream.js';

export type { CallInput, CallResult, DancuClient, LookupResult, ResultSource, VerifyResult } from './api.js';

/** A call admitted by steps 1–2, with its cache key and the base of its events. */
interface Admitted { plan: CallPlan; key: string; subject: string; base: events.EventBase }

interface Served { entry: CachedEntry; source: 'upstream' | 'cache' | 'joined'; admitted: Admitted }
const servedAs = (r: Served) => ({ source: r.source, purpose: r.admitted.plan.ctx.purpose.code }); // dancu:call, when it succeeded

class Client implements DancuClient {
  readonly #opts: Runtime;
  readonly #purposes: PurposeRegistry;
  readonly #http: HttpClient;
  readonly #attempts: AttemptDeps;
  readonly #quota: QuotaManager;
  readonly #dedup: Dedup;
  readonly #trail: AuditTrail;
  readonly #guards: Guards;
  #closed = false;

  constructor(opts: Runtime) {
    this.#opts = opts;
    this.#purposes = new PurposeRegistry(opts.purposes);
    this.#http = new HttpClient({
      baseUrl: opts.baseUrl, fetch: opts.fetch, engine: opts.httpEngine, timeoutMs: opts.timeoutMs, connectTimeoutMs: opts.connectTimeoutMs,
      maxResponseBytes: opts.maxResponseBytes, connections: opts.maxConnections, tls: opts.tls,
    });
    this.#quota = new QuotaManager({ ...opts.quota, clock: opts.clock });
    this.#attempts = {
      upstream: new Upstream(opts.profile, this.#http, opts.credentials, opts.clock, opts.tokenRefreshSkewMs),
      quota: this.#quota,
      breaker: opts.breaker && new CircuitBreaker(opts.breaker, opts.clock),
      retry: opts.retry,
    };
    this.#dedup = new Dedup(opts.cache);
    this.#guards = new Guards(opts.guards, opts.system.unitCode, opts.clock);
    this.#trail = new AuditTrail(opts.audit, opts.system, opts.fingerprint, opts.clock, {
      baseUrl: opts.baseUrl.href,
      profile: opts.profile.name,
      purposes: opts.purposes.map((p) => ({ code: p.code, legalBasis: p.legalBasis, operations: p.operations, fields: p.fields })),
      quota: { perDay: opts.quota.plan.perDay, lockThreshold: opts.quota.plan.lockThreshold },
    });
  }

  async verifyCitizen(input: VerifyCitizenInput, context: CallContext): Promise<VerifyResult> {
    const out = await this.#perform('verify', input, context);
    const a = out.entry.answer as VerifyAnswer;
    return { found: a.found, match: a.match, detail: a.detail, fields: { ...a.fields }, ...this.#resultBase(out) };
  }

  async lookupCitizen(input: LookupCitizenInput, context: LookupContext): Promise<LookupResult> {
    const out = await this.#perform('lookup', input, context);
    const a = out.entry.answer as LookupAnswer;
    return { found: a.found, citizen: a.citizen && { ...a.citizen }, ...this.#resultBase(out) };
  }

  async call<A extends { found: boolean } = ExtraAnswer>(operation: string, input: CallInput, context: CallContext): Promise<CallResult<A>> {
    const out = await this.#perform(operation, input, context);
    const answer = structuredClone(out.entry.answer) as unknown as A; // the caller's own copy: the cache keeps the original
    return { found: answer.found, answer, ...this.#resultBase(out) };
  }

  /**
   * The pipeline of one call, in the order the README numbers it. Every step is one awaited call
   * into its own module; every caller gets its own event, whether it led, joined or hit the cache.
   */
  #perform(operation: Operation, input: unknown, context: unknown): Promise<Served> {
    const name = knownOperation(operation, this.#opts.profile); // input never names a series or a log field
    return traceCall(name, () => this.#opts.inCall(name, async () => { // on dancu:call; what it logs names it
      this.#assertOpen();
      if (!this.#trail.opened) await this.#trail.ready(); //                         the trail is open before anything is decided
      const admitted = await this.#admit(operation, input, context); //                1 validate, 2 purpose
      await this.#applyGuards(await this.#guards.checkCaller(admitted.plan.ctx), admitted.base); // 3 guards on the caller
      const slot = await this.#dedup.begin(admitted.key, admitted.subject).catch((err: unknown) => this.#joinFailed(admitted, err)); // 4 dedup
      if (!slot.lead) {
        await this.#trail.write([events.hit(admitted.base, slot.source, slot.entry.requestId, slot.entry.answer)]);
        return { entry: slot.entry, source: slot.source, admitted };
      }
      try {
        const entry = await this.#lead(admitted);
        await slot.settle(entry);
        return { entry, source: 'upstream', admitted };
      } catch (err) {
        await slot.fail(err);
        throw err;
      }
    }), servedAs);
  }

  /** Steps 1–2: validate and authorise; a refusal is audited (a denial is what auditors look for), then thrown. */
  async #admit(operation: Operation, input: unknown, context: unknown): Promise<Admitted> {
    let plan: CallPlan;
    try {
      const now = this.#opts.clock();
      const profile = this.#opts.profile;
      if (operation === 'verify') plan = prepareVerify(input as VerifyCitizenInput, context, now, this.#purposes);
      else if (operation === 'lookup') plan = prepareLookup(input as LookupCitizenInput, context, now, this.#purposes, profile.lookupRequires);
      else plan = prepareExtra(operation, profile, input, context, now, this.#purposes);
    } catch (err) {
      const named = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/.test(String(operation)) ? operation : 'unknown'; // client.call takes any string
      await this.#trail.write([events.refused(named, events.describeRefused(context, input, (id) => this.#trail.subject(id)), err)]);
      throw err;
    }
    const scope = this.#opts.cache.shareAcrossPurposes ? '*' : plan.ctx.purpose.code;
    const { key, subject, citizen } = entryKey(this.#opts.cache.keys, plan.idNumber, [...plan.keyParts, scope]);
    const purpose: events.EventBase['purpose'] = { code: plan.ctx.purpose.code, legalBasis: plan.purpose.legalBasis };
    if (plan.ctx.purpose.dossierId) purpose.dossierId = plan.ctx.purpose.dossierId;
    const base = { operation, operator: plan.ctx.operator, purpose, subject: this.#trail.subjectVia(plan.idNumber, citizen), fields: plan.fields };
    return { plan, key, subject, base };
  }

  /** The call that asks the upstream: value guards (3), durable intent (6), attempts (5, 7–8), outcome (9). */
  async #lead({ plan, base }: Admitted): Promise<CachedEntry> {
    const probe = plan.probe && { idNumber: plan.idNumber, masked: base.subject.masked, values: plan.probe };
    await this.#applyGuards(await this.#guards.checkValues(plan.ctx, probe), base); //        3 guards on the values
    const meta = requestMeta(plan.ctx, this.#opts.system);
    const [intentId] = await this.#trail.write([events.intent(base, meta.requestId)]); //   6 intent, before the request
    const t0 = this.#opts.clock();
    const payer = { who: { unitCode: this.#opts.system.unitCode, operatorId: plan.ctx.operator.id, purposeCode: plan.ctx.purpose.code }, priority: plan.ctx.priority, signal: plan.ctx.signal };
    const op: SendOperation = plan.operation === 'verify' ? 'verify' : plan.operation === 'lookup' ? 'lookup' : { extra: plan.operation };
    const sent = await sendWithAttempts(this.#attempts, op, { ...plan.request, ...meta } as ExtraRequest, payer); // 5, 7–8
    const latencyMs = this.#opts.clock() - t0;
    if (!sent.ok) {
      const locked = sent.fromUpstream && sent.error instanceof UpstreamLockedError ? [events.upstreamLocked(plan.ctx, sent.error)] : [];
      await this.#trail.write([...locked, events.outcome(base, intentId, meta.requestId, latencyMs, undefined, sent.error)]).catch(() => undefined); // closed as unknown at restart if lost
      throw sent.error;
    }
    const answer = checkedAnswer(sent.answer, meta.requestId);
    if (answer instanceof UpstreamError) throw (await this.#trail.write([events.outcome(base, intentId, meta.requestId, latencyMs, undefined, answer)]), answer);
    await this.#trail.write([events.outcome(base, intentId, meta.requestId, latencyMs, answer)]); //  9 outcome
    return { answer, requestId: meta.requestId, checkedAt: this.#opts.clock(), purpose: plan.ctx.purpose.code };
  }

  /** Record a guard's alerts, and its refusal with them in one batch (then throw it). */
  async #applyGuards(verdict: GuardVerdict, base: events.EventBase): Promise<void> {
    const alerts = verdict.alerts.map((a) => events.guardAlert(a, base));
    if (verdict.denial) {
      await this.#trail.write([...alerts, events.guardDenied(base, verdict.denial)]);
      throw verdict.denial;
    }
    if (alerts.length > 0) await this.#trail.write(alerts);
  }

  /** A joiner shares the leader's failure, on its own event. */
  async #joinFailed({ base }: Admitted, err: unknown): Promise<DedupSlot> {
    if (!isDancuError(err, 'ERR_AUDIT_UNAVAILABLE')) await this.#trail.write([events.joinFailed(base, err, err instanceof GuardError)]);
    throw err;
  }

  /** A result always names the caller's own purpose, whoever's call produced the answer. */
  #resultBase(out: Served) {
    return { requestId: out.entry.requestId, source: out.source, purpose: out.admitted.plan.ctx.purpose.code, subject: out.admitted.base.subject.masked, checkedAt: toVietnamIso(out.entry.checkedAt) };
  }

  session(options: SessionOptions): ClientSession {
    this.#assertOpen();
    return openSession(options, this, this.#trail);
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

  readonly breaker = { state: () => this.#attempts.breaker?.state() ?? { state: 'off' as const } };
  readonly quota = { status: async (of?: { operatorId?: string; purposeCode?: string }): Promise<QuotaStatus> => this.#quota.statusOf(of, this.#opts.system.unitCode) };

  /** See `DancuClient.ready`: the trail, the stores and (optionally) the token, as a readiness probe asks. */
  async ready(options?: ReadyOptions): Promise<ReadyReport> {
    this.#assertOpen();
    const { quota, cache, guards } = this.#opts;
    return checkReady({ openTrail: () => this.#trail.ready(), quota: quota.store, cache: cache.enabled ? cache.store : undefined, guards: guards.store, token: () => this.#attempts.upstream.token() }, options);
  }

  get purposes(): readonly PurposeDefinition[] { return this.#purposes.list(); }
  get fingerprint(): string { return this.#opts.fingerprint; }
  get system(): Readonly<SystemIdentity> { return { ...this.#opts.system }; }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#http.close();
    await this.#trail.close();
  }

  #assertOpen(): void { if (this.#closed) throw new ClientClosedError(); }

  /** What `console.log(client)` shows: never credentials. */
  [inspect.custom](): string {
    return `DancuClient ${inspect(this.toJSON())}`;
  }

  toJSON(): Record<string, unknown> {
    const o = this.#opts;
    return { baseUrl: o.baseUrl.href, system: o.system, purposes: this.#purposes.list().map((p) => p.code), profile: o.profile.name, fingerprint: o.fingerprint, closed: this.#closed };
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
export function createClient<const P extends string = string>(options: DancuClientOptions & { purposes: readonly PurposeDefinition<P>[] }): DancuClient<P> {
  return new Client(buildRuntime(resolveOptions(options))) as DancuClient<P>;
}
