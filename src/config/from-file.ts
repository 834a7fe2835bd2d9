import type { DancuClient } from '../api.js';
import { defaultAuditInstance } from '../audit/config.js';
import { DirectoryWitness } from '../audit/witness.js';
import { HttpWitness } from '../audit/http-witness.js';
import { PostgresAuditSink } from '../audit/postgres-sink.js';
import { PostgresWitness } from '../audit/postgres-witness.js';
import { MemoryAuditSink } from '../audit/sink.js';
import { RedisCacheStore } from '../cache/redis-store.js';
import { createClient } from '../client.js';
import type { DancuClientOptions } from '../config.js';
import { ConfigError } from '../errors.js';
import { RedisQuotaStore } from '../quota/redis-store.js';
import { loadDeploymentFile, materialise, substitute, type Declared, type RedisDeclaration } from './deployment-file.js';

/** Options of {@link createClientFromConfig}. */
export interface ClientFromConfigOptions {
  /** Where `${NAME}` references are read. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
}

type Closer = () => Promise<unknown> | unknown;

/** The optional peers, loaded only when the file declares what needs them. */
async function peer<T>(name: 'ioredis' | 'pg', path: string): Promise<T> {
  try {
    return (await import(name)) as T;
  } catch (cause) {
    throw new ConfigError([{ path, received: 'string', message: `needs the ${name} package, which is not installed`, fix: `npm install ${name}` }], { cause });
  }
}

/**
 * Create a client from the deployment file that `dancu doctor` checks: the options of
 * `createClient` in JSON, secrets as `"${ENV_VAR}"`, stores declared (`{ "redis": "<url>",
 * "prefix"? }` or `{ "redisCluster": ["<url>", …], "prefix"? }` for `quota.store` and `cache.store`; `{ "postgres": "<url>", "table"? }`, `{ "jsonl": {
 * "directory" } }` or `{ "memory": {} }` for `audit.sink`; `{ "directory" }`, `{ "url", "token"? }`
 * or `{ "postgres" }` for `audit.witness`). The connections it opens (ioredis, pg, optional peers)
 * belong to the client: `client.close()` closes them. An unset variable, a store declared in another
 * form, or an invalid option throws `ERR_CONFIG_INVALID` before anything connects.
 *
 * @example
 * ```ts
 * const client = await createClientFromConfig('/etc/dancu/dancu.config.json')
 * await client.ready({ token: true })
 * ```
 */
export async function createClientFromConfig(config: string | object, options: ClientFromConfigOptions = {}): Promise<DancuClient> {
  const raw = typeof config === 'string' ? await loadDeploymentFile(config) : config;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError([{ path: '(root)', received: Array.isArray(raw) ? 'array' : typeof raw, message: 'a deployment file is a JSON object', fix: 'see examples/deployment/dancu.config.json' }]);
  }
  const missing = new Map<string, string[]>();
  const resolved = substitute(raw, (options.env ?? process.env) as NodeJS.ProcessEnv, '', missing) as Record<string, unknown>;
  const { options: o, declared, problems } = materialise(resolved);
  const issues = [
    ...[...missing].map(([name, paths]) => ({ path: paths.join(', '), received: 'undefined', message: `the environment variable ${name} is not set`, fix: `set ${name}, or write the value in the file (never a secret)` })),
    ...problems.map((p) => ({ path: p.check.replace(/^config: /, ''), received: 'object', message: p.reason, fix: p.reason })),
    ...(declared.auditSink === 'other' ? [{ path: 'audit.sink', received: 'object', message: 'not a sink this file can declare', fix: 'declare { "postgres": "<url>" }, { "jsonl": { "directory" } } or { "memory": {} }' }] : []),
  ];
  if (issues.length > 0) throw new ConfigError(issues);
  const closers: Closer[] = [];
  try {
    await wire(o, declared, closers);
    const client = createClient(o as unknown as DancuClientOptions);
    const close = client.close.bind(client);
    client.close = async () => {
      await close();
      await closeAll(closers);
    };
    return client;
  } catch (err) {
    await closeAll(closers);
    throw err;
  }
}

async function closeAll(closers: Closer[]): Promise<void> {
  for (const c of closers.reverse()) await Promise.resolve(c()).catch(() => undefined);
}

/** Build the declared stores, sink and witness into the options. */
async function wire(o: Record<string, unknown>, declared: Declared, closers: Closer[]): Promise<void> {
  type Connection = { disconnect(): void; on(e: string, f: () => void): void };
  const redisByUrl = new Map<string, object>();
  /** One ioredis client per URL (a `Redis`), or per list of nodes (a `Cluster`), shared by the stores that name it. */
  const redis = async (d: RedisDeclaration, path: string) => {
    const key = 'url' in d ? d.url : `cluster:${d.cluster.join(',')}`;
    let client = redisByUrl.get(key);
    if (!client) {
      const io = await peer<{ Redis: new (url: string) => Connection; Cluster: new (nodes: string[]) => Connection }>('ioredis', path);
      const made = 'url' in d ? new io.Redis(d.url) : new io.Cluster(d.cluster);
      made.on('error', () => undefined); // a store that fails says so in its own error
      closers.push(() => made.disconnect());
      redisByUrl.set(key, (client = made));
    }
    return client;
  };
  const pool = async (url: string, path: string) => {
    const pg = await peer<{ default: { Pool: new (o: { connectionString: string }) => { end(): Promise<void> } } }>('pg', path);
    const made = new pg.default.Pool({ connectionString: url });
    closers.push(() => made.end());
    return made as never;
  };
  const section = (name: string) => ({ ...((o[name] as Record<string, unknown> | undefined) ?? {}) });
  if (declared.redis?.quota) {
    const d = declared.redis.quota;
    o['quota'] = { ...section('quota'), store: new RedisQuotaStore({ client: await redis(d, 'quota.store'), ...(d.prefix ? { prefix: d.prefix } : {}) }) };
  }
  if (declared.redis?.cache) {
    const d = declared.redis.cache;
    o['cache'] = { ...section('cache'), store: new RedisCacheStore({ client: await redis(d, 'cache.store'), ...(d.prefix ? { prefix: d.prefix } : {}) }) };
  }
  const audit = section('audit');
  if (declared.auditSink === 'postgres') {
    // The sink's chain is the client's: one name for both (the default: one chain per client).
    audit['instance'] ??= defaultAuditInstance();
    audit['sink'] = new PostgresAuditSink({ pool: await pool(declared.auditTarget ?? '', 'audit.sink'), instance: String(audit['instance']), ...(declared.auditTable ? { table: declared.auditTable } : {}) });
  } else if (declared.auditSink === 'memory') audit['sink'] = new MemoryAuditSink();
  const w = declared.witness;
  if (w) {
    audit['witness'] = 'directory' in w
      ? new DirectoryWitness(w.directory)
      : 'url' in w
        ? new HttpWitness({ url: w.url, ...(w.token ? { token: w.token } : {}) })
        : new PostgresWitness({ pool: await pool(w.postgres, 'audit.witness'), ...(w.table ? { table: w.table } : {}) });
  }
  if (o['audit'] !== undefined || Object.keys(audit).length > 0) o['audit'] = audit;
}
