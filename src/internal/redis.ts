import { ConfigError } from '../errors.js';

/**
 * The tiny Redis surface dancu needs: run a cached Lua script. Users pass their own client —
 * ioredis or node-redis (v4/v5) — and it is adapted here, so neither library's types appear in
 * dancu's public API and both stay optional peers.
 */
export interface RedisScriptClient {
  /** EVALSHA: run a loaded script. Must reject with an error whose message contains `NOSCRIPT` when unknown. */
  evalsha(sha: string, keys: readonly string[], args: readonly string[]): Promise<unknown>;
  /** SCRIPT LOAD: returns the script's sha1. */
  scriptLoad(script: string): Promise<string>;
}

/** Something that looks like an ioredis client, a node-redis client, or a {@link RedisScriptClient}. */
export type RedisClientLike = object;

type Fn = (...args: unknown[]) => unknown;

/** Adapt ioredis, node-redis or an already-adapted client. Throws `TypeError` for anything else. */
export function toScriptClient(client: RedisClientLike): RedisScriptClient {
  const c = client as Record<string, unknown>;
  if (typeof c['evalSha'] === 'function' && typeof c['scriptLoad'] === 'function') {
    // node-redis v4/v5
    return {
      evalsha: (sha, keys, args) => (c['evalSha'] as Fn).call(client, sha, { keys: [...keys], arguments: [...args] }) as Promise<unknown>,
      scriptLoad: (script) => (c['scriptLoad'] as Fn).call(client, script) as Promise<string>,
    };
  }
  if (typeof c['evalsha'] === 'function' && typeof c['script'] === 'function') {
    // ioredis
    return {
      evalsha: (sha, keys, args) => (c['evalsha'] as Fn).call(client, sha, keys.length, ...keys, ...args) as Promise<unknown>,
      scriptLoad: (script) => (c['script'] as Fn).call(client, 'LOAD', script) as Promise<string>,
    };
  }
  if (typeof c['evalsha'] === 'function' && typeof c['scriptLoad'] === 'function') return client as RedisScriptClient;
  throw new TypeError('Expected an ioredis client, a node-redis client, or { evalsha(sha, keys, args), scriptLoad(script) }.');
}

/** A Lua script run by EVALSHA, loaded on first use and reloaded after NOSCRIPT (e.g. a Redis restart). */
export class RedisScript {
  readonly #client: RedisScriptClient;
  readonly #source: string;
  #sha: string | undefined;

  constructor(client: RedisScriptClient, source: string) {
    this.#client = client;
    this.#source = source;
  }

  /** Load the script now (SCRIPT LOAD): proves Redis answers and the script compiles. */
  async load(): Promise<void> {
    this.#sha = await this.#client.scriptLoad(this.#source);
  }

  async run(keys: readonly string[], args: readonly string[]): Promise<unknown> {
    this.#sha ??= await this.#client.scriptLoad(this.#source);
    try {
      return await this.#client.evalsha(this.#sha, keys, args);
    } catch (err) {
      if (!String((err as Error)?.message ?? err).includes('NOSCRIPT')) throw err;
      this.#sha = await this.#client.scriptLoad(this.#source);
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
