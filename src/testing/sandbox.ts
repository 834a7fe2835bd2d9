/** The sandbox: the simulator behind a gateway, over HTTP or msw (see `dancu/testing`). */
import type { Server } from 'node:http';
import { closeServer, listen, type SandboxTlsOptions } from './server.js';
import { Simulator, type FaultKind, type SandboxStats, type SimulatorOptions } from './simulator.js';
import type { SandboxCitizen } from './population.js';
import type { PurposeDefinition } from '../purpose/registry.js';
import { LgspGateway, NdxpGateway, type GatewayFactory, type SimHandler } from './lgsp-gateway.js';
import { referenceProfile } from '../transport/reference-profile.js';
import type { WireProfile } from '../transport/types.js';
import { Chain } from '../audit/chain.js';
import type { AuditEventBody } from '../audit/schema.js';
import type { AuditSink } from '../audit/sink.js';
import { ConfigError } from '../errors.js';
import { optionsObject } from '../internal/options.js';
import { createClient } from '../client.js';
import type { DancuClient } from '../api.js';
import type { DancuClientOptions } from '../options.js';
import { MemoryAuditSink } from '../audit/sink.js';

/** Options of {@link createSandbox}. */
export interface SandboxOptions extends SimulatorOptions {
  /** Start a real HTTP server. Default `true`; `false` for msw-only use (no port opened). */
  listen?: boolean;
  /** Loopback address to bind. Default `127.0.0.1`. */
  host?: string;
  /** Port; `0` picks a free one. Default `0`. */
  port?: number;
  /**
   * Which gateway the sandbox plays: `reference` (default, JSON over REST), `lgsp-soap` (the
   * provincial LGSP gateway: `lgspaccesstoken` token exchange, the SOAP envelope as the body, checked
   * strictly) or `ndxp` (the service directly through NDXP: a signature per request). Same
   * population, counting, lock and faults either way; `sandbox.profile` is the matching client
   * profile. With `gateway`, pass your own client profile here (it becomes `sandbox.profile`).
   */
  profile?: 'reference' | 'lgsp-soap' | 'ndxp' | WireProfile;
  /**
   * Your own gateway adapter in front of the same simulator (same population, lock, counting and
   * faults): `(simulator) => ({ handle(req) })`, translating your gateway's wire into the simulator's
   * reference requests and its answers back, the way `LgspGateway` does.
   */
  gateway?: GatewayFactory;
  /** Officers' keys the LGSP gateway demands as `AuthHash` (and `sandbox.profile` sends). */
  operatorKeys?: Readonly<Record<string, { keyName: string; keyPass: string }>>;
  /** Serve HTTPS with this key and certificate; `requestCert: true` demands a client certificate signed by `ca` (mTLS). */
  tls?: SandboxTlsOptions;
}

/** A running sandbox upstream. */
export interface Sandbox {
  /** Base URL to pass to `createClient({ baseUrl })`. With `listen: false`, a `.test` URL only msw answers. */
  readonly url: string;
  /** Valid client credentials for this sandbox. */
  readonly credentials: { clientId: string; clientSecret: string };
  /** Citizens that exist upstream. */
  readonly population: readonly SandboxCitizen[];
  /** The client profile that speaks this sandbox's gateway: pass it as `createClient({ profile })`. */
  readonly profile: WireProfile;
  /**
   * The gateway the sandbox plays, transport-free: the HTTP server and the msw handlers of
   * `dancu/testing/msw` (`sandboxHandlers(sandbox)`) both answer through it.
   */
  readonly gateway: SimHandler;
  /** What the upstream saw. */
  stats(): SandboxStats;
  /** Counters, lock and injected faults back to zero. */
  reset(): void;
  /** Replace the next `count` API answers by a fault. */
  inject(kind: FaultKind, count?: number): void;
  /** Invalidate every issued access token. */
  expireTokens(): void;
  /**
   * A new client bound to this sandbox: its `url`, `credentials` and `profile`, `SANDBOX_PURPOSES`,
   * a test system identity and an in-memory audit trail (`MemoryAuditSink`); `options` override any
   * of them. One per test (made in `beforeEach`, closed in `afterEach`) keeps tests apart: a client
   * remembers a lock, an open breaker and its quota until Vietnam midnight, which `reset()` (the
   * upstream's side) does not clear. `close()` closes the clients not closed yet.
   */
  client(options?: Partial<DancuClientOptions>): DancuClient;
  /** Close the clients made by `client()` that are still open, then stop the HTTP server (if any). */
  close(): Promise<void>;
  /** The simulator itself, for advanced tests. */
  readonly simulator: Simulator;
}

/**
 * An audit sink that builds and hash-chains every event as a durable sink does (canonical JSON,
 * SHA-256, the line), then drops it: for load tests and benchmarks of the pipeline's own cost, where
 * `MemoryAuditSink` would keep every event and the heap would grow with the run. Never for a trail.
 */
