import { setTimeout as sleep } from 'node:timers/promises';
import { isDancuError } from '../errors.js';

/** Retry settings (after defaults). */
export interface RetryPolicy {
  /** Attempts in all, the first included. 1 disables retries. */
  attempts: number;
  /** Base of the exponential backoff, in ms. */
  baseDelayMs: number;
  /** Cap of one backoff delay, in ms. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 3, baseDelayMs: 200, maxDelayMs: 5_000 };

/**
 * Only what is safe to repeat: verification and lookup are reads, so a 5xx, a connection failure or
 * a timeout may be retried (each retry spends quota like any attempt). Never retried: 4xx answers,
 * throttling (it opens a shared stop instead), the lock, refusals of purpose or operator, invalid
 * answers, and local errors.
 */
export function isRetryable(err: unknown): boolean {
  if (!isDancuError(err)) return false;
  if (err.code === 'ERR_UPSTREAM_UNREACHABLE' || err.code === 'ERR_TIMEOUT') return true;
  if (err.code === 'ERR_UPSTREAM') {
    const status = (err as { status?: number }).status ?? 0;
    return status >= 500;
  }
  return false;
}

/** Full-jitter exponential backoff: uniform in [0, min(max, base × 2^(attempt−1))]. */
export function backoffDelay(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(random() * ceiling);
}

/** Sleep the backoff of `attempt`; rejects if the signal aborts. */
export function waitBeforeRetry(policy: RetryPolicy, attempt: number, signal?: AbortSignal): Promise<void> {
  return sleep(backoffDelay(policy, attempt), undefined, signal ? { signal } : {});
}
