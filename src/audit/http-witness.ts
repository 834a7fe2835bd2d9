import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KeyObject } from 'node:crypto';
import { ConfigError } from '../errors.js';
import { checkpointLine, checkSignature, parseCheckpoint, prepareKeys, type Checkpoint, type PreparedKeys } from './checkpoint.js';
import { DirectoryWitness, WitnessRefusal, type CheckpointWitness } from './witness.js';

/** Options of {@link HttpWitness}. */
export interface HttpWitnessOptions {
  /** Base URL of the witness the auditor runs (`dancu audit witness`), e.g. `https://witness.example.gov.vn`. */
  url: string;
  /** Bearer token the witness requires to accept checkpoints. */
  token?: string;
  /** Per request. Default `5000`. */
  timeoutMs?: number;
}

/**
 * A witness at an HTTP endpoint the auditor runs (`dancu audit witness` serves one): checkpoints
 * are POSTed; the witness keeps them append-only and refuses a rollback or a fork (409).
 */
export class HttpWitness implements CheckpointWitness {
  readonly #base: string;
  readonly #headers: Record<string, string>;
  readonly #timeoutMs: number;

  constructor(options: HttpWitnessOptions) {
    let url: URL;
    try {
      url = new URL(String((options as Partial<HttpWitnessOptions> | undefined)?.url));
    } catch {
      throw new ConfigError([{ path: 'HttpWitness.url', received: typeof options?.url, message: 'must be the witness URL', fix: 'pass { url: "https://witness.example" }' }]);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError([{ path: 'HttpWitness.url', received: url.protocol, message: 'must be http(s)', fix: 'pass an https:// URL' }]);
    this.#base = url.href.replace(/\/$/, '');
    this.#headers = options.token ? { authorization: `Bearer ${options.token}` } : {};
    this.#timeoutMs = options.timeoutMs ?? 5_000;
  }

  async #fetch(path: string, init: RequestInit = {}): Promise<Response> {
    return fetch(`${this.#base}${path}`, { ...init, redirect: 'error', signal: AbortSignal.timeout(this.#timeoutMs), headers: { ...this.#headers, ...(init.headers as Record<string, string> | undefined) } });
  }

  async submit(c: Checkpoint): Promise<void> {
    const res = await this.#fetch('/v1/checkpoints', { method: 'POST', body: checkpointLine(c), headers: { 'content-type': 'application/json' } });
    const text = (await res.text()).slice(0, 500);
    if (res.status === 200 || res.status === 201) return;
    if (res.status === 409) {
      const reason = /"reason":"(rollback|fork)"/.exec(text)?.[1] as 'rollback' | 'fork' | undefined;
      throw new WitnessRefusal(reason ?? 'fork', `witness refused the checkpoint: ${text}`);
    }
    if (res.status === 400 || res.status === 403) throw new WitnessRefusal('invalid', `witness refused the checkpoint (${res.status}): ${text}`);
    throw new Error(`witness answered ${res.status}`);
  }

  async head(instance: string): Promise<Checkpoint | undefined> {
    const res = await this.#fetch(`/v1/head/${encodeURIComponent(instance)}`);
    if (res.status === 404) return undefined;
    if (!res.ok) throw new Error(`witness answered ${res.status}`);
    return parseCheckpoint(await res.text());
  }

  async instances(): Promise<string[]> {
    const res = await this.#fetch('/v1/instances');
    if (!res.ok) throw new Error(`witness answered ${res.status}`);
    const v = (await res.json()) as unknown;
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  }

  async list(instance: string): Promise<Checkpoint[]> {
    const res = await this.#fetch(`/v1/checkpoints/${encodeURIComponent(instance)}`);
    if (res.status === 404) return [];
    if (!res.ok) throw new Error(`witness answered ${res.status}`);
    return (await res.text()).split('\n').flatMap((l) => {
      const c = l ? parseCheckpoint(l) : undefined;
      return c ? [c] : [];
    });
  }
}

/** A running witness server. */
export interface WitnessServer {
  /** `http://host:port`. */
  url: string;
  close(): Promise<void>;
}

/**
 * Serve a {@link DirectoryWitness} over HTTP (`dancu audit witness`): what an auditor runs so that
 * checkpoints leave the writer's reach. With `publicKeys`, only checkpoints signed by one of them are
 * taken; with `token`, only POSTs that carry it. Binds `127.0.0.1` unless told otherwise.
 */
export async function serveWitness(options: { directory: string; host?: string; port?: number; publicKeys?: ReadonlyArray<string | Buffer | KeyObject>; token?: string }): Promise<WitnessServer> {
  const store = new DirectoryWitness(options.directory);
  const keys: PreparedKeys[] = (options.publicKeys ?? []).map((k) => prepareKeys({ publicKey: k }));
  const send = (res: ServerResponse, status: number, body: string, type = 'application/json') => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
    res.end(body);
  };
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://witness').pathname;
    if (req.method === 'POST' && path === '/v1/checkpoints') {
      if (options.token && req.headers.authorization !== `Bearer ${options.token}`) return send(res, 401, '{"error":"unauthorized"}');
      let body = '';
      for await (const chunk of req) {
        body += String(chunk);
        if (body.length > 16_384) return send(res, 413, '{"error":"too large"}');
      }
      const c = parseCheckpoint(body);
      if (!c) return send(res, 400, '{"error":"not a checkpoint"}');
      if (keys.length > 0 && !keys.some((k) => checkSignature(c, k) === 'ok')) return send(res, 403, '{"error":"not signed by a key this witness accepts"}');
      const before = await store.head(c.instance).catch(() => undefined);
      try {
        await store.submit(c);
      } catch (err) {
        if (err instanceof WitnessRefusal) return send(res, err.reason === 'invalid' ? 400 : 409, JSON.stringify({ error: err.message, reason: err.reason }));
        throw err;
      }
      return send(res, before && before.sig === c.sig && before.seq === c.seq ? 200 : 201, '{"ok":true}');
    }
    if (req.method !== 'GET') return send(res, 405, '{"error":"method not allowed"}');
    if (path === '/v1/instances') return send(res, 200, JSON.stringify(await store.instances()));
    const m = /^\/v1\/(head|checkpoints)\/([A-Za-z0-9._-]{1,128})$/.exec(path);
    if (!m) return send(res, 404, '{"error":"not found"}');
    if (m[1] === 'head') {
      const h = await store.head(m[2]!);
      return h ? send(res, 200, checkpointLine(h)) : send(res, 404, '{"error":"unknown instance"}');
    }
    const list = await store.list(m[2]!);
    return send(res, list.length > 0 ? 200 : 404, list.map((c) => `${checkpointLine(c)}\n`).join(''), 'application/x-ndjson');
  };
  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, '{"error":"witness failed to store the checkpoint"}');
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
