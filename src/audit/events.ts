/**
 * The events of a call, built in one place: what an auditor reads is decided here, not spread over
 * the client. Each builder returns an event draft; the trail adds version, time, id and system.
 */
import type { NormalisedContext } from '../context.js';
import type { UpstreamLockedError } from '../errors.js';
import type { GuardAlert } from '../guard/guards.js';
import type { Operation } from '../purpose/registry.js';
import type { AnyAnswer } from '../transport/types.js';
import type { AuditEventBody } from './schema.js';
import type { WitnessProblem } from './witness.js';
import { isDancuError } from '../errors.js';
import type { AuditEvent } from './schema.js';

/** An event as the client describes it; the trail adds version, time, id and system. */
export type EventDraft = Omit<AuditEventBody, 'v' | 'ts' | 'eventId' | 'system'>;

/** What every event of one admitted call carries. */
export interface EventBase {
  operation: Operation;
  operator: NormalisedContext['operator'];
  purpose: { code: string; legalBasis: string; dossierId?: string };
  subject: NonNullable<AuditEventBody['subject']>;
  fields: string[];
}

/** A call refused before it was admitted (input, context, purpose): only what can be said of it safely. */
export function refused(operation: Operation, described: Record<string, unknown>, err: unknown): EventDraft {
  return { type: 'lookup.denied', operation, ...described, ...outcomeOf(undefined, err) };
}

/** A guard's refusal of an admitted call. */
export function guardDenied(base: EventBase, err: unknown): EventDraft {
  return { type: 'lookup.denied', ...base, ...outcomeOf(undefined, err) };
}

/** Something a guard saw that a person should look at. */
export function guardAlert(a: GuardAlert, base: EventBase): EventDraft {
  return {
    type: 'guard.alert',
    operation: base.operation,
    operator: base.operator,
    purpose: base.purpose,
    ...(a.guard === 'enumeration' ? { subject: base.subject } : {}),
    detail: { guard: a.guard, ...a.detail },
  };
}

/** The audit witness is unreachable or refuses the checkpoints (they are retried). */
export function witnessLagging(p: WitnessProblem): EventDraft {
  return { type: 'guard.alert', detail: { guard: 'audit.witness', reason: p.reason, pending: p.pending, lagMs: p.lagMs, message: p.message } };
}

/** The durable record written before a request leaves. */
export function intent(base: EventBase, requestId: string): EventDraft {
  return { type: 'lookup.intent', requestId, ...base };
}

/** The end of an intent: the answer's outcome, or the error's code. */
export function outcome(base: EventBase, intentId: string | undefined, requestId: string, latencyMs: number, answer: AnyAnswer | undefined, err?: unknown): EventDraft {
  return { type: 'lookup.outcome', intentId, requestId, latencyMs, ...base, ...outcomeOf(answer && summaryOf(answer), err) };
}

/** A call served without a request: a cached answer, or one joined in flight. One literal: this is the event of every hit. */
export function hit(base: EventBase, source: 'cache' | 'joined', requestId: string, answer: AnyAnswer): EventDraft {
  const { outcome } = outcomeOf(summaryOf(answer)); // an answer: never a code
  return { type: 'cache.hit', operation: base.operation, operator: base.operator, purpose: base.purpose, subject: base.subject, fields: base.fields, source, requestId, outcome };
}

/** A call that joined another whose request failed: it shares the failure (a guard's refusal is its refusal too). */
export function joinFailed(base: EventBase, err: unknown, isGuard: boolean): EventDraft {
  return isGuard ? guardDenied(base, err) : { type: 'cache.hit', ...base, source: 'joined', ...outcomeOf(undefined, err) };
}

/** The upstream locked the account: the event every auditor and on-call officer looks for. */
export function upstreamLocked(ctx: NormalisedContext, err: UpstreamLockedError): EventDraft {
  return {
    type: 'upstream.locked',
    operator: ctx.operator,
    purpose: { code: ctx.purpose.code },
    ...(err.requestId ? { requestId: err.requestId } : {}),
    detail: { lockedUntil: err.lockedUntil, status: err.status, ...(err.discarded ? { discarded: err.discarded } : {}) },
  };
}

/** What can be said of a refused call without trusting its shape: strings only, the ID as HMAC + mask. */
export function describeRefused(context: unknown, input: unknown, subjectOf: (idNumber: string) => AuditEventBody['subject']): Record<string, unknown> {
  const c = (typeof context === 'object' && context !== null ? context : {}) as Record<string, Record<string, unknown> | undefined>;
  const str = (v: unknown) => (typeof v === 'string' ? v.slice(0, 128) : undefined);
  const out: Record<string, unknown> = {};
  const op = { id: str(c['operator']?.['id']), ip: str(c['operator']?.['ip']), sessionId: str(c['operator']?.['sessionId']), loginIp: str(c['operator']?.['loginIp']) };
  const pu = { code: str(c['purpose']?.['code']), dossierId: str(c['purpose']?.['dossierId']) };
  if (Object.values(op).some(Boolean)) out['operator'] = Object.fromEntries(Object.entries(op).filter(([, v]) => v));
  if (Object.values(pu).some(Boolean)) out['purpose'] = Object.fromEntries(Object.entries(pu).filter(([, v]) => v));
  const idNumber = (input as { idNumber?: unknown } | null)?.idNumber;
  if (typeof idNumber === 'string' && /^\s*(\d\s*){9}$|^\s*(\d\s*){12}$/.test(idNumber)) out['subject'] = subjectOf(idNumber);
  return out;
}

/** What the trail records of an answer: found, and match for a verify; never the record's content. */
function summaryOf(answer: AnyAnswer): { found: boolean; match?: boolean } {
  return 'match' in answer && typeof answer.match === 'boolean' && !('citizen' in answer) ? answer : { found: answer.found === true };
}

/** The outcome of a result or an error, for `lookup.outcome` and `cache.hit`. */
export function outcomeOf(result: { found: boolean; match?: boolean } | undefined, err?: unknown): Pick<AuditEventBody, 'outcome' | 'code'> {
  if (err !== undefined) {
    if (!isDancuError(err)) return { outcome: 'error', code: 'ERR_UNKNOWN' };
    return { outcome: err.local ? 'denied' : 'error', code: err.code };
  }
  if (!result!.found) return { outcome: 'not_found' };
  if (result!.match === undefined) return { outcome: 'found' };
  return { outcome: result!.match ? 'match' : 'mismatch' };
}

/** The trail was opened after a crash: what it repaired. */
export function recovered(tornBytes: number, danglingIntents: number): EventDraft {
  return { type: 'audit.recovered', detail: { tornBytes, danglingIntents } };
}

/** The outcome of an intent whose process died before writing it: unknown (it may have reached the upstream). */
export function closedAtRestart(i: AuditEvent): EventDraft {
  const e: EventDraft = { type: 'lookup.outcome', intentId: i.eventId, outcome: 'unknown', code: 'CRASHED_BEFORE_OUTCOME', detail: { chain: i.system.instance, intentSeq: i.seq } };
  for (const k of ['operator', 'purpose', 'operation', 'subject', 'fields', 'requestId'] as const) if (i[k] !== undefined) (e as Record<string, unknown>)[k] = i[k];
  return e;
}

/** The first event of every start: what this client was configured with (no secrets). */
export function configLoaded(detail: Record<string, unknown>): EventDraft {
  return { type: 'config.loaded', detail };
}
