/**
 * The retry policy as a property: for any policy and any sequence of upstream answers, the
 * transport makes exactly the attempts the rules allow, spends quota once per attempt, reuses one
 * request id, and waits between attempts what backoff and Retry-After say. Time is fake.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TransportError, type WireProfile } from '../../src/index.js';
import { upstreamError, type UpstreamFailure, type WireResponse } from '../../src/profiles.js';
import type { HttpClient } from '../../src/transport/http.js';
import { retryDelay, type RetryPolicy } from '../../src/transport/retry.js';
import { Upstream } from '../../src/transport/upstream.js';
import { sendWithAttempts } from '../../src/pipeline/attempts.js';
import type { QuotaManager } from '../../src/quota/manager.js';

type Outcome =
  | { kind: 'ok' }
  | { kind: 'status'; status: number; failure: UpstreamFailure['kind']; retryAfterMs?: number }
  | { kind: 'network'; code: 'ERR_UPSTREAM_UNREACHABLE' | 'ERR_TIMEOUT' }
  | { kind: 'malformed' };

const outcome = (maxRetryAfterMs: number): fc.Arbitrary<Outcome> =>
  fc.oneof(
    fc.constant<Outcome>({ kind: 'ok' }),
    fc.constantFrom(500, 502, 503, 504).map<Outcome>((status) => ({ kind: 'status', status, failure: 'other' })),
    fc.integer({ min: 0, max: maxRetryAfterMs * 2 + 10 }).map<Outcome>((ms) => ({ kind: 'status', status: 503, failure: 'other', retryAfterMs: ms })),
    fc.constantFrom<Outcome>(
      { kind: 'network', code: 'ERR_UPSTREAM_UNREACHABLE' },
      { kind: 'network', code: 'ERR_TIMEOUT' },
      { kind: 'malformed' },
      { kind: 'status', status: 400, failure: 'invalid_input' },
      { kind: 'status', status: 401, failure: 'unauthorized' },
      { kind: 'status', status: 403, failure: 'purpose_refused' },
      { kind: 'status', status: 403, failure: 'operator_refused' },
      { kind: 'status', status: 423, failure: 'locked' },
      { kind: 'status', status: 429, failure: 'rate_limited', retryAfterMs: 1_000 },
    ),
  );

const policy: fc.Arbitrary<RetryPolicy> = fc.record({
  attempts: fc.integer({ min: 1, max: 5 }),
  baseDelayMs: fc.integer({ min: 0, max: 1_000 }),
  maxDelayMs: fc.integer({ min: 0, max: 5_000 }),
  maxRetryAfterMs: fc.integer({ min: 0, max: 10_000 }),
});

const ANSWER = { found: true, match: true, detail: 'fields' as const, fields: { fullName: true, dateOfBirth: true } };

/** What the rules say should happen: how many sends, whether it succeeds, and the code it ends with. */
function model(p: RetryPolicy, script: readonly Outcome[]): { sends: number; ok: boolean; code?: string } {
  let attempt = 1;
  let authRetried = false;
  for (let i = 0; ; i++) {
    const o = script[i]!;
    if (o.kind === 'ok') return { sends: i + 1, ok: true };
    if (o.kind === 'status' && o.failure === 'unauthorized' && !authRetried) {
      authRetried = true;
      continue;
    }
    const retryable = o.kind === 'network' || (o.kind === 'status' && o.status >= 500);
    const ra = o.kind === 'status' ? o.retryAfterMs : undefined;
    if (retryable && attempt < p.attempts && !(ra !== undefined && ra > p.maxRetryAfterMs)) {
      attempt++;
      continue;
    }
    const code =
      o.kind === 'network' ? o.code
      : o.kind === 'malformed' ? 'ERR_UPSTREAM_RESPONSE'
      : ({ locked: 'ERR_UPSTREAM_LOCKED', rate_limited: 'ERR_UPSTREAM_RATE_LIMITED', unauthorized: 'ERR_UNAUTHORIZED', purpose_refused: 'ERR_UPSTREAM_PURPOSE_REFUSED', operator_refused: 'ERR_UPSTREAM_OPERATOR_REFUSED' } as Record<string, string>)[o.failure] ?? 'ERR_UPSTREAM';
    return { sends: i + 1, ok: false, code };
  }
}

