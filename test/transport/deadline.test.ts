/**
 * The request deadline without an AbortSignal handed to fetch (src/transport/http.ts): what the
 * signal did must still hold. A call that waits for a connection leaves unsent when its deadline
 * passes or its own signal aborts; a request that hangs is ended by the Agent soon after the
 * deadline; the caller's own signal is followed; no signal is made for a call that has none.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FetchLike } from '../../src/index.js';
import { createSandbox, type Sandbox } from '../../src/testing/index.js';
import { clientFor, ctx, rejection, verifyInput } from '../helpers.js';

const TOKEN = JSON.stringify({ access_token: 'tok', token_type: 'Bearer', expires_in: 3600 });

/** A fetch that answers the token at once and holds every API request until the test lets it go. */
function holdingFetch() {
  const sent: Array<{ body: { MaYeuCau: string }; signal: AbortSignal | null | undefined; answer: () => void }> = [];
  const fetch: FetchLike = async (input, init) => {
    if (String(input).endsWith('/oauth2/token')) return new Response(TOKEN, { status: 200 });
    const body = JSON.parse(String(init?.body)) as { MaYeuCau: string };
    return new Promise<Response>((resolve) => {
      sent.push({
        body,
        signal: init?.signal,
        answer: () => resolve(new Response(JSON.stringify({ MaYeuCau: body.MaYeuCau, TonTai: true, KetQua: { TrungKhop: true, HoVaTen: true, NgayThangNamSinh: true } }), { status: 200 })),
      });
    });
  };
  return { fetch, sent };
}

describe('the request deadline', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await createSandbox({ listen: false, populationSize: 10 });
  });
  afterAll(() => sandbox.close());
  const person = (i: number) => verifyInput(sandbox.population[i]!);

  it('a call waiting for a connection leaves unsent at its deadline; the place is freed even if the hung request never ends', async () => {
    const { fetch, sent } = holdingFetch();
    const client = clientFor(sandbox, { fetch, maxConnections: 1, timeoutMs: 200, connectTimeoutMs: 100, retry: { attempts: 1 } });
    try {
      await client.verifyCitizen(person(0), ctx).catch(() => undefined); // token; this request hangs
      expect(sent).toHaveLength(1);
      // The one place is taken by that hung request (an injected fetch has no headersTimeout): the
      // next call waits, and its deadline passes while it waits.
      const t0 = performance.now();
      const err = await rejection(client.verifyCitizen(person(1), ctx));
      expect(err.code).toBe('ERR_TIMEOUT');
      expect(performance.now() - t0).toBeLessThan(600);
      expect(sent).toHaveLength(1); // never handed to fetch
      // timeoutMs + connectTimeoutMs after the hung call's deadline its place is free again.
      await new Promise((r) => setTimeout(r, 400));
      const next = client.verifyCitizen(person(2), ctx);
      await new Promise((r) => setTimeout(r, 20));
      expect(sent).toHaveLength(2);
      sent[1]!.answer();
      await expect(next).resolves.toMatchObject({ match: true });
      sent[0]!.answer(); // the hung one, answered late: dropped
    } finally {
      await client.close();
    }
  });

  it('no signal is made for a call without one; a caller\'s own signal is handed to fetch and, while waiting, takes the call out unsent', async () => {
    const { fetch, sent } = holdingFetch();
    const client = clientFor(sandbox, { fetch, maxConnections: 1, timeoutMs: 5_000, retry: { attempts: 1 } });
    try {
      const first = client.verifyCitizen(person(3), ctx);
      await new Promise((r) => setTimeout(r, 20));
      expect(sent).toHaveLength(1);
      expect(sent[0]!.signal ?? undefined).toBeUndefined();

      const ac = new AbortController();
      const waiting = client.verifyCitizen(person(4), { ...ctx, signal: ac.signal });
      await new Promise((r) => setTimeout(r, 20));
      ac.abort();
      expect((await rejection(waiting)).code).toBe('ERR_ABORTED');
      sent[0]!.answer();
      await expect(first).resolves.toMatchObject({ match: true });
      expect(sent).toHaveLength(1); // the aborted one never went out

      const own = new AbortController();
      const third = client.verifyCitizen(person(5), { ...ctx, signal: own.signal });
      await new Promise((r) => setTimeout(r, 20));
      expect(sent).toHaveLength(2);
      expect(sent[1]!.signal).toBe(own.signal);
      sent[1]!.answer();
      await expect(third).resolves.toMatchObject({ match: true });
    } finally {
      await client.close();
    }
  });

  it('over HTTP, a request the upstream never answers is ended by the Agent within about a second of the deadline', async () => {
    let closedAt = 0;
    const server = createServer((req: IncomingMessage, res) => {
      if (req.url?.endsWith('/oauth2/token')) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(TOKEN);
        return;
      }
      req.resume();
      res.on('close', () => (closedAt = performance.now())); // never answered: only the client ends it
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const client = clientFor(sandbox, { baseUrl: url, timeoutMs: 300, retry: { attempts: 1 } });
    try {
      const t0 = performance.now();
      const err = await rejection(client.verifyCitizen(person(6), ctx));
      expect(err.code).toBe('ERR_TIMEOUT');
      expect(performance.now() - t0).toBeLessThan(700);
      for (let i = 0; i < 100 && closedAt === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(closedAt).toBeGreaterThan(0);
      // headersTimeout (= timeoutMs) from when it was written, on undici's half-second timer ticks.
      expect(closedAt - t0).toBeLessThan(300 + 1_000 + 300);
    } finally {
      await client.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
