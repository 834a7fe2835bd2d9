import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { hiddenTag } from '../internal/hidden-tag.js';
import { GuardError } from '../errors.js';
import { BoundedMemo } from '../internal/memo.js';
import { publishGuardAlert } from '../internal/channels.js';
import { withTimeout } from '../internal/timeout.js';
import type { NormalisedContext } from '../context.js';
import { canonicalIp, type Networks } from './ip.js';
import { MemoryGuardStore } from './memory-store.js';
import type { GuardStore } from './types.js';
import type { Diagnose } from '../internal/log.js';

/** Guards after defaults (see `GuardOptions`). */
export interface GuardPlan {
  enumeration: { maxDistinct: number; windowMs: number } | undefined;
  velocity:
    | {
        perMinute: number | undefined;
        blockMs: number;
        regularity: { samples: number; maxCv: number; maxMeanGapMs: number } | undefined;
      }
    | undefined;
  ip: { allow: Networks | undefined; operators: ReadonlyMap<string, Networks>; alertOnNewIp: boolean; rememberMs: number };
  store: GuardStore;
  /** This process's memory, used while `store` is failing. */
  fallback: GuardStore;
  /** HMAC key for store keys and members: the store holds no ID, name, date, operator id or IP. */
  key: Buffer;
  storeTimeoutMs: number;
  onAlert: ((alert: GuardAlert) => void) | undefined;
  /** Where diagnostics go (the client's `logger`). */
  diagnose?: Diagnose;
}

/** Something a guard saw that a person should look at. Written to the trail as `guard.alert`. */
export interface GuardAlert {
  /** `enumeration`: a citizen tried with too many dates of birth or names; `velocity`: a macro-speed
   * or machine-regular operator was blocked; `new-ip`: an operator appeared from an IP not seen before. */
  guard: 'enumeration' | 'velocity' | 'new-ip';
  operatorId: string;
  ip: string;
  /** Masked ID number (enumeration). */
  subject?: string;
  detail: Record<string, string | number>;
}

/** The values of a call the enumeration guard counts, per citizen. */
export interface GuardProbe {
  idNumber: string;
  masked: string;
  values: ReadonlyArray<readonly ['dateOfBirth' | 'fullName', string]>;
}

export interface GuardVerdict {
  denial: GuardError | undefined;
  alerts: GuardAlert[];
}

/**
 * Step 3 of the pipeline: the IP policy and operator velocity before dedup (every call), and
 * enumeration for calls that must go upstream (before the intent, quota and network). A denial is
 * returned, not thrown, with the alerts to record: the client writes them and `lookup.denied` in one
 * batch, then throws.
 */
export class Guards {
  readonly #p: GuardPlan;
  readonly #unit: string;
  readonly #clock: () => number;
  /** Until when the store is skipped after it failed (epoch ms). */
  #storeDownUntil = 0;
  /** Operator ids and IPs are few: their HMACs are kept, not recomputed per call. */
  readonly #macs = new BoundedMemo<string>(10_000);
  /** Operator + IP pairs the caller guards passed, until when they need no check (without velocity). */
  readonly #confirmed = new BoundedMemo<number>(10_000);
  readonly #key: KeyObject;

  constructor(plan: GuardPlan, unitCode: string, clock: () => number = Date.now) {
    this.#p = plan;
    this.#key = createSecretKey(plan.key);
    this.#unit = unitCode;
    this.#clock = clock;
  }


