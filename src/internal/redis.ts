import { createHash } from 'node:crypto';
import { ConfigError } from '../errors.js';

/**
 * The tiny Redis surface dancu needs: run a cached Lua script. Users pass their own client —
 * ioredis or node-redis (v4/v5), a single server or a Cluster — and it is adapted here, so neither
 * library's types appear in dancu's public API and both stay optional peers.
 */
export interface RedisScriptClient {
  /** EVALSHA: run a loaded script. Must reject with an error whose message contains `NOSCRIPT` when unknown. */
  evalsha(sha: string, keys: readonly string[], args: readonly string[]): Promise<unknown>;
  /** SCRIPT LOAD: returns the script's sha1. */
  scriptLoad(script: string): Promise<string>;
  /**
   * Optional: EVAL, sent like EVALSHA to the node that owns the keys' slot, which runs the script and
   * keeps it. What a Cluster needs after NOSCRIPT: SCRIPT LOAD has no key, so a Cluster client sends
   * it to some node, maybe not that one.
   */
  eval?(script: string, keys: readonly string[], args: readonly string[]): Promise<unknown>;
}

/** Something that looks like an ioredis client, a node-redis client, or a {@link RedisScriptClient}. */
export type RedisClientLike = object;

type Fn = (...args: unknown[]) => unknown;

/** Adapt ioredis, node-redis or an already-adapted client. Throws `TypeError` for anything else. */
export function toScriptClient(client: RedisClientLike): RedisScriptClient {
  const c = client as Record<string, unknown>;
  if (typeof c['evalSha'] === 'function' && typeof c['scriptLoad'] === 'function' && typeof c['eval'] === 'function') {
    // node-redis v4/v5: a client (createClient) or a cluster (createCluster)
    return {
      evalsha: (sha, keys, args) => (c['evalSha'] as Fn).call(client, sha, { keys: [...keys], arguments: [...args] }) as Promise<unknown>,
      scriptLoad: (script) => (c['scriptLoad'] as Fn).call(client, script) as Promise<string>,
      eval: (script, keys, args) => (c['eval'] as Fn).call(client, script, { keys: [...keys], arguments: [...args] }) as Promise<unknown>,
    };
  }
  if (typeof c['evalsha'] === 'function' && typeof c['script'] === 'function' && typeof c['eval'] === 'function') {
    // ioredis: Redis or Cluster
    return {
      evalsha: (sha, keys, args) => (c['evalsha'] as Fn).call(client, sha, keys.length, ...keys, ...args) as Promise<unknown>,
      scriptLoad: (script) => (c['script'] as Fn).call(client, 'LOAD', script) as Promise<string>,
      eval: (script, keys, args) => (c['eval'] as Fn).call(client, script, keys.length, ...keys, ...args) as Promise<unknown>,
    };
  }
  if (typeof c['evalsha'] === 'function' && typeof c['scriptLoad'] === 'function') return client as RedisScriptClient;
  throw new TypeError('Expected an ioredis client, a node-redis client, or { evalsha(sha, keys, args), scriptLoad(script) }.');
}

/**
 * A Lua script run by EVALSHA (its sha1 computed here, as Redis computes it). On NOSCRIPT — a Redis
 * restart, or a Cluster node that has not seen it — it runs once by EVAL, on the node that owns the
 * keys, which keeps it for the next EVALSHA; a client without `eval` loads it (SCRIPT LOAD) and retries.
 */
export class RedisScript {
  readonly #client: RedisScriptClient;
  readonly #source: string;
  readonly #sha: string;

  constructor(client: RedisScriptClient, source: string) {
    this.#client = client;
    this.#source = source;
    this.#sha = createHash('sha1').update(source).digest('hex');
  }

  /** Load the script now (SCRIPT LOAD): proves Redis answers and the script compiles. */
  async load(): Promise<void> {
    await this.#client.scriptLoad(this.#source);
  }

  async run(keys: readonly string[], args: readonly string[]): Promise<unknown> {
    try {
      return await this.#client.evalsha(this.#sha, keys, args);
    } catch (err) {
      if (!String((err as Error)?.message ?? err).includes('NOSCRIPT')) throw err;
      if (this.#client.eval) return this.#client.eval(this.#source, keys, args);
      await this.#client.scriptLoad(this.#source);
      return this.#client.evalsha(this.#sha, keys, args);
    }
  }
}

/**
 * Where a Redis store keeps its state: the script client, the deployment's prefix and the test clock.
 * A Redis quota or cache store shows it as `store.redis`, so that the guard state of a client can be
 * kept beside it (or `createRedisStores` wires all three at once).
 */
export interface RedisConnection {
  readonly client: RedisScriptClient;
  readonly prefix: string;
  readonly clock: (() => number) | undefined;
}

/** A store's key prefix: 1–64 of `[A-Za-z0-9:._-]` (default `dancu`), or `ERR_CONFIG_INVALID`. */
export function checkPrefix(prefix: unknown): string {
  const p = prefix ?? 'dancu';
  if (typeof p !== 'string' || !/^[A-Za-z0-9:._-]{1,64}$/.test(p)) {
    throw new ConfigError([{ path: 'prefix', received: typeof prefix, message: 'must be 1–64 of [A-Za-z0-9:._-]', fix: 'use a short name for the deployment, e.g. "dancu-tinh-x"' }]);
  }
  return p;
}

/** {@link toScriptClient}, refusing anything else with `ERR_CONFIG_INVALID`. */
export function scriptClientOption(client: unknown): RedisScriptClient {
  try {
    if (typeof client !== 'object' || client === null) throw new TypeError('Expected an ioredis client, a node-redis client, or { evalsha(sha, keys, args), scriptLoad(script) }.');
    return toScriptClient(client);
  } catch (err) {
    throw new ConfigError([{ path: 'client', received: client === null ? 'null' : typeof client, message: (err as Error).message, fix: 'pass a connected ioredis or node-redis client' }]);
  }
}


/**
 * The start of every dancu Lua script: `now` in epoch ms from ARGV[1] (a test clock) or, when that
 * is empty, from Redis `TIME`, so hosts with skewed clocks agree; `clocked` says which.
 */
export const LUA_NOW = `
local now
local clocked = ARGV[1] ~= ''
if clocked then now = tonumber(ARGV[1]) else
  local t = redis.call('TIME'); now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) end
`;
