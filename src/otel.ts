/**
 * `dancu/otel`: OpenTelemetry spans and metrics for dancu's calls, built from its
 * `diagnostics_channel` channels (docs/operations.md). `@opentelemetry/api` is an optional peer:
 * only this entry imports it, and no OTel type is in its API (providers are passed as the objects
 * they are).
 */
import { metrics, trace, type MeterProvider, type TracerProvider } from '@opentelemetry/api';
import { meterChannels, type MeteredClient } from './otel/metrics.js';
import { traceChannels } from './otel/traces.js';
import { VERSION } from './version.js';

/** Options of {@link instrumentDancu}. */
export interface InstrumentDancuOptions {
  /** An OpenTelemetry `TracerProvider`. Default: the global one (`trace.getTracerProvider()`). */
  tracerProvider?: object;
  /** An OpenTelemetry `MeterProvider`. Default: the global one (`metrics.getMeterProvider()`). */
  meterProvider?: object;
  /** Make spans. Default `true`. */
  traces?: boolean;
  /** Record metrics. Default `true`. */
  metrics?: boolean;
  /**
   * The clients whose quota, cache and circuit breaker the observable gauges read, at each
   * collection (one `quota.status()` and one `cache.stats()` per client). The counters and
   * histograms need none: they count every client of the process.
   */
  clients?: readonly MeteredClient[];
}

/** What {@link instrumentDancu} returns. */
export interface DancuInstrumentation {
  /** Stop making spans and recording metrics (unsubscribes from the channels, removes the gauges' callback). */
  disable(): void;
}

/**
 * Make a span for every dancu call (`dancu.verify`, `dancu.lookup`, `dancu.call`), under the span
 * active where the call was made, with a child per stage that takes time: each quota reservation
 * (`dancu.quota.reserve`), each durable audit write (`dancu.audit.commit`) and each request to the
 * gateway (`POST`, an HTTP client span: `http.request.method`, `server.address`,
 * `http.response.status_code` when it failed with one, `error.type`); and record the metrics
 * docs/operations.md lists (calls, durations, guard denials and alerts; with `clients`, the quota,
 * lock distance, breaker and cache gauges). Attributes name the purpose, operation, result source,
 * outcome, error code, budget and unit: never an ID number, a name, a date of birth, an IP address
 * or an operator id. Call it once, after your OpenTelemetry SDK is set up.
 *
 * @example
 * ```ts
 * import { instrumentDancu } from 'dancu/otel'
 * instrumentDancu({ clients: [client] }) // the global providers your OTel SDK registered
 * ```
 */
export function instrumentDancu(options: InstrumentDancuOptions = {}): DancuInstrumentation {
  const stops: Array<() => void> = [];
  if (options.traces !== false) {
    const provider = (options.tracerProvider ?? trace.getTracerProvider()) as TracerProvider;
    if (typeof provider?.getTracer !== 'function') throw new TypeError('instrumentDancu: tracerProvider must be an OpenTelemetry TracerProvider');
    stops.push(traceChannels(provider.getTracer('dancu', VERSION)));
  }
  if (options.metrics !== false) {
    const provider = (options.meterProvider ?? metrics.getMeterProvider()) as MeterProvider;
    if (typeof provider?.getMeter !== 'function') throw new TypeError('instrumentDancu: meterProvider must be an OpenTelemetry MeterProvider');
    const clients = options.clients ?? [];
    if (!Array.isArray(clients) || clients.some((c) => typeof (c as Partial<MeteredClient> | null)?.quota?.status !== 'function')) {
      throw new TypeError('instrumentDancu: clients must be dancu clients');
    }
    stops.push(meterChannels(provider.getMeter('dancu', VERSION), clients));
  }
  return { disable: () => { for (const stop of stops.splice(0)) stop(); } };
}

export type { MeteredClient };
