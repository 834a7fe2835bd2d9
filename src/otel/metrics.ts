/**
 * The metrics of `dancu/otel`: counters and histograms from dancu's channels (every client of the
 * process), observable gauges read from the clients it is given (their public `quota.status()`,
 * `cache.stats()` and `breaker.state()`). docs/operations.md lists them with suggested alerts.
 *
 * Counters are kept here (one `Map` increment a call) and reported by observable counters at
 * collection: the SDK hashes the attributes of every synchronous measurement, which on a cache hit
 * cost more than the hit's own work. Durations need a histogram, so they stay synchronous, on the
 * stages that take time (requests, audit writes), not on every call.
 */
import { channel, tracingChannel } from 'node:diagnostics_channel';
import { ValueType, type Attributes, type BatchObservableResult, type Meter, type Observable, type ObservableCounter, type ObservableResult } from '@opentelemetry/api';

/** What the gauges read of a client: the public surface of `DancuClient`, nothing else. */
export interface MeteredClient {
  readonly system: { readonly id: string; readonly unitCode: string };
  readonly quota: { status(): Promise<{ budgets: ReadonlyArray<{ id: string; kind: string; limit: number; used: number; remaining: number }>; lockThreshold: number; stop?: { reason: string } }> };
  readonly cache: { stats(): Promise<{ hits: number; misses: number; joins: number; size: number }> };
  readonly breaker: { state(): { state: string; reason?: string } };
}

type Ctx = { operation?: string; purpose?: string; source?: string; errorCode?: string; statusCode?: number; serverAddress?: string; serverPort?: number };
type Handlers = Record<'start' | 'end' | 'asyncStart' | 'asyncEnd' | 'error', (message: unknown) => void>;

const GUARD_OF: Readonly<Record<string, string>> = { ERR_GUARD_ENUMERATION: 'enumeration', ERR_GUARD_VELOCITY: 'velocity', ERR_GUARD_IP: 'ip-policy' };
const BREAKER_STATES = ['closed', 'open', 'half-open', 'off'] as const;
// Seconds. The upstream answers in tens to hundreds of ms, and its timeouts run to tens of seconds;
// a durable audit write takes a fraction of a millisecond to a few.
const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const noop = () => undefined;

