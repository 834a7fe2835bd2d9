/**
 * The zod schema of the options, tied to their types in `options.ts` (see the check at the end),
 * and how a problem is reported: path, the type received (never the value), and the fix.
 */
import { z } from 'zod';
import { CITIZEN_FIELDS } from '../citizen/types.js';
import { ConfigError, type ConfigIssue } from '../errors.js';
import type { Operation } from '../purpose/registry.js';
import type { QuotaStore } from '../quota/types.js';
import type { CacheStore } from '../cache/types.js';
import { parseCidr } from '../guard/ip.js';
import type { GuardStore } from '../guard/types.js';
import type { AuditSink } from '../audit/sink.js';
import type { CheckpointWitness } from '../audit/witness.js';
import { KeyObject } from 'node:crypto';
import type { WireProfile } from '../transport/types.js';
import type { DancuClientOptions } from '../options.js';

export const DEFAULTS = {
  timeoutMs: 10_000,
  connectTimeoutMs: 5_000,
  maxResponseBytes: 256 * 1024,
  maxConnections: 16,
  tokenRefreshSkewMs: 60_000,
} as const;

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;
/** verify, lookup, or the name of an operation a profile declares (`extraOperations`). */
const OPERATION = z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/, 'an operation name: "verify", "lookup" or one the profile declares') as unknown as z.ZodType<Operation>;

const text = (max: number) => z.string().trim().min(1).max(max);
const pem = z.union([z.string(), z.instanceof(Buffer)]);
const positiveInt = z.number().int().positive();
const fn = z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', { message: 'expected a function' });
const auditSinkSchema = z.custom<AuditSink>(
  (v) => typeof v === 'object' && v !== null && ['write', 'flush', 'close'].every((m) => typeof (v as Record<string, unknown>)[m] === 'function'),
  { message: 'expected an AuditSink { write, flush, close } (JsonlAuditSink, PostgresAuditSink, FanOutAuditSink, …)' },
);
const ttl = z.number().int().min(0).max(30 * 24 * 3_600_000);
const cacheStoreSchema = z.custom<CacheStore>(
  (v) => typeof v === 'object' && v !== null &&
    ['get', 'set', 'invalidateSubject', 'size'].every((m) => typeof (v as Record<string, unknown>)[m] === 'function'),
  { message: 'expected a CacheStore { get, set, invalidateSubject, size } (MemoryCacheStore or RedisCacheStore)' },
);
const quotaStoreSchema = z.custom<QuotaStore>(
  (v) => typeof v === 'object' && v !== null &&
    ['reserve', 'stop', 'status', 'activeStop'].every((m) => typeof (v as Record<string, unknown>)[m] === 'function'),
  { message: 'expected a QuotaStore { reserve, stop, status, activeStop } (MemoryQuotaStore or RedisQuotaStore)' },
);

const guardStoreSchema = z.custom<GuardStore>(
  (v) => typeof v === 'object' && v !== null &&
    ['admitDistinct', 'recordCall', 'block', 'remember'].every((m) => typeof (v as Record<string, unknown>)[m] === 'function'),
  { message: 'expected a GuardStore { admitDistinct, recordCall, block, remember } (MemoryGuardStore or RedisGuardStore)' },
);
const cidr = z.string().refine((v) => parseCidr(v) !== undefined, 'not an IP address or CIDR block (e.g. 10.0.0.0/8)');

const purposeSchema = z
  .strictObject({
    code: text(64).regex(/^[A-Za-z0-9._-]+$/, 'only letters, digits, ".", "_" and "-"'),
    title: text(256),
    legalBasis: text(512),
    operations: z.array(OPERATION).min(1),
    fields: z.array(z.enum(CITIZEN_FIELDS)).min(1).optional(),
  })
  .refine((p) => !p.operations.includes('lookup') || p.fields !== undefined, {
    message: 'a purpose that allows "lookup" must list the fields it may read',
    path: ['fields'],
  });

const profileSchema = z.custom<WireProfile>(
  (v) =>
    typeof v === 'object' && v !== null && typeof (v as WireProfile).name === 'string' &&
    typeof (v as WireProfile).auth === 'object' && (v as WireProfile).auth !== null &&
    ((v as WireProfile).auth.kind === 'token' || (v as WireProfile).auth.kind === 'signed') &&
    typeof (v as WireProfile).operations?.verify?.build === 'function' && typeof (v as WireProfile).operations?.lookup?.build === 'function',
  { message: 'expected a wire profile object { name, auth: { kind: "token" | "signed", … }, operations: { verify, lookup } }' },
);

