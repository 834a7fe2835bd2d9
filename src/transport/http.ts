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
  /**
   * `fetch` (default): global fetch with the undici Agent as dispatcher, so msw can intercept.
   * `undici`: `Agent.request` directly — faster on Node 20, but invisible to msw.
   */
  engine?: 'fetch' | 'undici' | undefined;
}

/**
 * HTTP over `fetch` with an undici `Agent` as dispatcher: keep-alive pooling, connect timeout and
 * mTLS from undici, while msw's `setupServer` can still intercept (it patches global fetch, not
 * `undici.request`). Redirects are never followed; bodies are read with a size bound.
 *
 * `redirect: 'error'`, not `'manual'`: either way a redirect is refused, but for any other mode
 * fetch clones the request and tees its body before sending it (the Fetch standard's HTTP-network-
 * or-cache fetch): on Node 20 a bare fetch with `'error'` makes 1.15–1.25× the calls per second of
 * one with the default (`npm run bench`, transport). The price: fetch reports a refused redirect as
 * a network error without its status, so the error says "a redirect" with status 0 (the status the
 * Fetch standard gives a redirect it does not follow).
 */
export class HttpClient {
  readonly #opts: HttpClientOptions;
  readonly #agent: Agent;
  readonly #urls = new Map<string, URL>();

  constructor(opts: HttpClientOptions) {
    this.#opts = opts;
    this.#agent = new Agent({
      connections: opts.connections,
      keepAliveTimeout: 30_000,
      connect: { timeout: opts.connectTimeoutMs, ...(opts.tls ?? {}) },
    });
  }

  async send(req: WireRequest, init: { signal?: AbortSignal | undefined; requestId?: string | undefined } = {}): Promise<WireResponse> {
    const url = this.#url(req.path);
    // The deadline of the whole exchange, body included. A controller and a timer, cleared at the
    // end: AbortSignal.timeout costs ~2× more (`node bench/micro.mjs`) and keeps its timer to the deadline.
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new DOMException('The operation timed out.', 'TimeoutError')), this.#opts.timeoutMs);
    const timeout = deadline.signal;
    const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    try {
      return await this.#exchange(url, req, signal, init.requestId);
    } catch (err) {
      throw classify(err, init.signal, timeout, this.#opts.timeoutMs, init.requestId);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Absolute URL of a profile path under `baseUrl` (a few paths: resolved once each). */
  #url(path: string): URL {
    let url = this.#urls.get(path);
    if (url === undefined) this.#urls.set(path, (url = new URL(path.replace(/^\//, ''), this.#opts.baseUrl)));
    return url;
  }

  async #exchange(url: URL, req: WireRequest, signal: AbortSignal, requestId: string | undefined): Promise<WireResponse> {
    if (this.#opts.engine === 'undici') return this.#request(url, req, signal, requestId);
    const doFetch = this.#opts.fetch ?? (globalThis.fetch as FetchLike);
    // `dispatcher` is undici's extension of RequestInit. Node's bundled undici and undici 7 have
    // structurally different (but compatible at run time) types, hence the untyped object.
    const fetchInit: Record<string, unknown> = {
      method: req.method,
      headers: req.headers,
      redirect: 'error',
      signal,
      dispatcher: this.#agent,
    };
    if (req.body !== undefined) fetchInit['body'] = req.body;
    const res = await doFetch(url.href, fetchInit as RequestInit); // a string: nobody can change the shared URL
    if (res.status >= 300 && res.status < 400) {
      // 300 and 304 are not redirects to fetch; an injected fetch may also ignore `redirect`.
      await res.body?.cancel().catch(() => undefined);
      throw redirected(res.status, requestId);
    }
    const body = await readBounded(res, this.#opts.maxResponseBytes, requestId);
    return { status: res.status, headers: res.headers, body };
  }

  /** The same exchange on `Agent.request` (no fetch layer): same bounds, same refusals, no redirects. */
  async #request(url: URL, req: WireRequest, signal: AbortSignal, requestId: string | undefined): Promise<WireResponse> {
    const res = await this.#agent.request({
      origin: url.origin,
      path: `${url.pathname}${url.search}`,
      method: req.method,
      headers: req.headers,
      ...(req.body !== undefined ? { body: req.body } : {}),
      signal,
    });
    const headers = new Headers();
    for (const [k, v] of Object.entries(res.headers)) {
      if (Array.isArray(v)) for (const x of v) headers.append(k, x);
      else if (v !== undefined) headers.set(k, v);
    }
    const discard = () => {
      res.body.on('error', () => undefined); // destroying an unread body emits an AbortError
      res.body.destroy();
    };
    if (res.statusCode >= 300 && res.statusCode < 400) {
      discard();
      throw redirected(res.statusCode, requestId);
    }
    const max = this.#opts.maxResponseBytes;
    const tooLarge = () => new UpstreamError('ERR_UPSTREAM_RESPONSE', res.statusCode,
      `The upstream response is larger than maxResponseBytes (${max}); it was discarded.`, withRequestId(requestId));
    const declared = Number(headers.get('content-length'));
    if (Number.isFinite(declared) && declared > max) {
      discard();
      throw tooLarge();
    }
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > max) {
        discard();
        throw tooLarge();
      }
      chunks.push(chunk);
    }
    return { status: res.statusCode, headers, body: Buffer.concat(chunks, total).toString('utf8') };
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }
}

