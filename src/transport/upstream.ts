import type { Clock } from '../internal/time.js';
import { UpstreamError } from '../errors.js';
import type { HttpClient } from './http.js';
import { TokenManager } from './token.js';
import type { ClientCredentials, ExtraRequest, OperationTypes, TokenAuth, WireProfile, WireRequest, WireResponse } from './types.js';

/** An access token as a header carries it: visible ASCII only (RFC 6750's b64token and JWTs fit), bounded. */
const TOKEN = /^[\x21-\x7e]{1,8192}$/;

/** What {@link Upstream.send} sends: one of the typed operations, or a profile's extra operation by name. */
export type SendOperation = keyof OperationTypes | { extra: string };

/**
 * Steps 7–8 for one attempt: authentication as the profile says (a token from one shared refresh,
 * or a signature per request) and one request through the profile, its answer parsed and validated
 * by the profile. What happens around an attempt — breaker, quota, retries — is the pipeline's
 * (`pipeline/attempts.ts`): the transport knows nothing of quota or audit.
 */
export class Upstream {
  readonly #profile: WireProfile;
  readonly #http: HttpClient;
  readonly #tokens: TokenManager | undefined;
  readonly #credentials: ClientCredentials;
  readonly #clock: Clock;

  constructor(profile: WireProfile, http: HttpClient, credentials: ClientCredentials, clock: Clock, refreshSkewMs: number) {
    this.#profile = profile;
    this.#http = http;
    this.#credentials = credentials;
    this.#clock = clock;
    this.#tokens = profile.auth.kind === 'token' ? new TokenManager(() => this.#fetchToken(profile.auth as TokenAuth), clock, refreshSkewMs) : undefined;
  }

  /** The gateway's host (and port), for tracing. */
  get server(): { address: string; port: number } {
    return this.#http.server;
  }

  /** Whether a refused credential can be refreshed (a token profile): the pipeline retries a 401 once then. */
  get refreshable(): boolean {
    return this.#tokens !== undefined;
  }

  /** A valid access token, cached or from one shared refresh; `''` for a signing profile (nothing to fetch). */
  token(): Promise<string> {
    return this.#tokens?.get() ?? Promise.resolve('');
  }

  /** Forget `token` (the upstream refused it with 401), so the next {@link token} refreshes. */
  invalidateToken(token: string): void {
    this.#tokens?.invalidate(token);
  }

  /** One attempt of `operation`: build, authenticate, send, parse. Throws the profile's typed errors. */
  async send<K extends keyof OperationTypes>(operation: K | { extra: string }, request: OperationTypes[K]['request'] | ExtraRequest, accessToken: string, signal?: AbortSignal): Promise<unknown> {
    const mapping = (typeof operation === 'string' ? this.#profile.operations[operation] : this.#profile.extraOperations?.[operation.extra]) as unknown as {
      build(r: typeof request): WireRequest | Promise<WireRequest>;
      parse(res: WireResponse, r: typeof request): unknown;
    } | undefined;
    if (mapping === undefined) throw new UpstreamError('ERR_UPSTREAM', 0, 'The profile has no such operation; nothing was sent.', { requestId: request.requestId });
    const built = await mapping.build(request);
    const auth = this.#profile.auth;
    const headers = auth.kind === 'token' ? auth.headers(accessToken, this.#credentials) : auth.headers(this.#credentials, this.#clock(), built);
    const response = await this.#http.send({ ...built, headers: { ...built.headers, ...headers } }, { signal, requestId: request.requestId });
    return mapping.parse(response, request);
  }

  async #fetchToken(auth: TokenAuth): Promise<{ accessToken: string; expiresInMs: number }> {
    const res = await this.#http.send(auth.request(this.#credentials));
    const answer = auth.parse(res);
    // It goes into a header of every request: a token a header cannot carry (CR/LF, spaces,
    // non-ASCII) is refused here, unquoted, instead of failing inside fetch with the token in the message.
    if (typeof answer?.accessToken !== 'string' || !TOKEN.test(answer.accessToken)) {
      throw new UpstreamError('ERR_UPSTREAM_RESPONSE', res.status,
        'The token endpoint answered an access token with characters an HTTP header cannot carry (or none); it was not used.');
    }
    return answer;
  }
}
