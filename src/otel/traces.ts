/**
 * The spans of `dancu/otel`, from dancu's tracing channels (src/internal/channels.ts).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { tracingChannel } from 'node:diagnostics_channel';
import { context, SpanKind, SpanStatusCode, trace, type Attributes, type Span, type Tracer } from '@opentelemetry/api';

type Ctx = { operation?: string; purpose?: string; source?: string; errorCode?: string; statusCode?: number; attempt?: number; requestId?: string; serverAddress?: string; serverPort?: number; events?: number };
type Handlers = Record<'start' | 'end' | 'asyncStart' | 'asyncEnd' | 'error', (message: unknown) => void>;

const CALL_SPAN: Readonly<Record<string, string>> = { verify: 'dancu.verify', lookup: 'dancu.lookup' };

/**
 * Subscribe `tracer` to the channels: a span for every dancu call (`dancu.verify`, `dancu.lookup`,
 * `dancu.call`) under the span active where the call was made, with a child per stage that takes
 * time (each quota reservation, audit write and request to the gateway). Returns the unsubscribe.
 */
export function traceChannels(tracer: Tracer): () => void {
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
    if (span.isRecording()) {
      more(span, c);
      failed(span, c);
    }
    span.end();
  };
  const noop = () => undefined;
  const subscriptions: Array<[string, Handlers]> = [];
  const on = (name: string, start: (c: Ctx) => Span, end: (span: Span, c: Ctx) => void) => {
    const handlers: Handlers = {
      start: (m) => {
        // A stage of a call the sampler left out would be left out too (its parent decides): make nothing.
        const call = current.getStore();
        if (call && !call.isRecording()) return;
        spans.set(m as object, start(m as Ctx));
      },
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
      const a: Attributes = { 'dancu.outcome': c.errorCode === undefined ? 'ok' : 'error', 'dancu.attempts': attempts.get(span) ?? 0 };
      if (c.purpose !== undefined) a['dancu.purpose'] = c.purpose;
      if (c.source !== undefined) {
        a['dancu.result.source'] = c.source;
        a['dancu.cache_hit'] = c.source !== 'upstream';
      }
      if (c.errorCode !== undefined) a['dancu.error_code'] = c.errorCode;
      span.setAttributes(a);
    }),
  };
  calls.subscribe(callHandlers);
  subscriptions.push(['dancu:call', callHandlers]);

  on('dancu:upstream', (c) => {
    const call = current.getStore();
    if (call) attempts.set(call, (attempts.get(call) ?? 0) + 1);
    return tracer.startSpan('POST', {
      kind: SpanKind.CLIENT,
      attributes: { 'http.request.method': 'POST', 'server.address': c.serverAddress ?? '', 'server.port': c.serverPort ?? 0, 'dancu.operation': c.operation ?? '', 'dancu.attempt': c.attempt ?? 1, 'dancu.request_id': c.requestId ?? '' },
    }, parent());
  }, (span, c) => {
    if (c.statusCode !== undefined) span.setAttribute('http.response.status_code', c.statusCode);
  });
  on('dancu:quota', () => tracer.startSpan('dancu.quota.reserve', { kind: SpanKind.INTERNAL }, parent()), noop);
  on('dancu:audit', (c) => tracer.startSpan('dancu.audit.commit', { kind: SpanKind.INTERNAL, attributes: { 'dancu.audit.events': c.events ?? 0 } }, parent()), noop);

  return () => {
    for (const [name, handlers] of subscriptions.splice(0)) tracingChannel(name).unsubscribe(handlers);
    calls.start.unbindStore(current);
  };
}
