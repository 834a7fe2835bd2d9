/**
 * The public shape of a client: its methods and results. The implementation is `client.ts`.
 */
import type { CitizenField, CitizenRecord, LookupCitizenInput, VerifyCitizenInput } from './citizen/types.js';
import type { CallContext, LookupContext } from './context.js';
import type { CacheStats, ResultSource } from './cache/dedup.js';
import type { SystemIdentity } from './options.js';
import type { PurposeDefinition } from './purpose/registry.js';
import type { QuotaStatus } from './quota/manager.js';
import type { ReadyOptions, ReadyReport } from './readiness.js';
import type { ClientSession, SessionOptions } from './session.js';
import type { BreakerState } from './transport/breaker.js';
import type { VerifyAnswer } from './transport/types.js';

export type { ResultSource } from './cache/dedup.js';

/** What every result says of where its answer came from. */
export interface ResultBase {
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

/**
 * Result of {@link DancuClient.lookupCitizen}. `F` is the fields asked for: `citizen` has those
 * (each present when the upstream holds it) and no others, also in its type.
 */
export interface LookupResult<F extends CitizenField = CitizenField> extends ResultBase {
  found: boolean;
  citizen: Pick<CitizenRecord, F> | null;
}

/** Input of {@link DancuClient.call}: the verify tuple for an `identity` operation, the ID number alone for an `idNumber` one. */
export type CallInput = { idNumber: string; fullName: string; dateOfBirth: string } | { idNumber: string };

/** Result of {@link DancuClient.call}: the operation's answer as the profile parsed it (the caller's own copy). */
export interface CallResult<A extends { found: boolean } = { found: boolean; [key: string]: unknown }> extends ResultBase {
  found: boolean;
  answer: A;
}

/**
 * A client of the population service. Create with {@link createClient}; one per deployment process.
 * `P` is the union of the registered purpose codes when `createClient` sees them as literals (the
 * purposes written in the call, or a list declared `as const`); otherwise `string`.
 */
export interface DancuClient<P extends string = string> {
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
  verifyCitizen(input: VerifyCitizenInput, context: CallContext<P>): Promise<VerifyResult>;
  /**
   * Read fields of a citizen record. `context.fields` lists what to read; every field must be
   * allowed by the purpose, and only those fields are returned.
   */
  lookupCitizen<const F extends CitizenField>(input: LookupCitizenInput, context: LookupContext<P, F>): Promise<LookupResult<F>>;
  /**
   * Call an operation the wire profile declares beyond verify and lookup (`profile.extraOperations`),
   * e.g. `XacMinhThongTinChuHo`. The purpose must list it in `operations`; the input is validated
   * as the operation declares; the call is guarded, deduplicated, counted and audited like the others.
   *
   * @example
   * ```ts
   * const r = await client.call<HouseholdHeadAnswer>('XacMinhThongTinChuHo',
   *   { idNumber: '079190012345', fullName: 'Nguyễn Văn An', dateOfBirth: '1990-05-17' },
   *   { purpose: { code: 'HT-CUTRU' }, operator: { id: 'cb.nguyen', ip: '10.0.0.12' } })
   * if (r.found && !r.answer.isHead) showHead(r.answer.head)
   * ```
   */
  call<A extends { found: boolean } = { found: boolean; [key: string]: unknown }>(operation: string, input: CallInput, context: CallContext<P>): Promise<CallResult<A>>;
  /** The system this client speaks for (`options.system`). */
  readonly system: Readonly<SystemIdentity>;
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
  /** This process's circuit breaker. */
  readonly breaker: {
    /** `closed`, `open` (with why and for how long), `half-open` (the next call probes) or `off`. For dashboards and health pages. */
    state(): BreakerState;
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
  session(options: SessionOptions): ClientSession<P>;
  /** The dedup cache. */
  readonly cache: {
    /** Drop every cached answer about a citizen (all operations, names, purposes). Returns how many. */
    invalidate(citizen: { idNumber: string }): Promise<number>;
    /** Hits, misses, joins and size since the client started. */
    stats(): Promise<CacheStats>;
  };
  /**
   * For a readiness probe, before traffic reaches this process: opens the audit trail (records
   * `config.loaded`), reaches the quota, cache and guard stores (a Redis store loads its scripts),
   * and with `{ token: true }` fetches an access token. Rejects as a call would: `ERR_AUDIT_UNAVAILABLE`
   * (sink unwritable, database down), `ERR_QUOTA_UNAVAILABLE` (quota store down), `ERR_UNAUTHORIZED`
   * (wrong credentials). A cache or guard store that does not answer is reported `degraded`: calls
   * work around it. Nothing is sent to the population service and no quota is used.
   *
   * @example
   * ```ts
   * const r = await client.ready({ token: true }) // rejects: not ready; see docs/deployment.md
   * if (r.cache === 'degraded') console.warn('serving without the shared cache', r.causes?.cache)
   * ```
   */
  ready(options?: ReadyOptions): Promise<ReadyReport>;
  /** sha256 fingerprint of the configuration (no secrets), for the audit trail and `doctor`. */
  readonly fingerprint: string;
  /** Close pooled connections and the audit trail (flushed, final checkpoint). Later calls fail with `ERR_CLIENT_CLOSED`. */
  close(): Promise<void>;
}