export const optionsSchema = z.strictObject({
  baseUrl: z.union([z.string(), z.instanceof(URL)]),
  credentials: z.strictObject({
    clientId: text(256),
    clientSecret: z.string().min(1).max(1024),
    issuedAt: z.union([z.string(), z.date()]).refine((v) => !Number.isNaN(new Date(v).getTime()), 'not a date').optional(),
  }),
  credentialPolicy: z
    .strictObject({
      minLength: positiveInt.max(256).optional(),
      requireMixed: z.boolean().optional(),
      minEntropyBits: z.number().min(0).max(256).optional(),
      maxAgeDays: positiveInt.max(3650).optional(),
      warnDays: z.number().int().min(0).max(365).optional(),
    })
    .optional(),
  tls: z
    .strictObject({ ca: z.union([pem, z.array(pem)]).optional(), cert: pem.optional(), key: pem.optional(), passphrase: z.string().optional() })
    .refine((t) => (t.cert === undefined) === (t.key === undefined), { message: 'cert and key go together', path: ['key'] })
    .optional(),
  system: z.strictObject({ id: text(128), unitCode: text(64), version: text(64) }),
  purposes: z
    .array(purposeSchema)
    .min(1)
    .refine((ps) => new Set(ps.map((p) => p.code)).size === ps.length, { message: 'purpose codes must be unique' }),
  profile: profileSchema.optional(),
  fetch: fn.optional(),
  httpEngine: z.enum(['fetch', 'undici']).optional(),
  timeoutMs: positiveInt.max(120_000).optional(),
  connectTimeoutMs: positiveInt.max(60_000).optional(),
  maxResponseBytes: positiveInt.max(64 * 1024 * 1024).optional(),
  maxConnections: positiveInt.max(1024).optional(),
  tokenRefreshSkewMs: z.number().int().min(0).max(3_600_000).optional(),
  clock: fn.optional(),
  logger: z.custom<object>((v) => typeof v === 'object' && v !== null && ['info', 'warn', 'error'].every((m) => typeof (v as Record<string, unknown>)[m] === 'function'),
    { message: 'expected a logger with info, warn and error methods (pino, or the same shape)' }).optional(),
  stateSecret: z.union([z.string(), z.instanceof(Buffer)]).refine((v) => Buffer.byteLength(v) >= 32, 'must be at least 32 bytes').optional(),
  quota: z
    .strictObject({
      lockThreshold: positiveInt.optional(),
      safetyMargin: z.number().min(0).max(0.9).optional(),
      perMinute: z.strictObject({ rate: positiveInt, burst: positiveInt.optional() }).optional(),
      perDay: positiveInt.optional(),
      perUnit: z.strictObject({ perMinute: positiveInt.optional(), perDay: positiveInt.optional() }).optional(),
      perOperator: z.strictObject({ perMinute: positiveInt.optional(), perDay: positiveInt.optional() }).optional(),
      perPurpose: z.record(z.string(), z.strictObject({ perDay: positiveInt })).optional(),
      onExhausted: z.enum(['fail', 'wait']).optional(),
      maxWaitMs: z.number().int().min(0).max(600_000).optional(),
      store: quotaStoreSchema.optional(),
      storeTimeoutMs: positiveInt.max(30_000).optional(),
      fallback: z.strictObject({ instances: positiveInt.max(1000) }).optional(),
    })
    .refine(
      (q) => q.perDay === undefined || q.perDay <= Math.floor((q.lockThreshold ?? 10_000) * (1 - (q.safetyMargin ?? 0.1))),
      { message: 'perDay must not exceed floor(lockThreshold × (1 − safetyMargin)): the client must stop below the lock', path: ['perDay'] },
    )
    .optional(),
  retry: z
    .strictObject({
      attempts: positiveInt.max(5).optional(),
      baseDelayMs: z.number().int().min(0).max(60_000).optional(),
      maxDelayMs: z.number().int().min(0).max(300_000).optional(),
      maxRetryAfterMs: z.number().int().min(0).max(300_000).optional(),
    })
    .optional(),
  breaker: z
    .union([
      z.literal(false),
      z.strictObject({ failureThreshold: positiveInt.max(1000).optional(), cooldownMs: positiveInt.max(3_600_000).optional() }),
    ])
    .optional(),
  cache: z
    .strictObject({
      enabled: z.boolean().optional(),
      secret: z.union([z.string(), z.instanceof(Buffer)]).refine((v) => Buffer.byteLength(v) >= 32, 'must be at least 32 bytes').optional(),
      keyId: z.string().regex(/^[A-Za-z0-9._-]{1,32}$/).optional(),
      ttlMs: z
        .strictObject({ match: ttl.optional(), mismatch: ttl.optional(), notFound: ttl.optional(), lookup: ttl.optional() })
        .optional(),
      maxEntries: positiveInt.max(10_000_000).optional(),
      shareAcrossPurposes: z.boolean().optional(),
      store: cacheStoreSchema.optional(),
      joinTimeoutMs: z.number().int().min(0).max(60_000).optional(),
      storeTimeoutMs: positiveInt.max(30_000).optional(),
    })
    .refine((c) => c.store === undefined || typeof (c.store as CacheStore).acquire !== 'function' || c.secret !== undefined, {
      message: 'a shared cache store needs cache.secret, the same in every process',
      path: ['secret'],
    })
    .optional(),
  audit: z
    .strictObject({
      sink: auditSinkSchema.optional(),
      directory: text(4096).optional(),
      instance: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/).optional(),
      secret: z.union([z.string(), z.instanceof(Buffer)]).refine((v) => Buffer.byteLength(v) >= 32, 'must be at least 32 bytes').optional(),
      keyId: z.string().regex(/^[A-Za-z0-9._-]{1,32}$/).optional(),
      signingKey: z.union([z.string(), z.instanceof(Buffer), z.custom<KeyObject>((v) => v instanceof KeyObject, { message: 'expected a KeyObject' })]).optional(),
      witness: z.custom<CheckpointWitness>(
        (v) => typeof v === 'object' && v !== null && ['submit', 'head', 'list', 'instances'].every((m) => typeof (v as Record<string, unknown>)[m] === 'function'),
        { message: 'expected a CheckpointWitness { submit, head, list, instances } (DirectoryWitness, HttpWitness, PostgresWitness)' },
      ).optional(),
      witnessMaxLagMs: positiveInt.max(7 * 86_400_000).optional(),
      rawSubject: z.boolean().optional(),
      checkpointEvery: positiveInt.max(1_000_000).optional(),
      checkpointIntervalMs: z.number().int().min(10).max(86_400_000).optional(),
      failOpen: z.boolean().optional(),
    })
    .refine((a) => a.sink === undefined || a.directory === undefined, {
      message: 'directory configures the default JSONL sink; give it to your sink instead',
    })
    .optional(),
  guards: z
    .strictObject({
      enumeration: z
        .union([z.literal(false), z.strictObject({ maxDistinct: positiveInt.max(1000).optional(), windowMs: positiveInt.max(30 * 86_400_000).optional() })])
        .optional(),
      velocity: z
        .strictObject({
          perMinute: positiveInt.max(100_000).optional(),
          blockMs: positiveInt.max(7 * 86_400_000).optional(),
          regularity: z
            .union([
              z.literal(false),
              z.strictObject({
                samples: z.number().int().min(3).max(1000).optional(),
                maxCv: z.number().min(0).max(1).optional(),
                maxMeanGapMs: positiveInt.max(3_600_000).optional(),
              }),
            ])
            .optional(),
        })
        .optional(),
      ip: z
        .strictObject({
          allow: z.array(cidr).optional(),
          operators: z.record(z.string(), z.array(cidr)).optional(),
          alertOnNewIp: z.boolean().optional(),
          rememberDays: positiveInt.max(3650).optional(),
        })
        .optional(),
      store: guardStoreSchema.optional(),
      storeTimeoutMs: positiveInt.max(30_000).optional(),
      onAlert: fn.optional(),
    })
    .optional(),
});