/** A 3xx answer (status `0`: a redirect fetch refused without saying which). Never retried: status < 500. */
function redirected(status: number, requestId: string | undefined, cause?: unknown): UpstreamError {
  return new UpstreamError('ERR_UPSTREAM', status,
    `The upstream answered with a redirect${status ? ` (${status})` : ''}; redirects are never followed (they could take the ` +
      'token and personal data elsewhere). Check baseUrl, e.g. http:// where the gateway wants https://.',
    cause === undefined ? withRequestId(requestId) : { ...withRequestId(requestId), cause });
}

/**
 * The network error of `redirect: 'error'`: undici rejects with `TypeError('fetch failed')` caused by
 * `Error('unexpected redirect')`, msw with `TypeError('Failed to fetch')` caused by that string.
 */
function isRefusedRedirect(err: unknown): boolean {
  if (!(err instanceof TypeError)) return false;
  const cause = (err as { cause?: unknown }).cause;
  return cause === 'unexpected redirect' || (cause instanceof Error && cause.message === 'unexpected redirect');
}

function withRequestId(requestId: string | undefined): { requestId?: string } {
  return requestId === undefined ? {} : { requestId };
}

async function readBounded(res: Response, max: number, requestId: string | undefined): Promise<string> {
  const tooLarge = () =>
    new UpstreamError('ERR_UPSTREAM_RESPONSE', res.status,
      `The upstream response is larger than maxResponseBytes (${max}); it was discarded.`, withRequestId(requestId));
  const length = res.headers.get('content-length');
  const declared = length === null ? NaN : Number(length);
  if (Number.isFinite(declared) && declared > max) {
    await res.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  if (!res.body) return '';
  // A declared length within the bound and no content coding: HTTP framing holds the body to that
  // length, read it in one go. A compressed body is inflated by fetch — its declared length says
  // nothing of what it inflates to — so it is counted as it is read.
  if (Number.isFinite(declared) && !res.headers.has('content-encoding')) return res.text();
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
  if (isRefusedRedirect(err)) return redirected(0, requestId, err);
  if (userSignal?.aborted) return new TransportError('ERR_ABORTED', 'The call was aborted by its signal.', requestId, { cause: userSignal.reason });
  if (timeout.aborted) {
    return new TransportError('ERR_TIMEOUT', `The upstream did not answer within ${timeoutMs} ms (timeoutMs).`, requestId, { cause: err });
  }
  return new TransportError('ERR_UPSTREAM_UNREACHABLE',
    'Could not reach the upstream (connection refused, reset or TLS failure); see cause.', requestId, { cause: err });
}
