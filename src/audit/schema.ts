import { z } from 'zod';

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
  operation: z.enum(['verify', 'lookup']).optional(),
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

export type AuditEventBody = z.infer<typeof AuditEventBodySchema>;
export type AuditEvent = z.infer<typeof AuditEventSchema>;
