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
 * fetch clones the request and tees its body before sending it (figures: docs/benchmarks.md, "Why
 * the code is as it is"). The price: fetch reports a refused redirect as a network error without
 * its status, so the error says "a redirect" with status 0.
 *
 * The deadline (`timeoutMs`, the whole exchange, body included) is a timer, not an `AbortSignal`
 * handed to fetch, which follows a signal through a `WeakRef`, a `FinalizationRegistry` entry and a
 * listener per request (nodejs/undici#1203; docs/benchmarks.md). What the signal did is done so:
 * - at most `connections` requests wait for their headers; a call beyond that waits here, not in
 *   undici's queue where nothing could take it back, and leaves unsent if its deadline passes (or
 *   its own signal aborts) first. A place passes on when an answer's headers are in — its body is
 *   read while the next request goes out — or its exchange ended, not when its caller gave up;
 * - at the deadline the caller gets `ERR_TIMEOUT` at once. A body being read is cancelled (fetch
 *   then closes the connection); a request still waiting for headers is ended by the Agent's
 *   `headersTimeout` (= `timeoutMs` from when it was written, on undici's half-second timer ticks:
 *   within about a second), and an answer that comes anyway is cancelled unread;
 * - a caller's own `signal` is handed to fetch as is: whoever passes one wants it followed.
 * Left: a request can wait in undici's queue behind a body still being read; if that body drips
 * until its own deadline, the request behind it may go out after its caller gave up (its quota was
 * spent before it reached the transport, so no budget is overrun).
 */
export class HttpClient {
  readonly #opts: HttpClientOptions;
  readonly #agent: Agent;
  readonly #urls = new Map<string, URL>();
  /** Exchanges under way (at most `connections`), and the calls waiting for one to end, oldest first. */
  #active = 0;
  #waiting: Waiter[] = [];
  #head = 0;

  /** The gateway's host name and port, for tracing (`server.address`, `server.port`). */
  get server(): { address: string; port: number } {
    const u = this.#opts.baseUrl;
    return { address: u.hostname.replace(/^\[(.*)\]$/, '$1'), port: u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80 };
  }

  constructor(opts: HttpClientOptions) {
    this.#opts = opts;
    this.#agent = new Agent({
      connections: opts.connections,
      keepAliveTimeout: 30_000,
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
      connect: { timeout: opts.connectTimeoutMs, ...(opts.tls ?? {}) },
    });
  }

  send(req: WireRequest, init: { signal?: AbortSignal | undefined; requestId?: string | undefined } = {}): Promise<WireResponse> {
    const { signal, requestId } = init;
    if (signal?.aborted) return Promise.reject(aborted(signal, requestId));
    const url = this.#url(req.path);
    const timeoutMs = this.#opts.timeoutMs;
    return new Promise<WireResponse>((resolve, reject) => {
      // Settling an already settled promise does nothing: the first of answer, failure, deadline wins.
      const call: Call = { expired: false, cancel: undefined, started: false, left: false };
      const timer = setTimeout(() => {
        call.expired = true;
        const cancel = call.cancel;
        call.cancel = undefined;
        cancel?.(); // its place in the queue, or the body being read
        if (call.started && !call.left) {
          // Still waiting for its headers: its place stays taken until the Agent's headersTimeout
          // ends the request (within about a second). An injected fetch has no such timeout: the
          // place is freed after another timeoutMs + connectTimeoutMs whatever it does.
          setTimeout(() => this.#leave(call), timeoutMs + this.#opts.connectTimeoutMs).unref();
        }
        reject(new TransportError('ERR_TIMEOUT', `The upstream did not answer within ${timeoutMs} ms (timeoutMs).`, requestId));
      }, timeoutMs);
      const start = () => {
        call.started = true;
        call.cancel = undefined;
        this.#exchange(url, req, signal, call, requestId).then(
          (res) => {
            clearTimeout(timer);
            this.#leave(call);
            resolve(res);
          },
          (err: unknown) => {
            clearTimeout(timer);
            this.#leave(call);
            reject(classify(err, signal, timeoutMs, requestId));
          },
        );
      };
      if (this.#active < this.#opts.connections) {
        this.#active++;
        start();
      } else {
        this.#wait(call, start, signal, () => {
          clearTimeout(timer);
          reject(aborted(signal!, requestId));
        });
      }
    });
  }

  /** Queue a call until an exchange ends; its deadline or its own signal take it out unsent. */
  #wait(call: Call, start: () => void, signal: AbortSignal | undefined, onAbort: () => void): void {
    const leave = () => {
      waiter.gone = true;
      signal?.removeEventListener('abort', leave);
      if (signal?.aborted) onAbort();
    };
    const waiter: Waiter = {
      gone: false,
      start: () => {
        signal?.removeEventListener('abort', leave);
        start();
      },
    };
    this.#waiting.push(waiter);
    call.cancel = leave;
    signal?.addEventListener('abort', leave, { once: true });
  }

  /** The call gives its place up (once): its answer's headers are in, or its exchange ended. */
  #leave(call: Call): void {
    if (!call.started || call.left) return;
    call.left = true;
    this.#release();
  }

  /** A place is given up: the next waiting call takes it, or it is free. */
  #release(): void {
    const queue = this.#waiting;
    while (this.#head < queue.length) {
      const next = queue[this.#head++]!;
      if (next.gone) continue;
      if (this.#head >= 1024 && this.#head * 2 >= queue.length) {
        this.#waiting = queue.slice(this.#head); // drop the part already served
        this.#head = 0;
      }
      next.start(); // the place passes on: #active unchanged
      return;
    }
    queue.length = 0; // emptied in place: no new array each time a place is freed
    this.#head = 0;
    this.#active--;
  }

  /** Absolute URL of a profile path under `baseUrl` (a few paths: resolved once each). */
  #url(path: string): URL {
    let url = this.#urls.get(path);
    if (url === undefined) this.#urls.set(path, (url = new URL(path.replace(/^\//, ''), this.#opts.baseUrl)));
    return url;
  }

  async #exchange(url: URL, req: WireRequest, signal: AbortSignal | undefined, call: Call, requestId: string | undefined): Promise<WireResponse> {
    if (this.#opts.engine === 'undici') return this.#request(url, req, signal, call, requestId);
    const doFetch = this.#opts.fetch ?? (globalThis.fetch as FetchLike);
    // `dispatcher` is undici's extension of RequestInit. Node's bundled undici and undici 7 have
    // structurally different (but compatible at run time) types, hence the untyped object.
    // One literal (absent members as undefined, which fetch reads as absent): one object shape for every request.
    const fetchInit: Record<string, unknown> = {
      method: req.method,
      headers: req.headers,
      body: req.body,
      redirect: 'error',
      signal,
      dispatcher: this.#agent,
    };
    const res = await doFetch(url.href, fetchInit as RequestInit); // a string: nobody can change the shared URL
    this.#leave(call);
    if (call.expired) {
      // Too late: the caller has its ERR_TIMEOUT. The body is not read; cancelling it frees the connection.
      await res.body?.cancel().catch(() => undefined);
      throw new TransportError('ERR_TIMEOUT', 'The answer came after the deadline; it was discarded.', requestId);
    }
    if (res.status >= 300 && res.status < 400) {
      // 300 and 304 are not redirects to fetch, and an injected fetch may ignore `redirect`.
      await res.body?.cancel().catch(() => undefined);
      throw redirected(res.status, requestId);
    }
    const body = await readBounded(res, this.#opts.maxResponseBytes, call, requestId);
    return { status: res.status, headers: res.headers, body };
  }

  /** The same exchange on `Agent.request` (no fetch layer): same bounds, same refusals, no redirects. */
  async #request(url: URL, req: WireRequest, signal: AbortSignal | undefined, call: Call, requestId: string | undefined): Promise<WireResponse> {
    const res = await this.#agent.request({
      origin: url.origin,
      path: `${url.pathname}${url.search}`,
      method: req.method,
      headers: req.headers,
      ...(req.body !== undefined ? { body: req.body } : {}),
      ...(signal !== undefined ? { signal } : {}),
    });
    this.#leave(call);
    const discard = () => {
      res.body.on('error', () => undefined); // destroying an unread body emits an AbortError
      res.body.destroy();
    };
    if (call.expired) {
      discard();
      throw new TransportError('ERR_TIMEOUT', 'The answer came after the deadline; it was discarded.', requestId);
    }
    const headers = new Headers();
    for (const [k, v] of Object.entries(res.headers)) {
      if (Array.isArray(v)) for (const x of v) headers.append(k, x);
      else if (v !== undefined) headers.set(k, v);
    }
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
    call.cancel = discard; // the deadline ends the read
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

