import type { Clock } from '../internal/time.js';
import { isDancuError } from '../errors.js';
import type { HttpClient } from './http.js';
import { TokenManager } from './token.js';
import type { ClientCredentials, OperationTypes, WireProfile } from './types.js';

/**
 * Steps 7–8 of the pipeline: authenticated request through the profile, answer parsed and
 * validated by the profile. A 401 invalidates the token and retries once with a fresh one, never
 * more. (Retry of other failures, the breaker and quota per attempt belong to later releases.)
 */
export class Upstream {
  readonly #profile: WireProfile;
  readonly #http: HttpClient;
  readonly #tokens: TokenManager;

  constructor(profile: WireProfile, http: HttpClient, credentials: ClientCredentials, clock: Clock, refreshSkewMs: number) {
    this.#profile = profile;
    this.#http = http;
    this.#tokens = new TokenManager(
      async () => profile.token.parse(await http.send(profile.token.build(credentials))),
      clock,
      refreshSkewMs,
    );
  }

  async call<K extends keyof OperationTypes>(
    operation: K,
    request: OperationTypes[K]['request'] & { requestId: string },
    signal?: AbortSignal,
  ): Promise<OperationTypes[K]['answer']> {
    const mapping = this.#profile.operations[operation] as unknown as {
      build(r: typeof request, a: { accessToken: string }): ReturnType<WireProfile['token']['build']>;
      parse(res: Awaited<ReturnType<HttpClient['send']>>, r: typeof request): OperationTypes[K]['answer'];
    };
    for (let attempt = 1; ; attempt++) {
      const accessToken = await this.#tokens.get();
      const response = await this.#http.send(mapping.build(request, { accessToken }), { signal, requestId: request.requestId });
      try {
        return mapping.parse(response, request);
      } catch (err) {
        if (attempt === 1 && isDancuError(err) && err.code === 'ERR_UNAUTHORIZED') {
          this.#tokens.invalidate(accessToken);
          continue;
        }
        throw err;
      }
    }
  }
}
