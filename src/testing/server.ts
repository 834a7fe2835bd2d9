import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SimRequest, SimResponse } from './simulator.js';
import type { SimHandler } from './lgsp-gateway.js';

const MAX_REQUEST_BYTES = 64 * 1024;

/** TLS material of an HTTPS sandbox; with `requestCert` the client must present a certificate signed by `ca` (mTLS). */
export interface SandboxTlsOptions {
  key: string | Buffer;
  cert: string | Buffer;
  ca?: string | Buffer;
  requestCert?: boolean;
}

/** Serve the simulator (or a gateway in front of it) over real HTTP (or HTTPS / mTLS) on a loopback address. */
export async function listen(
  sim: SimHandler,
  host: string,
  port: number,
  tls?: SandboxTlsOptions,
): Promise<{ server: Server; url: string }> {
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    void serve(sim, req, res);
  };
  const server: Server = tls
    ? createTlsServer({ ...tls, rejectUnauthorized: tls.requestCert ?? false }, handler)
    : createServer(handler);
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const h = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return { server, url: `${tls ? 'https' : 'http'}://${h}:${addr.port}` };
}

export async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

async function serve(sim: SimHandler, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES) {
        res.writeHead(413).end();
        return;
      }
      chunks.push(chunk);
    }
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
    const simReq: SimRequest = {
      method: req.method ?? 'GET',
      path: new URL(req.url ?? '/', 'http://sandbox').pathname,
      headers,
      body: Buffer.concat(chunks).toString('utf8'),
    };
    const answer = await sim.handle(simReq);
    await send(answer, req, res);
  } catch {
    if (!res.headersSent) res.writeHead(500).end();
    else res.destroy();
  }
}

async function send(answer: SimResponse, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (answer.delayMs > 0) await sleep(answer.delayMs);
  if (answer.fault === 'reset') {
    req.socket.destroy();
    return;
  }
  if (answer.fault === 'flood' || answer.fault === 'drip') {
    await stream(answer.fault, res);
    return;
  }
  const body = Buffer.from(answer.body, 'utf8');
  res.writeHead(answer.status, { ...answer.headers, 'content-length': String(body.length) });
  if (answer.fault === 'slow') {
    const half = Math.floor(body.length / 2);
    res.write(body.subarray(0, half));
    await sleep(Number(answer.headers['x-sandbox-slow-ms'] ?? 2000));
    if (!res.destroyed) res.end(body.subarray(half));
    return;
  }
  res.end(body);
}

/** A body without a length: 100 MB in 64 KiB chunks as fast as the client reads, or a byte every 50 ms. Stops when the client goes. */
async function stream(kind: 'flood' | 'drip', res: ServerResponse): Promise<void> {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.write('{"padding":"');
  const chunk = Buffer.alloc(64 * 1024, 0x78);
  const deadline = Date.now() + 60_000; // bounded: never outlives a test run
  for (let sent = 0; !res.destroyed && Date.now() < deadline; ) {
    if (kind === 'drip') {
      res.write('x');
      await sleep(50);
      continue;
    }
    if (sent >= 100 * 1024 * 1024) break;
    sent += chunk.length;
    if (!res.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.on('drain', done);
        res.on('close', done);
      });
    }
  }
  if (!res.destroyed) res.end('"}');
}
