import { resolveOptions, type DancuClientOptions } from '../config.js';
import { DEFAULT_CREDENTIAL_POLICY, secretAgeDays, secretProblems, type CredentialPolicy } from '../credentials/policy.js';
import { ConfigError, isDancuError } from '../errors.js';
import { get, materialise, REF, substitute, type Declared } from '../config/deployment-file.js';

export { loadDeploymentFile, type Declared } from '../config/deployment-file.js';

/**
 * A deployment configuration as a file: the options of `createClient`, in JSON, with declarative
 * stores instead of objects, secrets as references, and what the regulator's checklist needs to
 * know about the deployment itself.
 *
 * ```json
 * {
 *   "baseUrl": "https://lgsp.tinh.gov.vn/dancu",
 *   "credentials": { "clientId": "${DANCU_CLIENT_ID}", "clientSecret": "${DANCU_CLIENT_SECRET}", "issuedAt": "2026-10-01" },
 *   "quota": { "store": { "redis": "${REDIS_URL}" } },
 *   "audit": { "sink": { "postgres": "${AUDIT_DATABASE_URL}" }, "secret": "${DANCU_AUDIT_SECRET}" },
 *   "deployment": { "instances": 4, "auditRetentionDays": 1825 }
 * }
 * ```
 */
export interface DeploymentFile {
  deployment?: { instances?: number; auditRetentionDays?: number; auditRetentionMaxDays?: number };
  [option: string]: unknown;
}

export type CheckLevel = 'pass' | 'warn' | 'fail';
export interface DoctorCheck {
  level: CheckLevel;
  check: string;
  reason: string;
}

/** Options whose values are secrets: a literal in the file is itself a finding. */
const SECRET_PATHS = ['credentials.clientSecret', 'cache.secret', 'audit.secret', 'audit.signingKey', 'tls.key', 'tls.passphrase'];
/**
 * Check a deployment file against the regulators' checklist. Every line says pass, warn or fail and
 * why; nothing connects anywhere and no secret is printed. What only a live check can prove (the
 * sink's checkpoints, the witness) is a warning here: `doctorLive` checks it.
 */
export function doctor(raw: unknown, env: NodeJS.ProcessEnv = process.env, now = Date.now()): DoctorCheck[] {
  return doctorParts(raw, env, now).checks;
}

/** {@link doctor}, and what it resolved (for the live checks). */
export function doctorParts(raw: unknown, env: NodeJS.ProcessEnv, now: number): { checks: DoctorCheck[]; audit: Record<string, unknown>; declared: Declared | undefined; maxDays?: number } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { checks: [{ level: 'fail', check: 'config file', reason: 'must be a JSON object with the options of createClient' }], audit: {}, declared: undefined };
  }
  const out: DoctorCheck[] = [];
  const { audit, declared } = checklist(raw, env, now, out);
  const max = (raw as DeploymentFile).deployment?.auditRetentionMaxDays;
  return { checks: out, audit, declared, ...(typeof max === 'number' ? { maxDays: max } : {}) };
}

