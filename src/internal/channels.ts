import { channel, tracingChannel } from 'node:diagnostics_channel';

/**
 * `node:diagnostics_channel` tracing channels, as undici publishes `undici:request:*`: an APM tool
 * subscribes without dancu depending on it. Each channel's context object is published on `start`,
 * `end` (the synchronous part returned), then `error` (if it failed), `asyncStart` and `asyncEnd`,
 * the same object each time, filled in as the call goes. It carries no ID number, name, date of
 * birth, IP or operator id: only what names the call's kind and how it ended.
 */

/** Context of `dancu:call`: one per `verifyCitizen`, `lookupCitizen` or `call`. */
export interface CallTraceContext {
  /** `verify`, `lookup`, or the extra operation's name. */
  operation: string;
  /** Set when it succeeded: the registered purpose it was made under (the caller's input is never read here). */
  purpose?: string;
  /** Set when it succeeded: `upstream`, `cache` or `joined`. */
  source?: string;
  /** Set when it failed: the `DancuError` code, or `unknown`. */
  errorCode?: string;
  /** Set when it failed: the error the caller gets. */
  error?: unknown;
}

/** Context of `dancu:upstream`: one per request sent to the gateway (each attempt of a call). */
export interface UpstreamTraceContext {
  operation: string;
  /** 1 for the first request of a call, then 2, 3… for retries. */
  attempt: number;
  /** `MaYeuCau`: the same for every attempt of a call, and on the audit events. */
  requestId: string;
  /** The gateway's host name (an IPv6 address without brackets). */
  serverAddress: string;
  /** The gateway's port (443 or 80 when the base URL names none). */
  serverPort: number;
  /** Set when it failed with an HTTP answer: its status. */
  statusCode?: number;
  errorCode?: string;
  error?: unknown;
}

/** Context of `dancu:quota` (one reservation before each request) and `dancu:audit` (one durable write of events). */
export interface StageTraceContext {
  /** `dancu:audit`: how many events the write holds. */
  events?: number;
  errorCode?: string;
  error?: unknown;
}

/** Message of `dancu:guard` (a plain channel): one per guard alert the trail records. */
export interface GuardAlertMessage {
  /** `enumeration`, `velocity`, `new-ip`, or `audit.witness`. */
  guard: string;
}

const calls = tracingChannel<unknown, CallTraceContext & object>('dancu:call');
const upstream = tracingChannel<unknown, UpstreamTraceContext & object>('dancu:upstream');
const quota = tracingChannel<unknown, StageTraceContext & object>('dancu:quota');
const audit = tracingChannel<unknown, StageTraceContext & object>('dancu:audit');

const codeOf = (err: unknown) => {
  const c = (err as { code?: unknown } | null)?.code;
  return typeof c === 'string' && c.startsWith('ERR_') ? c : 'unknown';
};

/** Run `fn` as one traced unit on `channel` (the callers check `hasSubscribers` first: nothing is built otherwise). */
function traced<C extends { errorCode?: string; error?: unknown }, T>(
  channel: typeof calls | typeof upstream | typeof quota | typeof audit,
  context: C,
  fn: () => Promise<T>,
  done?: (context: C, value: T) => void,
): Promise<T> {
  const ch = channel as unknown as ReturnType<typeof tracingChannel<unknown, C & object>>;
  return ch.start.runStores(context as C & object, () => {
    try {
      return fn().then(
        (value) => {
          done?.(context, value);
          ch.asyncStart.publish(context as C & object);
          ch.asyncEnd.publish(context as C & object);
          return value;
        },
        (err: unknown) => {
          context.error = err;
          context.errorCode = codeOf(err);
          const status = (err as { status?: unknown } | null)?.status;
          if (typeof status === 'number' && status > 0) (context as { statusCode?: number }).statusCode = status;
          ch.error.publish(context as C & object);
          ch.asyncStart.publish(context as C & object);
          ch.asyncEnd.publish(context as C & object);
          throw err;
        },
      );
    } finally {
      ch.end.publish(context as C & object);
    }
  });
}

/** One public call on `dancu:call`; `describe` names how a call that succeeded was served. */
export function traceCall<T>(operation: string, fn: () => Promise<T>, describe: (value: T) => { source: string; purpose: string }): Promise<T> {
  if (!calls.hasSubscribers) return fn();
  return traced(calls, { operation } as CallTraceContext, fn, (c, r) => Object.assign(c, describe(r)));
}

/** One request to the gateway on `dancu:upstream`. */
export function traceUpstream<T>(operation: string, attempt: number, requestId: string, server: { address: string; port: number }, fn: () => Promise<T>): Promise<T> {
  if (!upstream.hasSubscribers) return fn();
  return traced(upstream, { operation, attempt, requestId, serverAddress: server.address, serverPort: server.port } as UpstreamTraceContext, fn);
}

/** One quota reservation on `dancu:quota`. */
export function traceQuota<T>(fn: () => Promise<T>): Promise<T> {
  if (!quota.hasSubscribers) return fn();
  return traced(quota, {} as StageTraceContext, fn);
}

/** One durable write of `events` audit events on `dancu:audit`. */
export function traceAudit<T>(events: number, fn: () => Promise<T>): Promise<T> {
  if (!audit.hasSubscribers) return fn();
  return traced(audit, { events } as StageTraceContext, fn);
}

const guards = channel('dancu:guard');

/** A guard alert on `dancu:guard` (the guard's name only: who and what are in the trail). */
export function publishGuardAlert(guard: string): void {
  if (guards.hasSubscribers) guards.publish({ guard } satisfies GuardAlertMessage);
}
