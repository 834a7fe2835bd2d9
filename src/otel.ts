/**
 * `dancu/otel`: OpenTelemetry spans for dancu's calls, built from its `diagnostics_channel` tracing
 * channels (docs/operations.md). `@opentelemetry/api` is an optional peer: only this entry imports
 * it, and no OTel type is in its API (a tracer provider is passed as the object it is).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { tracingChannel } from 'node:diagnostics_channel';
import { context, SpanKind, SpanStatusCode, trace, type Span, type TracerProvider } from '@opentelemetry/api';
import { VERSION } from './version.js';

/** Options of {@link instrumentDancu}. */
export interface InstrumentDancuOptions {
  /** An OpenTelemetry `TracerProvider`. Default: the global one (`trace.getTracerProvider()`). */
  tracerProvider?: object;
}

/** What {@link instrumentDancu} returns. */
export interface DancuInstrumentation {
  /** Stop making spans (unsubscribes from the channels). */
  disable(): void;
}

type Ctx = { operation?: string; purpose?: string; source?: string; errorCode?: string; statusCode?: number; attempt?: number; requestId?: string; server?: string; events?: number };
type Handlers = Record<'start' | 'end' | 'asyncStart' | 'asyncEnd' | 'error', (message: unknown) => void>;

const CALL_SPAN: Readonly<Record<string, string>> = { verify: 'dancu.verify', lookup: 'dancu.lookup' };

/**
 * Make a span for every dancu call (`dancu.verify`, `dancu.lookup`, `dancu.call`), under the span
 * active where the call was made, with a child per stage that takes time: each quota reservation
 * (`dancu.quota.reserve`), each durable audit write (`dancu.audit.commit`) and each request to the
 * gateway (`POST`, an HTTP client span: `http.request.method`, `server.address`,
 * `http.response.status_code` when it failed with one, `error.type`). Attributes name the purpose,
 * operation, result source, outcome, error code and attempts: never an ID number, a name, a date of
 * birth, an IP address or an operator id. Call it once, after your OpenTelemetry SDK is set up.
 *
 * @example
 * ```ts
 * import { instrumentDancu } from 'dancu/otel'
 * instrumentDancu() // the global tracer provider your OTel SDK registered
 * ```
 */
export function instrumentDancu(options: InstrumentDancuOptions = {}): DancuInstrumentation {
  const provider = (options.tracerProvider ?? trace.getTracerProvider()) as TracerProvider;
  if (typeof provider?.getTracer !== 'function') throw new TypeError('instrumentDancu: tracerProvider must be an OpenTelemetry TracerProvider');
  const tracer = provider.getTracer('dancu', VERSION);
  const current = new AsyncLocalStorage<Span>();
  const spans = new WeakMap<object, Span>();
  const attempts = new WeakMap<Span, number>();
  const parent = () => {
    const call = current.getStore();
    return call ? trace.setSpan(context.active(), call) : context.active();
  };
  const failed = (span: Span, c: Ctx) => {
    if (c.errorCode === undefined) return;
    span.setAttribute('error.type', c.errorCode);
    span.setStatus({ code: SpanStatusCode.ERROR, message: c.errorCode });
  };
  const finish = (message: unknown, more: (span: Span, c: Ctx) => void) => {
    const span = spans.get(message as object);
    if (!span) return;
    spans.delete(message as object);
    const c = message as Ctx;
    more(span, c);
    failed(span, c);
    span.end();
  };
  const noop = () => undefined;
  const subscriptions: Array<[string, Handlers]> = [];
  const on = (name: string, start: (c: Ctx) => Span, end: (span: Span, c: Ctx) => void) => {
    const handlers: Handlers = {
      start: (m) => void spans.set(m as object, start(m as Ctx)),
      end: noop,
      asyncStart: noop,
      error: noop,
      asyncEnd: (m) => finish(m, end),
    };
    tracingChannel(name).subscribe(handlers);
    subscriptions.push([name, handlers]);
  };

  // The call's span is made when its context is bound (before `start`), so that the stages of the
  // call find it in `current`.
  const calls = tracingChannel('dancu:call');
  calls.start.bindStore(current, (m) => {
    const c = m as Ctx;
    const span = tracer.startSpan(CALL_SPAN[c.operation ?? ''] ?? 'dancu.call', { kind: SpanKind.INTERNAL, attributes: { 'dancu.operation': c.operation ?? '' } }, context.active());
    spans.set(m as object, span);
    attempts.set(span, 0);
    return span;
  });
  const callHandlers: Handlers = {
    start: noop, end: noop, asyncStart: noop, error: noop,
    asyncEnd: (m) => finish(m, (span, c) => {
      if (c.purpose !== undefined) span.setAttribute('dancu.purpose', c.purpose);
      if (c.source !== undefined) {
        span.setAttribute('dancu.result.source', c.source);
        span.setAttribute('dancu.cache_hit', c.source !== 'upstream');
      }
      span.setAttribute('dancu.outcome', c.errorCode === undefined ? 'ok' : 'error');
      if (c.errorCode !== undefined) span.setAttribute('dancu.error_code', c.errorCode);
      span.setAttribute('dancu.attempts', attempts.get(span) ?? 0);
    }),
  };
  calls.subscribe(callHandlers);
  subscriptions.push(['dancu:call', callHandlers]);

  on('dancu:upstream', (c) => {
    const call = current.getStore();
    if (call) attempts.set(call, (attempts.get(call) ?? 0) + 1);
    return tracer.startSpan('POST', {
      kind: SpanKind.CLIENT,
      attributes: { 'http.request.method': 'POST', 'server.address': c.server ?? '', 'dancu.operation': c.operation ?? '', 'dancu.attempt': c.attempt ?? 1, 'dancu.request_id': c.requestId ?? '' },
    }, parent());
  }, (span, c) => {
    if (c.statusCode !== undefined) span.setAttribute('http.response.status_code', c.statusCode);
  });
  on('dancu:quota', () => tracer.startSpan('dancu.quota.reserve', { kind: SpanKind.INTERNAL }, parent()), noop);
  on('dancu:audit', (c) => tracer.startSpan('dancu.audit.commit', { kind: SpanKind.INTERNAL, attributes: { 'dancu.audit.events': c.events ?? 0 } }, parent()), noop);

  return {
    disable() {
      for (const [name, handlers] of subscriptions.splice(0)) tracingChannel(name).unsubscribe(handlers);
      calls.start.unbindStore(current);
    },
  };
}
