import type { Clock } from '../internal/time.js';
import { isDancuError, TransportError } from '../errors.js';
import type { HttpClient } from './http.js';
import { isRetryable, waitBeforeRetry, type RetryPolicy } from './retry.js';
import { TokenManager } from './token.js';
import type { ClientCredentials, OperationTypes, WireProfile, WireRequest, WireResponse } from './types.js';

/** Hooks of one logical call into the steps around the transport. */
export interface AttemptHooks {
  /** Before every attempt that reaches the network (retries and the 401 retry included): spend quota. */
  beforeAttempt(): Promise<void>;
  /** After an attempt failed with an upstream error (e.g. open a shared stop on a lock). */
  afterFailure(err: unknown): Promise<void>;
}

/**
 * Steps 7–8 of the pipeline: authenticated request through the profile, answer parsed and
 * validated by the profile. One request id (`MaYeuCau`) for all attempts of a call. A 401
 * invalidates the token and retries once with a fresh one, never more; 5xx, resets and timeouts
 * are retried with full-jitter backoff up to `retry.attempts`.
 */
export class Upstream {
  readonly #profile: WireProfile;
  readonly #http: HttpClient;
  readonly #tokens: TokenManager;
  readonly #retry: RetryPolicy;

  constructor(profile: WireProfile, http: HttpClient, credentials: ClientCredentials, clock: Clock, refreshSkewMs: number, retry: RetryPolicy) {
    this.#profile = profile;
    this.#http = http;
    this.#retry = retry;
    this.#tokens = new TokenManager(
      async () => profile.token.parse(await http.send(profile.token.build(credentials))),
      clock,
      refreshSkewMs,
    );
  }

  async call<K extends keyof OperationTypes>(
    operation: K,
    request: OperationTypes[K]['request'],
    hooks: AttemptHooks,
    signal?: AbortSignal,
  ): Promise<OperationTypes[K]['answer']> {
    const mapping = this.#profile.operations[operation] as unknown as {
      build(r: typeof request, a: { accessToken: string }): WireRequest;
      parse(res: WireResponse, r: typeof request): OperationTypes[K]['answer'];
    };
    let authRetried = false;
    for (let attempt = 1; ; ) {
      const accessToken = await this.#tokens.get();
      await hooks.beforeAttempt();
      try {
        const response = await this.#http.send(mapping.build(request, { accessToken }), { signal, requestId: request.requestId });
        return mapping.parse(response, request);
      } catch (err) {
        if (!authRetried && isDancuError(err) && err.code === 'ERR_UNAUTHORIZED') {
          authRetried = true;
          this.#tokens.invalidate(accessToken);
          continue;
        }
        await hooks.afterFailure(err);
        if (attempt >= this.#retry.attempts || !isRetryable(err) || signal?.aborted) throw err;
        await waitBeforeRetry(this.#retry, attempt, signal).catch((cause: unknown) => {
          throw new TransportError('ERR_ABORTED', 'The call was aborted by its signal while waiting to retry.', request.requestId, { cause });
        });
        attempt++;
      }
    }
  }
}
