import { isDancuError } from '../errors.js';

/** Retry settings (after defaults). */
export interface RetryPolicy {
  /** Attempts in all, the first included. 1 disables retries. */
  attempts: number;
  /** Base of the exponential backoff, in ms. */
  baseDelayMs: number;
  /** Cap of one backoff delay, in ms. */
  maxDelayMs: number;
  /**
   * Longest `Retry-After` (of a 5xx answer) waited inside a call, in ms. A retryable failure
   * asking for longer is not retried: the call fails at once with the answer's error.
   */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 3, baseDelayMs: 200, maxDelayMs: 5_000, maxRetryAfterMs: 10_000 };

/**
 * Only what is safe to repeat: verification and lookup are reads, so a 5xx, a connection failure or
 * a timeout may be retried (each retry spends quota like any attempt). Never retried: 4xx answers,
 * throttling (it opens a shared stop instead), the lock, refusals of purpose or operator, invalid
 * answers, and local errors.
 */
export function isRetryable(err: unknown): boolean {
  return isDancuError(err) && err.retryable;
}

/** Full-jitter exponential backoff: uniform in [0, min(max, base × 2^(attempt−1))]. */
export function backoffDelay(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(random() * ceiling);
}

/**
 * How long to wait before the next attempt after `err` failed attempt number `attempt`, or
 * `undefined` when it must not be retried: not retryable, no attempts left, or a `Retry-After`
 * beyond `maxRetryAfterMs`. The wait is the full-jitter backoff, or the `Retry-After` if longer.
 */
export function retryDelay(policy: RetryPolicy, attempt: number, err: unknown, random: () => number = Math.random): number | undefined {
  if (attempt >= policy.attempts || !isRetryable(err)) return undefined;
  const asked = (err as { retryAfterMs?: number }).retryAfterMs;
  if (asked !== undefined && asked > policy.maxRetryAfterMs) return undefined;
  return Math.max(backoffDelay(policy, attempt, random), asked ?? 0);
}

/** Sleep on the global timer (fake timers in tests see it); rejects with the signal's reason on abort. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
