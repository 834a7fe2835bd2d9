/**
 * `dancu/testing/msw`: msw 2 request handlers backed by a sandbox's simulator — the same
 * population, counting, lock and faults as its HTTP server, with no port and no network. The only
 * entry of dancu whose types need `msw` installed.
 *
 * @example
 * ```ts
 * import { setupServer } from 'msw/node'
 * import { createSandbox } from 'dancu/testing'
 * import { sandboxHandlers } from 'dancu/testing/msw'
 *
 * const sandbox = await createSandbox({ listen: false })
 * const server = setupServer(...sandboxHandlers(sandbox))
 * server.listen({ onUnhandledRequest: 'error' })
 * ```
 *
 * @packageDocumentation
 */
import { http, HttpResponse, type HttpHandler } from 'msw';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Sandbox } from './index.js';

/** The handlers that answer `sandbox.url` through the sandbox's gateway. */
export function sandboxHandlers(sandbox: Pick<Sandbox, 'url' | 'gateway'>): HttpHandler[] {
  const sim = sandbox.gateway;
  return [
    http.all(`${sandbox.url}/*`, async ({ request }) => {
      const path = new URL(request.url).pathname;
      const answer = await sim.handle({ method: request.method, path, headers: request.headers, body: await request.text() });
      if (answer.delayMs > 0) await sleep(answer.delayMs);
      if (answer.fault === 'reset') return HttpResponse.error();
      if (answer.fault === 'slow') await sleep(Number(answer.headers['x-sandbox-slow-ms'] ?? 2000));
      if (answer.fault === 'flood' || answer.fault === 'drip') {
        return new HttpResponse(hostileBody(answer.fault), { status: 200, headers: { 'content-type': 'application/json' } });
      }
      return new HttpResponse(answer.body, { status: answer.status, headers: answer.headers });
    }),
  ];
}

/** The `flood` and `drip` faults as a web stream (msw): 100 MB in 64 KiB chunks, or a byte every 50 ms for at most a minute. */
function hostileBody(kind: 'flood' | 'drip'): ReadableStream<Uint8Array> {
  const chunk = new Uint8Array(64 * 1024).fill(0x78);
  let sent = 0;
  const deadline = Date.now() + 60_000;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (kind === 'drip') {
        await sleep(50);
        if (Date.now() > deadline) controller.close();
        else controller.enqueue(new Uint8Array([0x78]));
        return;
      }
      if (sent >= 100 * 1024 * 1024) return controller.close();
      sent += chunk.length;
      controller.enqueue(chunk);
    },
  });
}