/** How to fix the most common mistakes, by the first segment(s) of the option path. */
const FIXES: Array<[RegExp, string]> = [
  [/^baseUrl/, 'pass the gateway URL, e.g. "https://lgsp.example.gov.vn/dancu" (http only for 127.0.0.1/localhost)'],
  [/^credentials/, 'pass { clientId, clientSecret, issuedAt? } as issued for this system (load the secret from the environment)'],
  [/^credentialPolicy/, 'pass { minLength?, minEntropyBits?, requireMixed?, maxAgeDays?, warnDays? }'],
  [/^tls/, 'pass PEM strings or Buffers: { ca?, cert, key } (cert and key together)'],
  [/^system/, 'pass { id, unitCode, version } of your system (unitCode is MaDonVi)'],
  [/^purposes\.\d+\.fields/, `list the fields the purpose may read, from: ${CITIZEN_FIELDS.join(', ')}`],
  [/^purposes\.\d+\.operations/, 'list "verify", "lookup" and/or operations the profile declares (e.g. "XacMinhThongTinChuHo")'],
  [/^purposes/, 'register at least one purpose { code, title, legalBasis, operations } per licensed procedure, each code once'],
  [/^profile/, 'pass referenceProfile or your own WireProfile object'],
  [/Ms$|^maxResponseBytes|^maxConnections/, 'pass a positive whole number in the unit the option name says'],
  [/^quota\.perDay/, 'lower perDay, or raise lockThreshold only if the upstream threshold really is higher (docs/quotas.md)'],
  [/^quota\.store/, 'pass new MemoryQuotaStore() or new RedisQuotaStore({ client }) (docs/quotas.md)'],
  [/^quota/, 'see docs/quotas.md for the shape of the quota options'],
  [/^retry/, 'pass { attempts (1–5), baseDelayMs, maxDelayMs, maxRetryAfterMs }'],
  [/^breaker/, 'pass { failureThreshold, cooldownMs } or false'],
  [/^cache\.secret/, 'pass a random secret of at least 32 bytes from your secret store, the same in every process'],
  [/^cache/, 'see docs/caching.md for the shape of the cache options'],
  [/^audit\.secret/, 'pass a random secret of at least 32 bytes from your secret store; keep it for the auditors'],
  [/^stateSecret/, 'pass a random secret of at least 32 bytes from your secret store, the same in every process (or set cache.secret or audit.secret)'],
  [/^audit/, 'see docs/audit.md for the shape of the audit options'],
  [/^guards\.ip/, 'list addresses or CIDR blocks, e.g. { allow: ["10.20.0.0/16"], operators: { "cb.an": ["10.20.1.15"] } }'],
  [/^guards/, 'see docs/guards.md for the shape of the guard options'],
];