/** Subscribe `meter` to the channels and observe `clients`. Returns the unsubscribe. */
export function meterChannels(meter: Meter, clients: readonly MeteredClient[]): () => void {
  const upstream = meter.createHistogram('http.client.request.duration', { description: 'Duration of each request to the gateway (each attempt)', unit: 's', advice: { explicitBucketBoundaries: BUCKETS } });
  const audit = meter.createHistogram('dancu.audit.commit.duration', { description: 'Duration of each durable write to the audit trail', unit: 's', advice: { explicitBucketBoundaries: BUCKETS } });
  const counted = {
    calls: new Counts(meter.createObservableCounter('dancu.calls', { description: 'Calls to verifyCitizen, lookupCitizen and call, by how each ended', unit: '{call}', valueType: ValueType.INT })),
    denials: new Counts(meter.createObservableCounter('dancu.guard.denials', { description: 'Calls refused by a guard', unit: '{call}', valueType: ValueType.INT })),
    alerts: new Counts(meter.createObservableCounter('dancu.guard.alerts', { description: 'Guard alerts recorded in the trail', unit: '{alert}', valueType: ValueType.INT })),
  };

  const started = new WeakMap<object, number>();
  const subscriptions: Array<[string, Handlers]> = [];
  const on = (name: string, end: (c: Ctx, seconds: number) => void) => {
    const handlers: Handlers = {
      start: (m) => void started.set(m as object, performance.now()),
      end: noop, asyncStart: noop, error: noop,
      asyncEnd: (m) => {
        const t0 = started.get(m as object);
        if (t0 === undefined) return; // started before this subscription
        started.delete(m as object);
        end(m as Ctx, (performance.now() - t0) / 1000);
      },
    };
    tracingChannel(name).subscribe(handlers);
    subscriptions.push([name, handlers]);
  };

  const onCall = (m: unknown) => {
    const c = m as Ctx;
    counted.calls.add(`${c.operation}\u001f${c.purpose}\u001f${c.source}\u001f${c.errorCode}`, () => {
      const a: Attributes = { 'dancu.operation': c.operation ?? '', 'dancu.outcome': c.errorCode === undefined ? 'ok' : 'error' };
      if (c.purpose !== undefined) a['dancu.purpose'] = c.purpose;
      if (c.source !== undefined) a['dancu.result.source'] = c.source;
      if (c.errorCode !== undefined) a['error.type'] = c.errorCode;
      return a;
    });
    const guard = c.errorCode && GUARD_OF[c.errorCode];
    if (guard) counted.denials.add(guard, () => ({ 'dancu.guard': guard }));
  };
  const callHandlers: Handlers = { start: noop, end: noop, asyncStart: noop, error: noop, asyncEnd: onCall };
  tracingChannel('dancu:call').subscribe(callHandlers);
  subscriptions.push(['dancu:call', callHandlers]);
  on('dancu:upstream', (c, s) => {
    const a: Attributes = { 'http.request.method': 'POST', 'server.address': c.serverAddress ?? '', 'server.port': c.serverPort ?? 0, 'dancu.operation': c.operation ?? '' };
    if (c.statusCode !== undefined) a['http.response.status_code'] = c.statusCode;
    if (c.errorCode !== undefined) a['error.type'] = c.errorCode;
    upstream.record(s, a);
  });
  on('dancu:audit', (c, s) => audit.record(s, c.errorCode === undefined ? {} : { 'error.type': c.errorCode }));
  const onAlert = (m: unknown) => {
    const guard = (m as { guard: string }).guard;
    counted.alerts.add(guard, () => ({ 'dancu.guard': guard }));
  };
  channel('dancu:guard').subscribe(onAlert);

  const gauges = {
    used: meter.createObservableGauge('dancu.quota.used', { description: 'Queries taken from a budget (this Vietnam day, or in the bucket)', unit: '{query}', valueType: ValueType.INT }),
    remaining: meter.createObservableGauge('dancu.quota.remaining', { description: 'Queries left in a budget', unit: '{query}', valueType: ValueType.INT }),
    limit: meter.createObservableGauge('dancu.quota.limit', { description: 'A budget’s limit', unit: '{query}', valueType: ValueType.INT }),
    lock: meter.createObservableGauge('dancu.quota.lock_distance', { description: 'Queries between today’s global use and the upstream’s lock threshold', unit: '{query}', valueType: ValueType.INT }),
    stopped: meter.createObservableGauge('dancu.quota.stopped', { description: '1 while a shared stop (the upstream locked or throttled the account) is in force', valueType: ValueType.INT }),
    breaker: meter.createObservableGauge('dancu.breaker.state', { description: '1 for the circuit breaker’s current state, 0 for the others', valueType: ValueType.INT }),
    cacheSize: meter.createObservableGauge('dancu.cache.size', { description: 'Entries in this process’s cache (absent for a shared store)', unit: '{entry}', valueType: ValueType.INT }),
    cacheRatio: meter.createObservableGauge('dancu.cache.hit_ratio', { description: 'Share of cache lookups since start that found an answer: hits / (hits + misses)', unit: '1' }),
    lookups: meter.createObservableCounter('dancu.cache.lookups', { description: 'Cache lookups since start, by result', unit: '{lookup}', valueType: ValueType.INT }),
  };
  const observe = async (result: BatchObservableResult) => {
    await Promise.all(clients.map(async (client) => {
      const who: Attributes = { 'dancu.system': client.system.id, 'dancu.unit': client.system.unitCode };
      const breaker = client.breaker.state();
      for (const state of BREAKER_STATES) result.observe(gauges.breaker, state === breaker.state ? 1 : 0, { ...who, 'dancu.breaker.state': state });
      const [status, stats] = await Promise.all([client.quota.status().catch(() => undefined), client.cache.stats().catch(() => undefined)]);
      if (status) {
        for (const b of status.budgets) {
          const a = { ...who, 'dancu.budget': b.id, 'dancu.budget.kind': b.kind };
          result.observe(gauges.used, b.used, a);
          result.observe(gauges.remaining, b.remaining, a);
          result.observe(gauges.limit, b.limit, a);
        }
        const day = status.budgets.find((b) => b.id === 'global.day');
        if (day) result.observe(gauges.lock, status.lockThreshold - day.used, who);
        result.observe(gauges.stopped, status.stop ? 1 : 0, status.stop ? { ...who, 'dancu.stop.reason': status.stop.reason } : who);
      }
      if (stats) {
        if (stats.size >= 0) result.observe(gauges.cacheSize, stats.size, who);
        if (stats.hits + stats.misses > 0) result.observe(gauges.cacheRatio, stats.hits / (stats.hits + stats.misses), who);
        result.observe(gauges.lookups, stats.hits, { ...who, 'dancu.cache.result': 'hit' });
        result.observe(gauges.lookups, stats.joins, { ...who, 'dancu.cache.result': 'join' });
        result.observe(gauges.lookups, stats.misses, { ...who, 'dancu.cache.result': 'miss' });
      }
    }));
  };
  const observables: Observable[] = Object.values(gauges);
  if (clients.length > 0) meter.addBatchObservableCallback(observe, observables);
  for (const c of Object.values(counted)) c.observe();

  return () => {
    for (const [name, handlers] of subscriptions.splice(0)) tracingChannel(name).unsubscribe(handlers);
    channel('dancu:guard').unsubscribe(onAlert);
    if (clients.length > 0) meter.removeBatchObservableCallback(observe, observables);
    for (const c of Object.values(counted)) c.stop();
  };
}

/** A monotonic count per attribute set, kept in a `Map` and reported by an observable counter. */
class Counts {
  readonly #counts = new Map<string, { attributes: Attributes; value: number }>();
  readonly #counter: ObservableCounter;
  readonly #report = (result: ObservableResult) => {
    for (const { attributes, value } of this.#counts.values()) result.observe(value, attributes);
  };

  constructor(counter: ObservableCounter) {
    this.#counter = counter;
  }

  /** Count one under `key`; `attributes` is called the first time the key is seen. */
  add(key: string, attributes: () => Attributes): void {
    const entry = this.#counts.get(key);
    if (entry) entry.value++;
    else this.#counts.set(key, { attributes: attributes(), value: 1 });
  }

  observe(): void {
    this.#counter.addCallback(this.#report);
  }

  stop(): void {
    this.#counter.removeCallback(this.#report);
  }
}
