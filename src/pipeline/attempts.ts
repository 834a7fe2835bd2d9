import { isDancuError, RateLimitedError, TransportError, UpstreamLockedError } from '../errors.js';
import type { QuotaSubject } from '../quota/budgets.js';
import type { CallPriority, QuotaManager } from '../quota/manager.js';
import type { CircuitBreaker } from '../transport/breaker.js';
import { traceQuota, traceUpstream } from '../internal/channels.js';
import { retryDelay, sleep, type RetryPolicy } from '../transport/retry.js';
import type { ExtraRequest, OperationTypes } from '../transport/types.js';
import type { SendOperation, Upstream } from '../transport/upstream.js';

/** What the attempts of one call use. */
export interface AttemptDeps {
  upstream: Upstream;
  quota: QuotaManager;
  breaker: CircuitBreaker | undefined;
  retry: RetryPolicy;
}

/** Who pays for the attempts of one call, and how urgently. */
export interface Payer {
  who: QuotaSubject;
  priority: CallPriority;
  signal: AbortSignal | undefined;
}

/** How the attempts of a call ended: the answer, or the error and whether the upstream gave it. */
export type AttemptsResult<A> = { ok: true; answer: A } | { ok: false; error: unknown; fromUpstream: boolean };

/**
 * Steps 5 and 7–8, once per attempt, in this order: the circuit breaker (open: nothing spent),
 * the quota (refused: nothing sent, not even a token request), the access token, the request.
 * One request id (`MaYeuCau`) for every attempt. A 401 drops the token and tries once more with a
 * fresh one (a token profile; a signing profile has nothing to refresh); 5xx, resets and timeouts are retried with full-jitter backoff (or the answer's
 * `Retry-After`, up to a cap) up to `retry.attempts`; each retry spends quota like any attempt. A
 * lock or a 429 from the upstream opens the shared stop in the quota store before the call ends.
 */
export async function sendWithAttempts<K extends keyof OperationTypes>(
  deps: AttemptDeps,
  operation: K,
  request: OperationTypes[K]['request'],
  payer: Payer,
): Promise<AttemptsResult<OperationTypes[K]['answer']>>;
export async function sendWithAttempts(deps: AttemptDeps, operation: SendOperation, request: ExtraRequest, payer: Payer): Promise<AttemptsResult<unknown>>;
export async function sendWithAttempts(
  deps: AttemptDeps,
  operation: SendOperation,
  request: ExtraRequest,
  payer: Payer,
): Promise<AttemptsResult<unknown>> {
  try {
    return { ok: true, answer: await attempts(deps, operation, request, payer) };
  } catch (err) {
    const fromUpstream = err instanceof FromUpstream;
    const error = fromUpstream ? err.error : err;
    if (fromUpstream && error instanceof UpstreamLockedError) await deps.quota.stop({ reason: 'locked', until: 'next-vietnam-day' });
    else if (fromUpstream && error instanceof RateLimitedError) await deps.quota.stop({ reason: 'rate-limited', until: { forMs: error.retryAfterMs } });
    return { ok: false, error, fromUpstream };
  }
}

/** An error the upstream answered (not one of the breaker, the quota or the token endpoint). */
class FromUpstream {
  constructor(readonly error: unknown) {}
}

async function attempts(deps: AttemptDeps, operation: SendOperation, request: ExtraRequest, payer: Payer): Promise<unknown> {
  const { upstream, quota, breaker, retry } = deps;
  let authRetried = false;
  let lastError: unknown;
  let sent = 0; // requests sent, for dancu:upstream
  for (let attempt = 1; ; ) {
    let ticket;
    try {
      ticket = breaker?.enter();
    } catch (open) {
      throw lastError ?? open; // a retry refused by the breaker ends with the failure that opened it
    }
    try {
      await traceQuota(() => quota.reserve(payer.who, payer.priority, payer.signal));
    } catch (err) {
      if (ticket) breaker!.release(ticket); // a quota refusal says nothing of the upstream's health
      throw err;
    }
    let token: string;
    try {
      token = await upstream.token();
    } catch (err) {
      if (ticket) breaker!.settle(ticket, err); // a failed token request is an upstream failure
      throw err;
    }
    try {
      const answer = await traceUpstream(typeof operation === 'string' ? operation : operation.extra, ++sent, request.requestId, upstream.server, () =>
        upstream.send(operation as 'verify', request as OperationTypes['verify']['request'], token, payer.signal));
      if (ticket) breaker!.settle(ticket);
      return answer;
    } catch (err) {
      if (ticket) breaker!.settle(ticket, err);
      lastError = err;
      if (!authRetried && upstream.refreshable && isDancuError(err, 'ERR_UNAUTHORIZED')) {
        authRetried = true;
        upstream.invalidateToken(token);
        continue;
      }
      const delay = payer.signal?.aborted ? undefined : retryDelay(retry, attempt, err);
      if (delay === undefined) throw new FromUpstream(err);
      await sleep(delay, payer.signal).catch((cause: unknown) => {
        throw new TransportError('ERR_ABORTED', 'The call was aborted by its signal while waiting to retry.', request.requestId, { cause });
      });
      attempt++;
    }
  }
}
