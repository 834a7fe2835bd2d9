import type { Clock } from '../internal/time.js';
import { UpstreamError } from '../errors.js';
import type { HttpClient } from './http.js';
import { TokenManager } from './token.js';
import type { ClientCredentials, OperationTypes, WireProfile, WireRequest, WireResponse } from './types.js';

/** An access token as a header carries it: visible ASCII only (RFC 6750's b64token and JWTs fit), bounded. */
const TOKEN = /^[\x21-\x7e]{1,8192}$/;

/**
 * Steps 7–8 for one attempt: the access token (single-flight refresh) and one authenticated
 * request through the profile, its answer parsed and validated by the profile. What happens around
 * an attempt — breaker, quota, retries — is the pipeline's (`pipeline/attempts.ts`): the transport
 * knows nothing of quota or audit.
 */
export class Upstream {
  readonly #profile: WireProfile;
  readonly #http: HttpClient;
  readonly #tokens: TokenManager;
  readonly #credentials: ClientCredentials;

  constructor(profile: WireProfile, http: HttpClient, credentials: ClientCredentials, clock: Clock, refreshSkewMs: number) {
    this.#profile = profile;
    this.#http = http;
    this.#credentials = credentials;
    this.#tokens = new TokenManager(() => this.#fetchToken(), clock, refreshSkewMs);
  }

  /** A valid access token, cached or from one shared refresh. */
  token(): Promise<string> {
    return this.#tokens.get();
  }

  /** Forget `token` (the upstream refused it with 401), so the next {@link token} refreshes. */
  invalidateToken(token: string): void {
    this.#tokens.invalidate(token);
  }

  /** One attempt of `operation`: build, send, parse. Throws the profile's typed errors. */
  async send<K extends keyof OperationTypes>(operation: K, request: OperationTypes[K]['request'], accessToken: string, signal?: AbortSignal): Promise<OperationTypes[K]['answer']> {
    const mapping = this.#profile.operations[operation] as unknown as {
      build(r: typeof request, a: { accessToken: string; credentials: ClientCredentials }): WireRequest;
      parse(res: WireResponse, r: typeof request): OperationTypes[K]['answer'];
    };
    const response = await this.#http.send(mapping.build(request, { accessToken, credentials: this.#credentials }), { signal, requestId: request.requestId });
    return mapping.parse(response, request);
  }

  async #fetchToken(): Promise<{ accessToken: string; expiresInMs: number }> {
    const res = await this.#http.send(this.#profile.token.build(this.#credentials));
    const answer = this.#profile.token.parse(res);
    // It goes into a header of every request: a token a header cannot carry (CR/LF, spaces,
    // non-ASCII) is refused here, unquoted, instead of failing inside fetch with the token in the message.
    if (typeof answer?.accessToken !== 'string' || !TOKEN.test(answer.accessToken)) {
      throw new UpstreamError('ERR_UPSTREAM_RESPONSE', res.status,
        'The token endpoint answered an access token with characters an HTTP header cannot carry (or none); it was not used.');
    }
    return answer;
  }
}