  /**
   * The guards on the caller — IP policy, new-IP alert, velocity — for every call, cached answers
   * included (a script reading the cache is still a script).
   */
  checkCaller(ctx: NormalisedContext): Promise<GuardVerdict> {
    if (this.#p.velocity === undefined) {
      // The IP policy is configuration: an operator and IP it admitted, and the store confirmed
      // known, need neither again for a minute (a storm of one officer's calls is one store call a minute).
      const until = this.#confirmed.get(pairOf(ctx));
      if (until !== undefined && until > this.#clock()) return CLEAR;
    }
    return this.#guarded((store) => this.#caller(store, ctx));
  }

  /**
   * The enumeration guard, for a call that must ask the upstream (a cache miss). A cached answer is
   * for values that already passed it, and costs the upstream nothing; what enumeration protects is
   * the upstream, one new value at a time.
   */
  checkValues(ctx: NormalisedContext, probe: GuardProbe | undefined): Promise<GuardVerdict> {
    if (!this.#p.enumeration || !probe) return Promise.resolve({ denial: undefined, alerts: [] });
    return this.#guarded((store) => this.#values(store, ctx, probe));
  }

  /**
   * Run against the store; if it fails or is slow, against this process's memory (and skip the
   * store for 5 s). A guard is a detector: it must not turn a Redis outage into an outage of its
   * own, and the quota, which shares that Redis, already fails closed.
   */
  async #guarded(run: (store: GuardStore) => Promise<GuardVerdict>): Promise<GuardVerdict> {
    // This process's memory cannot hang or fail: no timer for it on every call.
    if (this.#p.store instanceof MemoryGuardStore) return this.#announce(await run(this.#p.store));
    let verdict: GuardVerdict | undefined;
    if (this.#clock() >= this.#storeDownUntil) {
      try {
        verdict = await withTimeout(run(this.#p.store), this.#p.storeTimeoutMs,
          () => new Error(`guard store did not answer within ${this.#p.storeTimeoutMs} ms`));
      } catch (err) {
        this.#storeDownUntil = this.#clock() + 5_000;
        this.#p.diagnose?.('warn', 'DANCU_GUARD_STORE_DOWN', 'dancu guard store failed: guards run on this process\'s memory for 5 s, then try it again',
          { error: String((err as Error)?.message ?? err).slice(0, 300) });
      }
    }
    return this.#announce(verdict ?? (await run(this.#p.fallback)));
  }

  #announce(verdict: GuardVerdict): GuardVerdict {
    for (const a of verdict.alerts) this.#notify(a);
    return verdict;
  }

  async #caller(store: GuardStore, ctx: NormalisedContext): Promise<GuardVerdict> {
    const alerts: GuardAlert[] = [];
    const who = { operatorId: ctx.operator.id, ip: ctx.operator.ip };
    const op = this.#keptMac('op', this.#unit, ctx.operator.id);

    // IP policy: the operator's own list if it has one, else the unit's.
    const ip = canonicalIp(ctx.operator.ip);
    const allowed = this.#p.ip.operators.get(ctx.operator.id) ?? this.#p.ip.allow;
    if (allowed && !allowed.has(ip)) {
      return { denial: new GuardError('ERR_GUARD_IP',
        `Operator calls are allowed only from the configured networks; this call came from another address (${ip}). Nothing was sent.`), alerts };
    }
    if (this.#p.ip.alertOnNewIp) {
      const seen = await store.remember(`ip:${op}`, this.#keptMac('ip', ip), this.#p.ip.rememberMs);
      if (seen.isNew && seen.known > 0) alerts.push({ ...who, guard: 'new-ip', detail: { knownIps: seen.known } });
    }
    if (this.#p.velocity === undefined) this.#confirmed.set(pairOf(ctx), this.#clock() + CONFIRMED_MS);

    const v = this.#p.velocity;
    if (v) {
      const keep = Math.max((v.perMinute ?? 0) + 1, v.regularity?.samples ?? 0);
      const ttl = Math.max(60_000, v.regularity ? v.regularity.samples * v.regularity.maxMeanGapMs : 0);
      const calls = await store.recordCall(`v:${op}`, keep, ttl);
      if (calls.blockedMs > 0) return { denial: velocityError(calls.blockedMs), alerts };
      const now = calls.times[calls.times.length - 1]!;
      const inMinute = calls.times.filter((t) => t > now - 60_000).length;
      let reason: string | undefined;
      const detail: Record<string, number | string> = {};
      if (v.perMinute !== undefined && inMinute > v.perMinute) {
        reason = 'rate';
        detail['callsInMinute'] = inMinute;
        detail['perMinute'] = v.perMinute;
      } else if (v.regularity && calls.times.length >= v.regularity.samples) {
        const { mean, cv } = spacing(calls.times.slice(-v.regularity.samples));
        if (mean >= 50 && mean <= v.regularity.maxMeanGapMs && cv <= v.regularity.maxCv) {
          reason = 'regular';
          detail['meanGapMs'] = Math.round(mean);
          detail['cv'] = Math.round(cv * 1000) / 1000;
        }
      }
      if (reason) {
        if (await store.block(`v:${op}`, v.blockMs)) {
          alerts.push({ ...who, guard: 'velocity', detail: { reason, ...detail, blockedMs: v.blockMs } });
        }
        return { denial: velocityError(v.blockMs), alerts };
      }
    }
    return { denial: undefined, alerts };
  }

  async #values(store: GuardStore, ctx: NormalisedContext, probe: GuardProbe): Promise<GuardVerdict> {
    const e = this.#p.enumeration!;
    // One HMAC per call: the subject is its first 96 bits, and a value's tag is keyed by the other
    // 160 bits, which the store never sees (as the cache's entry keys are).
    const full = this.#macBytes('s', probe.idNumber);
    const subject = full.toString('base64url', 0, 12);
    const hidden = full.toString('base64url', 12);
    for (const [field, value] of probe.values) {
      const r = await store.admitDistinct(`e:${field}:${subject}`, hiddenTag(hidden, [field, value], 16), e.maxDistinct, e.windowMs);
      if (r.allowed) continue;
      const alerts: GuardAlert[] = r.firstDenial
        ? [{ operatorId: ctx.operator.id, ip: ctx.operator.ip, guard: 'enumeration', subject: probe.masked, detail: { field, distinct: r.distinct, maxDistinct: e.maxDistinct, windowMs: e.windowMs } }]
        : [];
      return {
        denial: new GuardError('ERR_GUARD_ENUMERATION',
          `Citizen ${probe.masked} was already tried with ${r.distinct} different values of ${field} (the most allowed in ${Math.round(e.windowMs / 60_000)} min); ` +
            'another one looks like enumeration and was refused. Nothing was sent. Check the record with the citizen.',
          r.remainingMs),
        alerts,
      };
    }
    return { denial: undefined, alerts: [] };
  }

  #notify(alert: GuardAlert): void {
    publishGuardAlert(alert.guard);
    // The operator id and IP stay out of the log line: the trail's guard.alert event has them.
    this.#p.diagnose?.('warn', 'DANCU_GUARD_ALERT', `dancu guard alert: ${alert.guard}`,
      { guard: alert.guard, ...(alert.subject ? { subject: alert.subject } : {}), detail: alert.detail });
    try {
      this.#p.onAlert?.(alert);
    } catch {
      // An alert hook must not break the call; the alert is in the trail anyway.
    }
  }

  /** {@link #mac} of an operator id or an IP, kept in {@link #macs}. */
  #keptMac(...parts: string[]): string {
    const key = parts.join('\u001f');
    return this.#macs.get(key) ?? this.#macs.set(key, this.#mac(...parts));
  }

  #mac(...parts: string[]): string {
    return this.#macBytes(...parts).toString('base64url', 0, 12);
  }

  #macBytes(...parts: string[]): Buffer {
    return createHmac('sha256', this.#key).update(parts.join('\u001f')).digest();
  }
}