export class DiscardingAuditSink implements AuditSink {
  readonly #chain = new Chain();
  #events = 0;
  /** Events written so far. */
  get events(): number {
    return this.#events;
  }
  async write(bodies: readonly AuditEventBody[]): Promise<void> {
    this.#chain.linkLines(bodies);
    this.#chain.commit();
    this.#events += bodies.length;
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}

/** Example purposes for tests and demos; not a list of real procedure codes. */
export const SANDBOX_PURPOSES: readonly PurposeDefinition[] = Object.freeze([
  {
    code: 'HT-KHAISINH',
    title: 'Đăng ký khai sinh (birth registration)',
    legalBasis: 'Luật Hộ tịch 2014; Nghị định 123/2015/NĐ-CP',
    operations: ['verify'],
  },
  {
    code: 'DD-CAPGCN',
    title: 'Cấp giấy chứng nhận quyền sử dụng đất (land title)',
    legalBasis: 'Luật Đất đai 2024',
    operations: ['verify', 'lookup'],
    fields: ['fullName', 'dateOfBirth', 'permanentAddress'],
  },
]);

/**
 * Start a sandbox upstream that speaks the reference profile.
 *
 * @example
 * ```ts
 * const sandbox = await createSandbox({ lockThreshold: 100 })
 * const client = createClient({ baseUrl: sandbox.url, credentials: sandbox.credentials, ... })
 * ```
 */
export async function createSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const { listen: shouldListen = true, host = '127.0.0.1', port = 0, tls, profile = 'reference', gateway: custom, operatorKeys, ...simOptions } = optionsObject<SandboxOptions>(options, 'createSandbox');
  if (shouldListen && (typeof host !== 'string' || !/^(127(?:\.\d{1,3}){3}|::1|localhost)$/.test(host))) {
    throw new ConfigError([{ path: 'host', received: typeof host, message: 'the sandbox binds loopback addresses only (127.0.0.0/8, ::1, localhost)', fix: 'leave host out (127.0.0.1)' }]);
  }
  if (custom !== undefined && typeof custom !== 'function') {
    throw new ConfigError([{ path: 'gateway', received: typeof custom, message: 'must be a function (simulator) => ({ handle(req) })', fix: 'pass your gateway adapter factory, or leave gateway out' }]);
  }
  if (typeof profile === 'string' ? !['reference', 'lgsp-soap', 'ndxp'].includes(profile) : typeof profile?.operations?.verify?.build !== 'function') {
    throw new ConfigError([{ path: 'profile', received: typeof profile, message: 'unknown sandbox profile', fix: 'use "reference", "lgsp-soap" or "ndxp" (or, with gateway, your own WireProfile)' }]);
  }
  const sim = new Simulator(simOptions);
  let gateway: SimHandler;
  if (custom) gateway = custom(sim);
  else if (profile === 'lgsp-soap') gateway = new LgspGateway(sim, operatorKeys ? { operatorKeys } : {});
  else if (profile === 'ndxp') gateway = new NdxpGateway(sim);
  else gateway = sim;
  if (typeof gateway?.handle !== 'function') throw new ConfigError([{ path: 'gateway', received: typeof gateway, message: 'the factory returned no { handle(req) }', fix: 'return an object with handle(req): Promise<SimResponse>' }]);
  const clientProfile: WireProfile = typeof profile === 'object' ? profile
    : profile === 'lgsp-soap' ? LgspGateway.profile(operatorKeys) : profile === 'ndxp' ? NdxpGateway.profile() : referenceProfile;
  let server: Server | undefined;
  let url = 'https://sandbox.dancu.test';
  if (shouldListen) ({ server, url } = await listen(gateway, host, port, tls));
  const clients = new Set<DancuClient>();
  return {
    url,
    profile: clientProfile,
    credentials: sim.credentials,
    population: sim.population,
    gateway,
    stats: () => sim.stats(),
    reset: () => sim.reset(),
    inject: (kind, count) => sim.inject(kind, count),
    expireTokens: () => sim.expireTokens(),
    client: (options) => {
      const made = createClient({
        baseUrl: url,
        credentials: sim.credentials,
        profile: clientProfile,
        system: { id: 'sandbox-test', unitCode: 'UBND-SANDBOX', version: '0.0.0' },
        purposes: SANDBOX_PURPOSES,
        audit: { sink: new MemoryAuditSink() },
        ...optionsObject<Partial<DancuClientOptions>>(options ?? {}, 'sandbox.client'),
      });
      clients.add(made);
      const close = made.close.bind(made);
      made.close = () => {
        clients.delete(made);
        return close();
      };
      return made;
    },
    close: async () => {
      await Promise.all([...clients].map((c) => c.close()));
      if (server) await closeServer(server);
    },
    simulator: sim,
  };
}
