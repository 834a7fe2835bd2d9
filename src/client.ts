import { randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import { maskIdNumber, parseIdNumber } from './citizen/id-number.js';
import type { CitizenRecord, LookupCitizenInput, VerifyCitizenInput } from './citizen/types.js';
import { validateLookupInput, validateVerifyInput } from './citizen/validate.js';
import { resolveOptions, type DancuClientOptions, type ResolvedOptions } from './config.js';
import { validateContext, type CallContext, type LookupContext, type NormalisedContext } from './context.js';
import { ClientClosedError, RateLimitedError, TransportError, UpstreamLockedError, ValidationError } from './errors.js';
import { toVietnamIso } from './internal/time.js';
import { PurposeRegistry, type PurposeDefinition } from './purpose/registry.js';
import { HttpClient } from './transport/http.js';
import type { LookupAnswer, RequestMeta, VerifyAnswer } from './transport/types.js';
import { Upstream, type AttemptHooks } from './transport/upstream.js';
import { QuotaManager, type QuotaStatus } from './quota/manager.js';
import { Dedup, type CacheStats, type ResultSource } from './cache/dedup.js';
import { entryKey, subjectKey } from './cache/keys.js';
import type { CachedEntry } from './cache/types.js';
import { nameKey } from './citizen/name.js';
import { vietnamDate } from './internal/time.js';

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
  /** The dedup cache. */
  readonly cache: {
    /** Drop every cached answer about a citizen (all operations, names, purposes). Returns how many. */
    invalidate(citizen: { idNumber: string }): Promise<number>;
    /** Hits, misses, joins and size since the client started. */
    stats(): Promise<CacheStats>;
  };
  /** sha256 fingerprint of the configuration (no secrets), for the audit trail and `doctor`. */
  readonly fingerprint: string;
  /** Close pooled connections. In-flight calls finish first; later calls fail with `ERR_CLIENT_CLOSED`. */
  close(): Promise<void>;
}

class Client implements DancuClient {
  readonly #opts: ResolvedOptions;
  readonly #purposes: PurposeRegistry;
  readonly #http: HttpClient;
  readonly #upstream: Upstream;
  readonly #quota: QuotaManager;
  readonly #dedup: Dedup;
  #closed = false;

