import { Agent } from 'undici';
import { DancuError, TransportError, UpstreamError } from '../errors.js';
import type { WireRequest, WireResponse } from './types.js';

/** A `fetch`-compatible function. */
export type FetchLike = (input: string | URL, init?: RequestInit) => Promise<Response>;

export interface HttpClientOptions {
  baseUrl: URL;
  /** Injected fetch; when absent, `globalThis.fetch` is looked up at every call (so msw sees it). */
  fetch?: FetchLike | undefined;
  timeoutMs: number;
  connectTimeoutMs: number;
  maxResponseBytes: number;
  connections: number;
  tls?: { ca?: string | Buffer | Array<string | Buffer>; cert?: string | Buffer; key?: string | Buffer; passphrase?: string } | undefined;
}

/**
 * HTTP over `fetch` with an undici `Agent` as dispatcher: keep-alive pooling, connect timeout and
 * mTLS from undici, while msw's `setupServer` can still intercept (it patches global fetch, not
 * `undici.request`). Redirects are never followed; bodies are read with a size bound.
 */
export class HttpClient {
  readonly #opts: HttpClientOptions;
  readonly #agent: Agent;

  constructor(opts: HttpClientOptions) {
    this.#opts = opts;
    this.#agent = new Agent({
      connections: opts.connections,
      keepAliveTimeout: 30_000,
      connect: { timeout: opts.connectTimeoutMs, ...(opts.tls ?? {}) },
    });
  }

  async send(req: WireRequest, init: { signal?: AbortSignal | undefined; requestId?: string | undefined } = {}): Promise<WireResponse> {
    const url = new URL(req.path.replace(/^\//, ''), this.#opts.baseUrl);
    const timeout = AbortSignal.timeout(this.#opts.timeoutMs);
    const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    const doFetch = this.#opts.fetch ?? (globalThis.fetch as FetchLike);
    // `dispatcher` is undici's extension of RequestInit. Node's bundled undici and undici 7 have
    // structurally different (but compatible at run time) types, hence the untyped object.
    const fetchInit: Record<string, unknown> = {
      method: req.method,
      headers: req.headers,
      redirect: 'manual',
      signal,
      dispatcher: this.#agent,
    };
    if (req.body !== undefined) fetchInit['body'] = req.body;
    try {
      const res = await doFetch(url, fetchInit as RequestInit);
      if (res.status >= 300 && res.status < 400) {
        await res.body?.cancel().catch(() => undefined);
        throw new UpstreamError('ERR_UPSTREAM', res.status,
          `The upstream answered with a redirect (${res.status}); redirects are never followed. Check baseUrl.`,
          withRequestId(init.requestId));
      }
      const body = await readBounded(res, this.#opts.maxResponseBytes, init.requestId);
      return { status: res.status, headers: res.headers, body };
    } catch (err) {
      throw classify(err, init.signal, timeout, this.#opts.timeoutMs, init.requestId);
    }
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }
}

function withRequestId(requestId: string | undefined): { requestId?: string } {
  return requestId === undefined ? {} : { requestId };
}

async function readBounded(res: Response, max: number, requestId: string | undefined): Promise<string> {
  const tooLarge = () =>
    new UpstreamError('ERR_UPSTREAM_RESPONSE', res.status,
      `The upstream response is larger than maxResponseBytes (${max}); it was discarded.`, withRequestId(requestId));
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > max) {
    await res.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total).toString('utf8');
}

function classify(
  err: unknown,
  userSignal: AbortSignal | undefined,
  timeout: AbortSignal,
  timeoutMs: number,
  requestId: string | undefined,
): DancuError {
  if (err instanceof DancuError) return err;
  if (userSignal?.aborted) return new TransportError('ERR_ABORTED', 'The call was aborted by its signal.', requestId, { cause: userSignal.reason });
  if (timeout.aborted) {
    return new TransportError('ERR_TIMEOUT', `The upstream did not answer within ${timeoutMs} ms (timeoutMs).`, requestId, { cause: err });
  }
  return new TransportError('ERR_UPSTREAM_UNREACHABLE',
    'Could not reach the upstream (connection refused, reset or TLS failure); see cause.', requestId, { cause: err });
}