/** How long an operator + IP pair that passed the caller guards is not checked again (without velocity). */
const CONFIRMED_MS = 60_000;
/** The key of an operator + IP pair in {@link Guards}' memory of confirmed pairs (this process only). */
const pairOf = (ctx: NormalisedContext): string => `${ctx.operator.id}\u001f${ctx.operator.ip}`;
const CLEAR: Promise<GuardVerdict> = Promise.resolve(Object.freeze({ denial: undefined, alerts: Object.freeze([]) as unknown as GuardAlert[] }));

function velocityError(ms: number): GuardError {
  return new GuardError('ERR_GUARD_VELOCITY',
    `This operator is calling faster or more regularly than a person works (a script or macro); their calls are refused for ${Math.ceil(ms / 1000)} s. Nothing was sent.`,
    ms);
}

/** Mean and coefficient of variation of the gaps between call times. */
export function spacing(times: readonly number[]): { mean: number; cv: number } {
  const gaps: number[] = [];
  for (let i = 1; i < times.length; i++) gaps.push(times[i]! - times[i - 1]!);
  const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
  const sd = Math.sqrt(gaps.reduce((a, g) => a + (g - mean) ** 2, 0) / gaps.length);
  return { mean, cv: mean > 0 ? sd / mean : Infinity };
}