/** The state of one call to {@link HttpClient.send}. */
interface Call {
  /** The deadline has passed (the caller was answered with ERR_TIMEOUT). */
  expired: boolean;
  /** Ends what the call waits on at the deadline: its place in the queue, or the body being read. */
  cancel: (() => void) | undefined;
  /** It was given one of the `connections` places. */
  started: boolean;
  /** It gave that place up. */
  left: boolean;
}

interface Waiter {
  /** Left the queue unsent (deadline or signal). */
  gone: boolean;
  start: () => void;
}

function aborted(signal: AbortSignal, requestId: string | undefined): TransportError {
  return new TransportError('ERR_ABORTED', 'The call was aborted by its signal.', requestId, { cause: signal.reason });
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

async function readBounded(res: Response, max: number, call: Call, requestId: string | undefined): Promise<string> {
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
  // Read chunk by chunk, whatever the declared length: a compressed body is inflated by fetch (its
  // declared length says nothing of what it inflates to), and the deadline must be able to end the read.
  const reader = res.body.getReader();
  call.cancel = () => void reader.cancel().catch(() => undefined);
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
  return chunks.length === 1 ? Buffer.from(chunks[0]!.buffer, chunks[0]!.byteOffset, total).toString('utf8') : Buffer.concat(chunks, total).toString('utf8');
}

/** The Agent's own `headersTimeout` and `bodyTimeout` (= `timeoutMs`), as fetch reports them (its cause). */
const UNDICI_TIMEOUTS = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

function classify(err: unknown, userSignal: AbortSignal | undefined, timeoutMs: number, requestId: string | undefined): DancuError {
  if (err instanceof DancuError) return err;
  if (isRefusedRedirect(err)) return redirected(0, requestId, safeCause(err));
  if (userSignal?.aborted) return aborted(userSignal, requestId);
  const code = (err as { cause?: { code?: unknown }; code?: unknown }).cause?.code ?? (err as { code?: unknown }).code;
  if (typeof code === 'string' && UNDICI_TIMEOUTS.has(code)) {
    return new TransportError('ERR_TIMEOUT', `The upstream did not answer within ${timeoutMs} ms (timeoutMs).`, requestId, { cause: safeCause(err) });
  }
  return new TransportError('ERR_UPSTREAM_UNREACHABLE',
    'Could not reach the upstream (connection refused, reset or TLS failure); see cause.', requestId, { cause: safeCause(err) });
}

/**
 * A copy of a transport error fit to keep as `cause`: its name, code, errno and syscall, and its
 * message with every quoted part blanked — `Headers.append: "Bearer …" is an invalid header value`
 * quotes a header (a token, a signature), and the same goes for URLs and bodies in other messages.
 * Causes of causes likewise, three deep.
 */
export function safeCause(err: unknown, depth = 0): unknown {
  if (typeof err !== 'object' || err === null) return typeof err === 'string' ? blankQuoted(err) : undefined;
  const e = err as { name?: unknown; message?: unknown; code?: unknown; errno?: unknown; syscall?: unknown; cause?: unknown };
  const copy = new Error(typeof e.message === 'string' ? blankQuoted(e.message) : 'error') as Error & Record<string, unknown>;
  Object.defineProperty(copy, 'name', { value: typeof e.name === 'string' ? e.name : 'Error', enumerable: false, configurable: true });
  for (const k of ['code', 'errno', 'syscall'] as const) if (typeof e[k] === 'string' || typeof e[k] === 'number') copy[k] = e[k];
  if (e.cause !== undefined && depth < 3) copy.cause = safeCause(e.cause, depth + 1);
  return copy;
}

function blankQuoted(text: string): string {
  return text.replace(/"[^"]*"|'[^']*'|`[^`]*`/g, '"…"').replace(/[\r\n]+/g, ' ').slice(0, 300);
}
