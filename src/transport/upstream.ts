import type { Clock } from '../internal/time.js';
import { isDancuError, TransportError, UpstreamError } from '../errors.js';
import type { HttpClient } from './http.js';
import type { CircuitBreaker } from './breaker.js';
import { retryDelay, sleep, type RetryPolicy } from './retry.js';
import { TokenManager } from './token.js';
import type { ClientCredentials, OperationTypes, WireProfile, WireRequest, WireResponse } from './types.js';

/** An access token as a header carries it: visible ASCII only (RFC 6750's b64token and JWTs fit), bounded. */
const TOKEN = /^[\x21-\x7e]{1,8192}$/;

/** Hooks of one logical call into the steps around the transport. */
export interface AttemptHooks {
  /** Before every attempt that reaches the network (retries and the 401 retry included): spend quota. */
  beforeAttempt(): Promise<void>;
  /** After an attempt failed with an upstream error (e.g. open a shared stop on a lock). */
  afterFailure(err: unknown): Promise<void>;
}

/**
 * Steps 7–8 of the pipeline: authenticated request through the profile, answer parsed and
 * validated by the profile. One request id (`MaYeuCau`) for all attempts of a call. Every attempt
 * first asks the circuit breaker (refused: nothing spent), then spends quota, then gets the token
 * (so a refused attempt sends nothing, not even a token request). A 401 invalidates the
 * token and retries once with a fresh one, never more; 5xx, resets and timeouts are retried with
 * full-jitter backoff (or the answer's `Retry-After`, up to a cap) up to `retry.attempts`.
 */
export class Upstream {
  readonly #profile: WireProfile;
  readonly #http: HttpClient;
  readonly #tokens: TokenManager;
  readonly #retry: RetryPolicy;
  readonly #breaker: CircuitBreaker | undefined;
  readonly #credentials: ClientCredentials;

  constructor(
    profile: WireProfile,
    http: HttpClient,
    credentials: ClientCredentials,
    clock: Clock,
    refreshSkewMs: number,
    retry: RetryPolicy,
    breaker?: CircuitBreaker,
  ) {
    this.#profile = profile;
    this.#http = http;
    this.#retry = retry;
    this.#breaker = breaker;
    this.#credentials = credentials;
    this.#tokens = new TokenManager(
      async () => {
        const res = await http.send(profile.token.build(credentials));
        const answer = profile.token.parse(res);
        // It goes into a header of every request: a token a header cannot carry (CR/LF, spaces,
        // non-ASCII) is refused here, unquoted, instead of failing inside fetch with the token in the message.
        if (typeof answer?.accessToken !== 'string' || !TOKEN.test(answer.accessToken)) {
          throw new UpstreamError('ERR_UPSTREAM_RESPONSE', res.status,
            'The token endpoint answered an access token with characters an HTTP header cannot carry (or none); it was not used.');
        }
        return answer;
      },
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
      build(r: typeof request, a: { accessToken: string; credentials: ClientCredentials }): WireRequest;
      parse(res: WireResponse, r: typeof request): OperationTypes[K]['answer'];
    };
    let authRetried = false;
    let lastError: unknown;
    for (let attempt = 1; ; ) {
      let ticket;
      try {
        ticket = this.#breaker?.enter();
      } catch (open) {
        throw lastError ?? open; // a retry refused by the breaker ends with the failure that opened it
      }
      // Quota first: a refused attempt sends nothing at all, not even a token request.
      try {
        await hooks.beforeAttempt();
      } catch (err) {
        if (ticket) this.#breaker!.release(ticket); // a quota refusal says nothing of the upstream's health
        throw err;
      }
      let accessToken: string;
      try {
        accessToken = await this.#tokens.get();
      } catch (err) {
        if (ticket) this.#breaker!.settle(ticket, err); // a failed token request is an upstream failure
        throw err;
      }
      try {
        const response = await this.#http.send(mapping.build(request, { accessToken, credentials: this.#credentials }), { signal, requestId: request.requestId });
        const answer = mapping.parse(response, request);
        if (ticket) this.#breaker!.settle(ticket);
        return answer;
      } catch (err) {
        if (ticket) this.#breaker!.settle(ticket, err);
        lastError = err;
        if (!authRetried && isDancuError(err) && err.code === 'ERR_UNAUTHORIZED') {
          authRetried = true;
          this.#tokens.invalidate(accessToken);
          continue;
        }
        await hooks.afterFailure(err);
        const delay = signal?.aborted ? undefined : retryDelay(this.#retry, attempt, err);
        if (delay === undefined) throw err;
        await sleep(delay, signal).catch((cause: unknown) => {
          throw new TransportError('ERR_ABORTED', 'The call was aborted by its signal while waiting to retry.', request.requestId, { cause });
        });
        attempt++;
      }
    }
  }
}
