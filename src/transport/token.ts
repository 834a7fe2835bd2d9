import type { Clock } from '../internal/time.js';
import type { TokenAnswer } from './types.js';

/**
 * OAuth2 access token cache. The token is refreshed single-flight `skewMs` before it expires, so N
 * concurrent calls on a cold client make one token request. Each attempt asks for the token after
 * its quota is reserved (`pipeline/attempts.ts`).
 */
export class TokenManager {
  readonly #fetchToken: (signal?: AbortSignal) => Promise<TokenAnswer>;
  readonly #clock: Clock;
  readonly #skewMs: number;
  #current: { token: string; expiresAt: number } | undefined;
  #inflight: Promise<string> | undefined;

  constructor(fetchToken: (signal?: AbortSignal) => Promise<TokenAnswer>, clock: Clock, skewMs: number) {
    this.#fetchToken = fetchToken;
    this.#clock = clock;
    this.#skewMs = skewMs;
  }

  /** A valid access token, from cache or from one shared refresh. */
  get(): Promise<string> {
    const cur = this.#current;
    if (cur && this.#clock() < cur.expiresAt - this.#skewMs) return Promise.resolve(cur.token);
    return (this.#inflight ??= this.#refresh());
  }

  /** Forget `token` if it is still the current one (after the upstream refused it with 401). */
  invalidate(token: string): void {
    if (this.#current?.token === token) this.#current = undefined;
  }

  async #refresh(): Promise<string> {
    try {
      const answer = await this.#fetchToken();
      this.#current = { token: answer.accessToken, expiresAt: this.#clock() + answer.expiresInMs };
      return answer.accessToken;
    } finally {
      this.#inflight = undefined;
    }
  }
}
