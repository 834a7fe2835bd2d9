import { z } from 'zod';
import { ValidationError } from '../errors.js';

/** Version of the event schema written in every event (`v`). */
export const AUDIT_SCHEMA_VERSION = 1;

export const AUDIT_EVENT_TYPES = [
  'config.loaded',
  'session.login',
  'session.logout',
  'lookup.intent',
  'lookup.outcome',
  'lookup.denied',
  'cache.hit',
  'upstream.locked',
  'guard.alert',
  'audit.recovered',
] as const;

export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

const operator = z.object({
  id: z.string().optional(),
  ip: z.string().optional(),
  sessionId: z.string().optional(),
  /** The session's login IP, on the events of calls made through a session (`ip` is the call's). */
  loginIp: z.string().optional(),
  userAgent: z.string().optional(),
});

/**
 * One audit event before it is chained (what the client produces). Personal data is never in it
 * by default: the subject is a keyed HMAC of the ID number plus a masked form; names and dates of
 * birth are not recorded, only which fields were asked.
 */
export const AuditEventBodySchema = z.object({
  v: z.literal(AUDIT_SCHEMA_VERSION),
  ts: z.string(),
  eventId: z.string(),
  type: z.enum(AUDIT_EVENT_TYPES),
  system: z.object({
    id: z.string(),
    unitCode: z.string(),
    version: z.string(),
    instance: z.string(),
    fingerprint: z.string(),
    sdk: z.string(),
  }),
  operator: operator.optional(),
  purpose: z.object({ code: z.string().optional(), dossierId: z.string().optional(), legalBasis: z.string().optional() }).optional(),
  /** `verify`, `lookup`, or the name of a profile's extra operation (`client.call`). */
  operation: z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/).optional(),
  subject: z.object({ hmac: z.string(), masked: z.string(), raw: z.string().optional() }).optional(),
  /** What was asked: verify → the fields compared; lookup → the fields requested. */
  fields: z.array(z.string()).optional(),
  requestId: z.string().optional(),
  /** For `lookup.outcome`: the `eventId` of its `lookup.intent`. */
  intentId: z.string().optional(),
  outcome: z.enum(['match', 'mismatch', 'not_found', 'found', 'error', 'denied', 'unknown', 'ok']).optional(),
  /** Error code for `error` and `denied` outcomes. */
  code: z.string().optional(),
  /** For `cache.hit`: `cache` or `joined`. */
  source: z.enum(['upstream', 'cache', 'joined']).optional(),
  latencyMs: z.number().optional(),
  detail: z.record(z.string(), z.unknown()).optional(),
});

/** A chained event, as sinks store it. */
export const AuditEventSchema = AuditEventBodySchema.extend({
  seq: z.number().int().positive(),
  prevHash: z.string().regex(/^[0-9a-f]{64}$/),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
});

/** One audit event before it is chained: a plain type (no zod type in the public API), tied to the schema below. */
export interface AuditEventBody {
  /** Schema version ({@link AUDIT_SCHEMA_VERSION}). */
  v: 1;
  /** When, ISO 8601 with the Vietnam offset. */
  ts: string;
  eventId: string;
  type: AuditEventType;
  /** Who wrote it: system id, unit, version, the writer instance (chain), the configuration fingerprint, the SDK version. */
  system: { id: string; unitCode: string; version: string; instance: string; fingerprint: string; sdk: string };
  /** The officer: id, the IP of this call, the session, the session's login IP, the user agent (at login). */
  operator?: { id?: string | undefined; ip?: string | undefined; sessionId?: string | undefined; loginIp?: string | undefined; userAgent?: string | undefined } | undefined;
  /** The registered purpose, the dossier served, the legal basis. */
  purpose?: { code?: string | undefined; dossierId?: string | undefined; legalBasis?: string | undefined } | undefined;
  /** `verify`, `lookup`, or the name of a profile's extra operation (`client.call`). */
  operation?: string | undefined;
  /** The citizen: a keyed HMAC of the ID number and its masked form (the raw value only if configured). */
  subject?: { hmac: string; masked: string; raw?: string | undefined } | undefined;
  /** What was asked: verify → the fields compared; lookup → the fields requested. */
  fields?: string[] | undefined;
  requestId?: string | undefined;
  /** For `lookup.outcome`: the `eventId` of its `lookup.intent`. */
  intentId?: string | undefined;
  outcome?: 'match' | 'mismatch' | 'not_found' | 'found' | 'error' | 'denied' | 'unknown' | 'ok' | undefined;
  /** Error code for `error` and `denied` outcomes. */
  code?: string | undefined;
  /** For `cache.hit`: `cache` or `joined`. */
  source?: 'upstream' | 'cache' | 'joined' | undefined;
  latencyMs?: number | undefined;
  detail?: Record<string, unknown> | undefined;
}

/** A chained event, as sinks store it. */
export interface AuditEvent extends AuditEventBody {
  seq: number;
  prevHash: string;
  hash: string;
}

// The schemas accept exactly these types: a change to one without the other does not compile.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
export const bodyTypeMatchesSchema: Same<z.output<typeof AuditEventBodySchema>, AuditEventBody> = true;
export const eventTypeMatchesSchema: Same<z.output<typeof AuditEventSchema>, AuditEvent> = true;

/**
 * Parse one event read from a trail (a JSON object): the event if it has the schema's shape, or
 * `ERR_INPUT_INVALID` naming the first path that does not (never a value).
 */
export function parseAuditEvent(value: unknown): AuditEvent {
  const r = AuditEventSchema.safeParse(value);
  if (r.success) return r.data as AuditEvent;
  const issue = r.error.issues[0]!;
  throw new ValidationError('ERR_INPUT_INVALID', issue.path.map(String).join('.') || '(event)', issue.code, 'not an audit event of this schema');
}