function checklist(raw: object, env: NodeJS.ProcessEnv, now: number, out: DoctorCheck[]): { audit: Record<string, unknown>; declared: Declared } {
  const file = raw as DeploymentFile;
  for (const p of SECRET_PATHS) {
    const v = get(file, p);
    if (typeof v === 'string' && !REF.test(v)) {
      out.push({ level: 'fail', check: `secret ${p} from the environment`, reason: 'a literal secret is in the file (Đồng Nai: leaked passwords); use "${ENV_VAR}"' });
    } else if (typeof v === 'string') {
      out.push({ level: 'pass', check: `secret ${p} from the environment`, reason: `referenced as ${v}` });
    }
  }
  // An unset variable is one finding, named once with every option that uses it; what its empty
  // value would make fail (a secret too short, a date that is none) is not reported again.
  const missing = new Map<string, string[]>();
  const resolved = substitute(raw, env, '', missing) as DeploymentFile;
  for (const [name, paths] of missing) out.push({ level: 'fail', check: `environment variable ${name} set`, reason: `not set; used by ${paths.join(', ')}` });
  const unsetPaths = [...missing.values()].flat();
  const unset = (path: string) => unsetPaths.some((m) => path === m || path.startsWith(`${m}.`));
  const { options, declared, problems } = materialise(resolved);
  out.push(...problems.map((p) => ({ level: 'fail' as const, ...p })));

  // 1. The same validation as createClient, which builds nothing and judges no secret: the secret is
  //    checked on its own below, so that a weak one does not hide the other problems.
  let resolvedOptions: ReturnType<typeof resolveOptions> | undefined;
  const creds = (options['credentials'] ?? {}) as Record<string, unknown>;
  try {
    resolvedOptions = resolveOptions({ ...options, clock: () => now } as unknown as DancuClientOptions);
    out.push({ level: 'pass', check: 'options valid (same schema as createClient)', reason: 'no problem found' });
  } catch (err) {
    if (err instanceof ConfigError) {
      const issues = err.issues.filter((i) => !unset(i.path));
      for (const i of issues) out.push({ level: 'fail', check: `option ${i.path || '(root)'}`, reason: `${i.message} (received ${i.received}); fix: ${i.fix}` });
      if (issues.length === 0) out.push({ level: 'pass', check: 'options valid (same schema as createClient)', reason: 'no problem found but the unset variables above' });
    } else {
      out.push({ level: 'fail', check: 'options', reason: isDancuError(err) ? err.code : String((err as Error).message ?? err) });
    }
  }
  const policy: CredentialPolicy = { ...DEFAULT_CREDENTIAL_POLICY, ...(options['credentialPolicy'] as Partial<CredentialPolicy> | undefined) };
  const secret = typeof creds['clientSecret'] === 'string' ? creds['clientSecret'] : '';
  const systemId = (options['system'] as Record<string, unknown> | undefined)?.['id'];
  const weak = secretProblems(String(creds['clientId'] ?? ''), secret, policy, typeof systemId === 'string' ? [systemId] : []);
  const issued = creds['issuedAt'] === undefined ? undefined : new Date(String(creds['issuedAt']));
  const age = issued && !Number.isNaN(issued.getTime()) ? secretAgeDays(issued, now) : undefined;
  if (!unset('credentials.clientSecret') && !unset('credentials.clientId')) out.push(weak.length > 0
    ? { level: 'fail', check: 'credentials: no weak or default secret', reason: `ERR_CREDENTIALS_WEAK: ${weak.join('; ')}` }
    : { level: 'pass', check: 'credentials: no weak or default secret', reason: 'the credential policy accepts the client secret' });
  if (!unset('credentials.issuedAt')) out.push(age === undefined
    ? { level: 'fail', check: 'credentials: age known and within the policy', reason: 'set credentials.issuedAt so the client can warn before and refuse after the maximum age' }
    : age > policy.maxAgeDays
      ? { level: 'fail', check: 'credentials: age known and within the policy', reason: `ERR_CREDENTIALS_EXPIRED: issued ${Math.floor(age)} days ago, at most ${policy.maxAgeDays}` }
      : { level: age > policy.maxAgeDays - policy.warnDays ? 'warn' : 'pass', check: 'credentials: age known and within the policy', reason: `issued ${Math.floor(age)} days ago, at most ${policy.maxAgeDays}` });

  const cfg = resolved as Record<string, unknown>;
  // 2. Purposes registered with a legal basis.
  const purposes = Array.isArray(cfg['purposes']) ? (cfg['purposes'] as Array<Record<string, unknown>>) : [];
  const vague = purposes.filter((p) => typeof p['legalBasis'] !== 'string' || !/(Luật|Nghị định|Thông tư|Quyết định|Law|Decree|Circular|Decision|\d{2,}\/\d{4})/i.test(p['legalBasis']));
  out.push(purposes.length === 0
    ? { level: 'fail', check: 'purposes registered with a legal basis', reason: 'no purpose registered (Long An: every call must carry a licensed purpose)' }
    : vague.length > 0
      ? { level: 'fail', check: 'purposes registered with a legal basis', reason: `no recognisable legal basis (law, decree, circular, decision) for: ${vague.map((p) => String(p['code'])).join(', ')}` }
      : { level: 'pass', check: 'purposes registered with a legal basis', reason: `${purposes.length} purpose(s), each citing its basis` });

  // 3. The audit trail: durable and fail closed, signed.
  const audit = (cfg['audit'] ?? {}) as Record<string, unknown>;
  out.push(audit['failOpen'] === true
    ? { level: 'fail', check: 'audit trail fails closed', reason: 'audit.failOpen is true: calls would go on without a record (development only)' }
    : { level: 'pass', check: 'audit trail fails closed', reason: 'a call that cannot be recorded is refused' });
  out.push(declared.auditSink === 'jsonl' || declared.auditSink === 'postgres'
    ? { level: 'pass', check: 'audit sink durable', reason: declared.auditSink === 'jsonl' ? 'JSONL with fdatasync group commit' : 'PostgreSQL, one transaction per batch' }
    : { level: 'fail', check: 'audit sink durable', reason: `sink "${declared.auditSink}" is not durable; use { "jsonl": { "directory" } } or { "postgres": "<url>" }` });
  out.push(audit['secret'] !== undefined
    ? { level: 'pass', check: 'audit secret set', reason: 'subjects are comparable across restarts (dancu audit subject needs it)' }
    : { level: 'fail', check: 'audit secret set', reason: 'no audit.secret: subjects are not comparable across restarts, and no one can find a citizen\'s lookups' });
  out.push(audit['signingKey'] === undefined
    ? { level: 'fail', check: 'audit checkpoints signed with a public key', reason: audit['secret'] !== undefined ? 'no audit.signingKey: checkpoints are HMAC under audit.secret (development), and whoever holds the secret can re-sign a rewritten trail; run "dancu audit keygen"' : 'no audit.signingKey: no checkpoints at all; run "dancu audit keygen"' }
    : { level: 'warn', check: 'audit checkpoints signed with a public key', reason: 'audit.signingKey set; not checked against the sink offline (run dancu doctor without --offline)' });
  out.push(declared.witness === undefined
    ? { level: 'fail', check: 'audit witness', reason: 'no audit.witness: a tail cut with its checkpoints, a rollback to an older copy or a deleted chain cannot be detected' }
    : { level: 'warn', check: 'audit witness', reason: 'declared; not checked offline (run dancu doctor without --offline)' });
  const retention = file.deployment?.auditRetentionDays;
  out.push(typeof retention === 'number' && retention >= 365
    ? { level: 'pass', check: 'log retention set', reason: `${retention} days` }
    : { level: 'fail', check: 'log retention set', reason: 'set deployment.auditRetentionDays (≥ 365) to what your province requires, and keep the trail that long' });
  const max = file.deployment?.auditRetentionMaxDays;
  out.push(max === undefined
    ? { level: 'warn', check: 'log retention has a maximum', reason: 'set deployment.auditRetentionMaxDays (storage limitation, Law 91/2025), and run "dancu audit seal" then "dancu audit prune" past it' }
    : typeof max !== 'number' || (typeof retention === 'number' && max < retention)
      ? { level: 'fail', check: 'log retention has a maximum', reason: `deployment.auditRetentionMaxDays (${String(max)}) must be a number of days at least auditRetentionDays` }
      : { level: 'pass', check: 'log retention has a maximum', reason: `${max} days; seal and prune what is older` });

  // 4. Quota below the lock threshold with a margin.
  if (resolvedOptions) {
    const plan = resolvedOptions.quota.limits;
    out.push(plan.safetyMargin >= 0.05 && plan.perDay <= Math.floor(plan.lockThreshold * (1 - plan.safetyMargin))
      ? { level: 'pass', check: 'quota below the lock threshold with a margin', reason: `stops at ${plan.perDay} a Vietnam day, lock at ${plan.lockThreshold} (margin ${Math.round(plan.safetyMargin * 100)}%)` }
      : { level: 'fail', check: 'quota below the lock threshold with a margin', reason: `margin ${Math.round(plan.safetyMargin * 100)}% is under 5%` });
  }

  // 5. Shared stores when more than one instance.
  const instances = file.deployment?.instances ?? 1;
  if (instances > 1) {
    const unshared = [
      declared.quotaStore !== 'redis' ? 'quota.store (each instance would spend the whole budget)' : '',
      declared.cacheStore === 'memory' ? 'cache.store (the storm is only deduplicated per instance)' : '',
    ].filter(Boolean);
    out.push(unshared.length === 0
      ? { level: 'pass', check: `shared stores for ${instances} instances`, reason: 'quota, cache and guard state in Redis' }
      : { level: 'fail', check: `shared stores for ${instances} instances`, reason: `not shared: ${unshared.join('; ')}` });
  } else {
    out.push({ level: 'pass', check: 'shared stores', reason: 'one instance (set deployment.instances if there are more)' });
  }

  // 6. TLS.
  const url = typeof cfg['baseUrl'] === 'string' ? cfg['baseUrl'] : '';
  out.push(url.startsWith('https://')
    ? { level: 'pass', check: 'TLS to the gateway', reason: cfg['tls'] ? 'https with a client certificate (mTLS)' : 'https' }
    : { level: 'fail', check: 'TLS to the gateway', reason: 'baseUrl is not https: (plain http is for the sandbox on loopback only)' });

  // 7. Guards beyond the defaults.
  const guards = (cfg['guards'] ?? {}) as Record<string, unknown>;
  out.push(guards['enumeration'] === false
    ? { level: 'fail', check: 'enumeration guard on', reason: 'guards.enumeration is false (Quảng Trị)' }
    : { level: 'pass', check: 'enumeration guard on', reason: 'a citizen tried with many dates of birth or names is refused' });
  out.push(guards['velocity'] !== undefined
    ? { level: 'pass', check: 'operator velocity guard', reason: 'configured' }
    : { level: 'warn', check: 'operator velocity guard', reason: 'not configured: a macro under an officer\'s account is only caught by enumeration and the operator quota' });
  out.push((guards['ip'] as Record<string, unknown> | undefined)?.['allow'] !== undefined
    ? { level: 'pass', check: 'operator IP allowlist', reason: 'configured' }
    : { level: 'warn', check: 'operator IP allowlist', reason: 'not configured: calls from unknown addresses only raise alerts (Bình Thuận)' });
  return { audit, declared };
}

/** Text lines of a doctor report. */
export function doctorLines(checks: readonly DoctorCheck[]): string[] {
  const mark = { pass: 'PASS', warn: 'WARN', fail: 'FAIL' } as const;
  const fails = checks.filter((c) => c.level === 'fail').length;
  const warns = checks.filter((c) => c.level === 'warn').length;
  return [
    ...checks.map((c) => `${mark[c.level]}  ${c.check} — ${c.reason}`),
    '',
    fails === 0 ? `OK: every check passes${warns ? ` (${warns} warning${warns > 1 ? 's' : ''})` : ''}.` : `${fails} problem${fails > 1 ? 's' : ''} to fix.`,
  ];
}
