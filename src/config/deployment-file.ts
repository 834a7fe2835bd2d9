import { readFile } from 'node:fs/promises';

/**
 * The deployment file: the options of `createClient` in JSON, with secrets as `${ENV}` references
 * and stores declared instead of built (`{ "redis": "<url>" }`, `{ "postgres": "<url>" }`,
 * `{ "jsonl": { "directory" } }`). `dancu doctor` judges it and `createClientFromConfig` runs with
 * it, both through this module: the file checked is the file run.
 */

/** Something the file declares that is not one of the accepted forms. */
export interface FileProblem {
  check: string;
  reason: string;
}

export const REF = /^\$\{([A-Z_][A-Z0-9_]*)\}$/;

/** Read a deployment file (JSON). `${ENV}` references are resolved by {@link substitute}. */
export async function loadDeploymentFile(path: string): Promise<unknown> {
  const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw Object.assign(err, { path: err.path ?? path }); // EISDIR comes without the path
  });
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new Error(`${path} is not valid JSON: ${(err as Error).message}`);
  }
}

export function get(obj: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (typeof o === 'object' && o !== null ? (o as Record<string, unknown>)[k] : undefined), obj);
}

/** Replace `${NAME}` strings by the environment's values; note where an unset variable is used. */
export function substitute(value: unknown, env: NodeJS.ProcessEnv, path: string, missing: Map<string, string[]>): unknown {
  if (typeof value === 'string') {
    const m = REF.exec(value);
    if (!m) return value;
    const v = env[m[1]!];
    if (v === undefined || v === '') missing.set(m[1]!, [...(missing.get(m[1]!) ?? []), path]);
    return v ?? '';
  }
  if (Array.isArray(value)) return value.map((v, i) => substitute(v, env, `${path}.${i}`, missing));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, env, path ? `${path}.${k}` : k, missing)]));
  }
  return value;
}

/**
 * A store declared as `{ "redis": "<url>", "prefix"?: "<deployment prefix>" }`, or on a Redis
 * Cluster as `{ "redisCluster": ["<url of a node>", …], "prefix"? }`.
 */
export type RedisDeclaration = ({ url: string } | { cluster: string[] }) & { prefix?: string };

export interface Declared {
  quotaStore: 'memory' | 'redis';
  cacheStore: 'memory' | 'redis' | 'off';
  auditSink: 'jsonl' | 'postgres' | 'memory' | 'other';
  /** The JSONL directory or the PostgreSQL URL of the audit sink. */
  auditTarget?: string;
  /** `audit.sink: { "postgres": "<url>", "table"? }`: the events table (default `dancu_audit`). */
  auditTable?: string;
  /** The Redis of the quota and cache stores: `{ "redis": "<url>" }` or `{ "redisCluster": [urls] }`, `"prefix"?`. */
  redis?: { quota?: RedisDeclaration; cache?: RedisDeclaration };
  /** `audit.witness`: `{ "directory" }`, `{ "url", "token"? }` or `{ "postgres" }`. */
  witness?: { directory: string } | { url: string; token?: string } | { postgres: string; table?: string };
}

/**
 * Take the declarative stores and sinks out of the options (the schema of createClient checks the
 * rest as written), and remember what was declared: the checks below judge them. Nothing connects.
 */
export function materialise(cfg: Record<string, unknown>): { options: Record<string, unknown>; declared: Declared; problems: FileProblem[] } {
  const problems: FileProblem[] = [];
  const options: Record<string, unknown> = { ...cfg };
  delete options['deployment'];
  delete options['$schema']; // for editors (docs/dancu.config.schema.json)
  const declared: Declared = { quotaStore: 'memory', cacheStore: 'memory', auditSink: 'jsonl' };
  /** `{ "redis": "<url>" }` is declared and taken out; anything else is a finding. */
  const redisStore = (section: 'quota' | 'cache'): boolean => {
    const opts = options[section] as Record<string, unknown> | undefined;
    if (opts?.['store'] === undefined) return false;
    const { store: s, ...rest } = opts;
    const d = (typeof s === 'object' && s !== null ? s : {}) as Record<string, unknown>;
    const nodes = d['redisCluster'];
    const cluster = Array.isArray(nodes) && nodes.length > 0 && nodes.every((n) => typeof n === 'string' && n !== '');
    const single = typeof d['redis'] === 'string';
    const redis = single !== cluster && (d['prefix'] === undefined || typeof d['prefix'] === 'string');
    if (!redis) problems.push({ check: `config: ${section}.store`, reason: 'declare { "redis": "<url>" } or { "redisCluster": ["<url of a node>", …] }, with "prefix"?: "<prefix>" (or omit for memory)' });
    else (declared.redis ??= {})[section] = { ...(single ? { url: d['redis'] as string } : { cluster: nodes as string[] }), ...(typeof d['prefix'] === 'string' ? { prefix: d['prefix'] } : {}) };
    options[section] = rest;
    return redis;
  };
  if (redisStore('quota')) declared.quotaStore = 'redis';
  if ((options['cache'] as Record<string, unknown> | undefined)?.['enabled'] === false) declared.cacheStore = 'off';
  if (redisStore('cache')) declared.cacheStore = 'redis';
  let audit = options['audit'] as Record<string, unknown> | undefined;
  if (audit?.['witness'] !== undefined) {
    const { witness: w, ...rest } = audit;
    const ok = typeof w === 'object' && w !== null && ['directory', 'url', 'postgres'].some((k) => typeof (w as Record<string, unknown>)[k] === 'string');
    if (ok) declared.witness = w as NonNullable<Declared['witness']>;
    else problems.push({ check: 'config: audit.witness', reason: 'declare { "directory" }, { "url", "token"? } or { "postgres" }' });
    options['audit'] = audit = rest;
  }
  if (audit?.['sink'] !== undefined) {
    const s = audit['sink'] as Record<string, unknown>;
    const kind = typeof s === 'object' && s !== null ? (['postgres', 'jsonl', 'memory'].find((k) => k in s) ?? Object.keys(s)[0]) : undefined;
    declared.auditSink = kind === 'postgres' ? 'postgres' : kind === 'jsonl' ? 'jsonl' : kind === 'memory' ? 'memory' : 'other';
    if (kind === 'jsonl') {
      const { sink: _sink, ...rest } = audit;
      declared.auditTarget = (s['jsonl'] as { directory?: string } | undefined)?.directory ?? 'dancu-audit';
      options['audit'] = { ...rest, directory: declared.auditTarget };
    } else {
      if (kind === 'postgres' && typeof s['postgres'] === 'string') declared.auditTarget = s['postgres'];
      if (kind === 'postgres' && typeof s['table'] === 'string') declared.auditTable = s['table'];
      const { sink: _sink, ...rest } = audit;
      options['audit'] = rest;
    }
  } else declared.auditTarget = typeof audit?.['directory'] === 'string' ? audit['directory'] : 'dancu-audit';
  return { options, declared, problems };
}