function harness(script: readonly Outcome[]) {
  const sends: Array<{ at: number; requestId: string; outcome: Outcome }> = [];
  let next = 0;
  const http = {
    async send(req: { path: string; body?: string }, init: { requestId?: string } = {}): Promise<WireResponse> {
      if (req.path === 'token') return { status: 200, headers: new Headers(), body: '' };
      const o = script[next++]!;
      sends.push({ at: Date.now(), requestId: init.requestId!, outcome: o });
      if (o.kind === 'network') throw new TransportError(o.code, 'fake network failure', init.requestId);
      const headers = new Headers();
      return { status: o.kind === 'status' ? o.status : o.kind === 'malformed' ? 299 : 200, headers, body: JSON.stringify(o) };
    },
  } as unknown as HttpClient;
  const fail = (res: WireResponse, requestId: string): never => {
    const o = JSON.parse(res.body) as Outcome;
    if (o.kind === 'malformed') {
      throw new (class extends TransportError {})('ERR_UPSTREAM_RESPONSE', 'fake malformed', requestId);
    }
    const s = o as Extract<Outcome, { kind: 'status' }>;
    throw upstreamError({ status: s.status, kind: s.failure, retryAfterMs: s.retryAfterMs, requestId });
  };
  const profile: WireProfile = {
    name: 'fake',
    auth: { kind: 'token', request: () => ({ method: 'POST', path: 'token', headers: {} }), parse: () => ({ accessToken: 'tok', expiresInMs: 3_600_000 }), headers: (t) => ({ authorization: `Bearer ${t}` }) },
    operations: {
      verify: {
        build: (r) => ({ method: 'POST', path: 'verify', headers: {}, body: r.requestId }),
        parse: (res, r) => (res.status === 200 ? ANSWER : fail(res, r.requestId)),
      },
      lookup: { build: () => ({ method: 'POST', path: 'lookup', headers: {} }), parse: () => ({ found: false, citizen: null }) },
    },
  };
  return { http, profile, sends };
}

describe('retry policy (fast-check, fake timers)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('makes exactly the allowed attempts, one quota reservation each, one request id, the right waits', async () => {
    await fc.assert(
      fc.asyncProperty(
        policy.chain((p) => fc.tuple(fc.constant(p), fc.array(outcome(p.maxRetryAfterMs), { minLength: 7, maxLength: 7 }))),
        async ([p, script]) => {
          const { http, profile, sends } = harness(script);
          const upstream = new Upstream(profile, http, { clientId: 'c', clientSecret: 's' }, Date.now, 0);
          let reservations = 0;
          const quota = { reserve: async () => void reservations++, stop: async () => undefined } as unknown as QuotaManager;
          const request = { requestId: 'req-1', purposeCode: 'P', unitCode: 'U', systemId: 'S', operatorId: 'o', operatorIp: '10.0.0.1', idNumber: '079190012345', fullName: 'A', dateOfBirth: '1990' };
          const payer = { who: { unitCode: 'U', operatorId: 'o', purposeCode: 'P' }, priority: 'interactive' as const, signal: undefined };
          const settled = sendWithAttempts({ upstream, quota, breaker: undefined, retry: p }, 'verify', request, payer)
            .then((r) => (r.ok ? { answer: r.answer } : { error: r.error as { code: string } }));
          await vi.runAllTimersAsync();
          const result = await settled;

          const want = model(p, script);
          expect(sends).toHaveLength(want.sends);
          expect(reservations).toBe(want.sends); // every attempt spends quota, retries and the 401 retry included
          expect(new Set(sends.map((s) => s.requestId))).toEqual(new Set(['req-1']));
          if (want.ok) expect(result).toEqual({ answer: ANSWER });
          else expect((result as { error: { code: string } }).error.code).toBe(want.code);

          for (let i = 1; i < sends.length; i++) {
            const prev = sends[i - 1]!.outcome;
            const gap = sends[i]!.at - sends[i - 1]!.at;
            if (prev.kind === 'status' && prev.failure === 'unauthorized') {
              expect(gap).toBe(0); // the 401 retry with a fresh token is immediate
              continue;
            }
            const ra = prev.kind === 'status' ? prev.retryAfterMs ?? 0 : 0;
            expect(gap).toBeGreaterThanOrEqual(ra);
            expect(gap).toBeLessThanOrEqual(Math.max(p.maxDelayMs, ra));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('backoff is full jitter: uniform below min(cap, base × 2^(n−1)), never above', () => {
    fc.assert(
      fc.property(policy, fc.integer({ min: 1, max: 4 }), fc.double({ min: 0, max: 0.999999, noNaN: true }), (p, attempt, r) => {
        const err = new TransportError('ERR_TIMEOUT', 'x');
        const d = retryDelay({ ...p, attempts: 5 }, attempt, err, () => r);
        const ceiling = Math.min(p.maxDelayMs, p.baseDelayMs * 2 ** (attempt - 1));
        expect(d).toBe(Math.floor(r * ceiling));
        expect(retryDelay({ ...p, attempts: attempt }, attempt, err, () => r)).toBeUndefined(); // no attempts left
      }),
    );
  });
});