export function fixFor(path: string): string {
  for (const [re, fix] of FIXES) if (re.test(path)) return fix;
  return 'remove the option or correct its name (see DancuClientOptions in the API reference)';
}

function typeAt(input: unknown, path: readonly PropertyKey[]): string {
  let v: unknown = input;
  for (const key of path) {
    if (typeof v !== 'object' || v === null) return 'undefined';
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (Buffer.isBuffer(v)) return 'Buffer';
  return typeof v;
}

export function issuesFrom(error: z.ZodError, input: unknown): ConfigIssue[] {
  return error.issues.map((i) => {
    const path = i.path.map(String).join('.');
    let message = i.message;
    if (i.code === 'unrecognized_keys') message = `unknown option(s): ${i.keys.join(', ')}`;
    return { path, received: typeAt(input, i.path), message, fix: fixFor(path) };
  });
}

export function checkBaseUrl(raw: string | URL, tls: unknown): URL {
  let url: URL;
  try {
    url = new URL(String(raw));
  } catch {
    throw new ConfigError([{ path: 'baseUrl', received: typeof raw, message: 'not a valid absolute URL', fix: fixFor('baseUrl') }]);
  }
  const problem =
    url.protocol !== 'https:' && url.protocol !== 'http:' ? 'only https: is allowed'
    : url.protocol === 'http:' && !LOOPBACK.test(url.hostname) ? 'http: is allowed only for loopback hosts (the sandbox); use https:'
    : url.username || url.password ? 'must not contain credentials; use the credentials option'
    : url.search || url.hash ? 'must not contain a query or fragment'
    : url.protocol === 'http:' && tls !== undefined ? 'tls options need an https: URL'
    : undefined;
  if (problem) throw new ConfigError([{ path: 'baseUrl', received: typeof raw, message: problem, fix: fixFor('baseUrl') }]);
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
}


/**
 * The schema and the option types cannot drift: what the schema accepts is a `DancuClientOptions`,
 * and every member of `DancuClientOptions` is a member the schema knows (a compile error otherwise).
 */
type SchemaKeys = keyof z.input<typeof optionsSchema>;
type OptionKeys = keyof DancuClientOptions;
export const schemaMatchesOptions: [Exclude<SchemaKeys, OptionKeys>, Exclude<OptionKeys, SchemaKeys>] extends [never, never] ? true : never = true;