  constructor(opts: ResolvedOptions) {
    this.#opts = opts;
    this.#purposes = new PurposeRegistry(opts.purposes);
    this.#http = new HttpClient({
      baseUrl: opts.baseUrl,
      fetch: opts.fetch,
      timeoutMs: opts.timeoutMs,
      connectTimeoutMs: opts.connectTimeoutMs,
      maxResponseBytes: opts.maxResponseBytes,
      connections: opts.maxConnections,
      tls: opts.tls,
    });
    this.#upstream = new Upstream(opts.profile, this.#http, opts.credentials, opts.clock, opts.tokenRefreshSkewMs, opts.retry);
    this.#quota = new QuotaManager({ ...opts.quota, clock: opts.clock });
    this.#dedup = new Dedup(opts.cache);
  }

  readonly cache = {
    invalidate: async ({ idNumber }: { idNumber: string }): Promise<number> => {
      const parsed = parseIdNumber(idNumber, vietnamDate(this.#opts.clock()).year);
      if (!parsed.ok) throw new ValidationError('ERR_INPUT_INVALID', 'idNumber', parsed.problem, 'not a valid ID number');
      return this.#dedup.invalidate(subjectKey(this.#opts.cache.keys, parsed.id.value));
    },
    stats: (): Promise<CacheStats> => this.#dedup.stats(),
  };

  readonly quota = {
    status: (of: { operatorId?: string; purposeCode?: string } = {}): Promise<QuotaStatus> =>
      this.#quota.status({ unitCode: this.#opts.system.unitCode, operatorId: of.operatorId, purposeCode: of.purposeCode }),
  };

  get purposes(): readonly PurposeDefinition[] {
    return this.#purposes.list();
  }

  get fingerprint(): string {
    return this.#opts.fingerprint;
  }

  async verifyCitizen(input: VerifyCitizenInput, context: CallContext): Promise<VerifyResult> {
    this.#assertOpen();
    const now = this.#opts.clock();
    const ctx = validateContext(context, false); //                        1 validate
    const v = validateVerifyInput(input, now);
    this.#purposes.authorize(ctx.purpose.code, 'verify'); //               2 purpose
    //                                                                       3 guards: next release
    const { key, subject } = entryKey(this.#opts.cache.keys, v.id.value, ['v', nameKey(v.fullName), v.dateOfBirth, v.sex ?? '', this.#scope(ctx)]);
    const out = await this.#dedup.run(key, subject, async () => { //     4 dedup
      const meta = this.#meta(ctx);
      const request = { ...meta, idNumber: v.id.value, fullName: v.fullName, dateOfBirth: v.dateOfBirth };
      const answer = await this.#upstream.call('verify', v.sex ? { ...request, sex: v.sex } : request, this.#hooks(ctx), ctx.signal); // 5, 7–8
      return this.#entry(answer, meta.requestId, ctx);
    });
    const a = out.entry.answer as VerifyAnswer; //                          9 result
    return { found: a.found, match: a.match, fields: { ...a.fields }, ...this.#resultBase(out.entry, out.source, ctx, v.id.value) };
  }

  async lookupCitizen(input: LookupCitizenInput, context: LookupContext): Promise<LookupResult> {
    this.#assertOpen();
    const now = this.#opts.clock();
    const ctx = validateContext(context, true); //                         1 validate
    const v = validateLookupInput(input, now);
    this.#purposes.authorize(ctx.purpose.code, 'lookup', ctx.fields); //   2 purpose
    const fields = ctx.fields!;
    const { key, subject } = entryKey(this.#opts.cache.keys, v.id.value, ['l', [...fields].sort().join(','), this.#scope(ctx)]);
    const out = await this.#dedup.run(key, subject, async () => { //     4 dedup
      const meta = this.#meta(ctx);
      const answer = await this.#upstream.call('lookup', { ...meta, idNumber: v.id.value, fields }, this.#hooks(ctx), ctx.signal);
      return this.#entry(answer, meta.requestId, ctx);
    });
    const a = out.entry.answer as LookupAnswer;
    return { found: a.found, citizen: a.citizen && { ...a.citizen }, ...this.#resultBase(out.entry, out.source, ctx, v.id.value) };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#http.close();
  }

  /** Step 5 around every attempt: spend quota before it, open the shared stop after a lock or a 429. */
  #hooks(ctx: NormalisedContext): AttemptHooks {
    const who = { unitCode: this.#opts.system.unitCode, operatorId: ctx.operator.id, purposeCode: ctx.purpose.code };
    return {
      beforeAttempt: () => this.#quota.reserve(who, ctx.priority, ctx.signal),
      afterFailure: async (err) => {
        if (err instanceof UpstreamLockedError) await this.#quota.stop({ reason: 'locked', until: 'next-vietnam-day' });
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
  #resultBase(entry: CachedEntry, source: ResultSource, ctx: NormalisedContext, idNumber: string): ResultBase {
    return {
      requestId: entry.requestId,
      source,
      purpose: ctx.purpose.code,
      subject: maskIdNumber(idNumber),
      checkedAt: toVietnamIso(entry.checkedAt),
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
  const resolved = resolveOptions(options);
  const preview = (['audit', 'guards'] as const).filter((k) => resolved[k] !== undefined);
  if (preview.length > 0) {
    process.emitWarning(
      `dancu ${preview.join(', ')} options are validated but not enforced by this version; do not rely on them yet.`,
      { code: 'DANCU_NOT_ENFORCED' },
    );
  }
  return new Client(resolved);
}
