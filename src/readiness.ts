/**
 * `client.ready()`: what a readiness probe asks before traffic is sent to a process. Each part is
 * judged the way a call would be: what makes calls fail (the audit trail, the quota store, the
 * credentials) rejects with the error a call would get; what a call works around (a cache or guard
 * store that fails is a miss, or this process's memory) is reported `degraded`.
 */
import type { CacheStore } from './cache/types.js';
import { AuditError, QuotaError, ValidationError } from './errors.js';
import type { GuardStore } from './guard/types.js';
import { withTimeout } from './internal/timeout.js';
import type { QuotaStore } from './quota/types.js';

/** Options of `client.ready()`. */
export interface ReadyOptions {
  /**
   * Also fetch an access token from the gateway (token profiles; a profile that signs each request
   * has none): wrong credentials reject with `ERR_UNAUTHORIZED`, an unreachable gateway with
   * `ERR_UPSTREAM_UNREACHABLE`. No query is sent and no quota is used. Default `false`.
   */
  token?: boolean;
  /** How long each store may take to answer, in ms. Default `5000`. */
  timeoutMs?: number;
}

/** What `client.ready()` resolves to. */
export interface ReadyReport {
  /** The trail is open and `config.loaded` is recorded (the first call need not wait for it). */
  audit: 'ok';
  /** The quota store answered (a Redis store loaded its scripts). */
  quota: 'ok';
  /** `degraded`: the cache store did not answer; calls go on, each a miss, with no cross-process single-flight. */
  cache: 'ok' | 'off' | 'degraded';
  /** `degraded`: the guard store did not answer; guards run on this process's memory alone. */
  guards: 'ok' | 'degraded';
  /** `skipped` unless `{ token: true }`; `none` when the profile signs each request instead. */
  token: 'ok' | 'skipped' | 'none';
  /** Why a part is degraded: the store's own error. */
  causes?: { cache?: unknown; guards?: unknown };
}

/** The parts of a client that {@link checkReady} reaches. */
export interface ReadinessParts {
  openTrail(): Promise<void>;
  quota: QuotaStore;
  cache: CacheStore | undefined;
  guards: GuardStore;
  token(): Promise<string>;
}

function readyOptions(options: unknown): { token: boolean; timeoutMs: number } {
  const bad = (path: string, message: string) => new ValidationError('ERR_INPUT_INVALID', path, 'invalid_argument', message);
  if (options === undefined) return { token: false, timeoutMs: 5_000 };
  if (typeof options !== 'object' || options === null) throw bad('(options)', 'pass { token?, timeoutMs? } or nothing');
  const { token, timeoutMs } = options as Record<string, unknown>;
  if (token !== undefined && typeof token !== 'boolean') throw bad('token', 'must be true or false');
  if (timeoutMs !== undefined && !(Number.isInteger(timeoutMs) && (timeoutMs as number) > 0)) throw bad('timeoutMs', 'must be a whole number of ms above 0');
  return { token: token === true, timeoutMs: (timeoutMs as number | undefined) ?? 5_000 };
}

/** Reach every part; see {@link ReadyReport}. */
export async function checkReady(parts: ReadinessParts, options: unknown): Promise<ReadyReport> {
  const o = readyOptions(options);
  const timed = (p: Promise<unknown>, what: string) => withTimeout(p, o.timeoutMs, () => new Error(`${what} did not answer within ${o.timeoutMs} ms`));
  await timed(parts.openTrail(), 'the audit sink').catch((err: unknown) => {
    throw err instanceof AuditError ? err : new AuditError(err);
  });
  const q = parts.quota;
  await timed(Promise.resolve(q.ready ? q.ready() : q.activeStop()), 'the quota store').catch((cause: unknown) => {
    throw new QuotaError('ERR_QUOTA_UNAVAILABLE', undefined, undefined, { cause, reason: 'unreachable' });
  });
  const report: ReadyReport = { audit: 'ok', quota: 'ok', cache: parts.cache ? 'ok' : 'off', guards: 'ok', token: 'skipped' };
  const causes: NonNullable<ReadyReport['causes']> = {};
  const probe = async (name: 'cache' | 'guards', store: CacheStore | GuardStore | undefined) => {
    if (!store?.ready) return;
    await timed(store.ready(), `the ${name} store`).catch((cause: unknown) => {
      report[name] = 'degraded';
      causes[name] = cause;
    });
  };
  await Promise.all([probe('cache', parts.cache), probe('guards', parts.guards)]);
  if (causes.cache !== undefined || causes.guards !== undefined) report.causes = causes;
  if (o.token) report.token = (await parts.token()) === '' ? 'none' : 'ok';
  return report;
}
