import { createPublicKey } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { checkpointSigner, checkSignature, parseCheckpoint, prepareKeys, type Checkpoint } from '../audit/checkpoint.js';
import { HttpWitness } from '../audit/http-witness.js';
import { JsonlAuditSink } from '../audit/jsonl-sink.js';
import { PostgresAuditSink, type SqlClient } from '../audit/postgres-sink.js';
import { PostgresWitness } from '../audit/postgres-witness.js';
import { readTail } from '../internal/tail.js';
import { vietnamDayKey } from '../internal/time.js';
import { oldestDay } from '../audit/retention.js';
import { DirectoryWitness, type CheckpointWitness } from '../audit/witness.js';
import { doctorParts, type Declared, type DoctorCheck } from './doctor.js';
import type { DancuClient } from '../api.js';
import { createClientFromConfig } from '../config/from-file.js';
import { isDancuError } from '../errors.js';

/**
 * `dancu doctor` without `--offline`: the checklist, and then what only a live check proves. It
 * opens the declared audit sink with the signing key under the chain `doctor-<host>` (a genesis on
 * the first run, a resume and a close after), reads the last checkpoint back from the store and
 * checks its signature with the public key; and asks the declared witness for the same checkpoint.
 */
export async function doctorLive(raw: unknown, env: NodeJS.ProcessEnv = process.env, now = Date.now()): Promise<DoctorCheck[]> {
  const { checks, audit, declared, maxDays } = doctorParts(raw, env, now);
  if (!declared) return checks;
  const replace = (name: string, c: DoctorCheck) => {
    const i = checks.findIndex((x) => x.check === name);
    if (i >= 0) checks[i] = c;
  };
  if (maxDays !== undefined && declared.auditSink === 'jsonl' && declared.auditTarget) {
    const oldest = await oldestDay(declared.auditTarget).catch(() => undefined);
    const limit = vietnamDayKey(now - maxDays * 86_400_000);
    if (oldest !== undefined && oldest < limit) {
      replace('log retention has a maximum', { level: 'fail', check: 'log retention has a maximum', reason: `the trail still holds ${oldest}, older than ${maxDays} days (before ${limit}): run "dancu audit seal --before ${limit}" then "dancu audit prune --before ${limit}"` });
    }
  }
  const key = audit['signingKey'];
  if (key === '') {
    // Declared as a variable that is not set (reported once above): nothing to check it with.
    replace(CHECK, { level: 'warn', check: CHECK, reason: 'not checked live: audit.signingKey comes from an unset variable (above)' });
    if (declared.witness) replace('audit witness', { level: 'warn', check: 'audit witness', reason: 'not checked live: it needs a checkpoint signed with audit.signingKey (unset, above)' });
  }
  if (typeof key !== 'string' || key === '') return checks;
  const pools: Array<{ end(): Promise<void> }> = [];
  try {
    const live = await checkSink(key, declared, pools);
    replace('audit checkpoints signed with a public key', live.check);
    if (declared.witness) replace('audit witness', await checkWitness(declared.witness, live.checkpoint, pools));
  } finally {
    for (const p of pools) await p.end().catch(() => undefined);
  }
  return checks;
}

const CHECK = 'audit checkpoints signed with a public key';

/** This host's name as a chain name may hold it: the doctor's chains are `doctor-<host>` and `doctor-connect-<host>`. */
const hostTag = () => hostname().replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 40) || 'host';

async function pgPool(url: string, pools: Array<{ end(): Promise<void> }>): Promise<SqlClient> {
  const pg = await import('pg').catch(() => {
    throw new Error('the pg package is not installed (npm install pg)');
  });
  const pool = new pg.default.Pool({ connectionString: url, max: 2, connectionTimeoutMillis: 5_000 });
  pools.push(pool);
  return pool;
}

async function checkSink(pem: string, declared: Declared, pools: Array<{ end(): Promise<void> }>): Promise<{ check: DoctorCheck; checkpoint?: Checkpoint }> {
  let signer;
  let keys;
  try {
    signer = checkpointSigner({ privateKey: pem });
    keys = prepareKeys({ publicKey: createPublicKey(pem) });
  } catch {
    return { check: { level: 'fail', check: CHECK, reason: 'audit.signingKey is not an Ed25519 private key in PEM ("dancu audit keygen" makes one)' } };
  }
  const instance = `doctor-${hostTag()}`;
  try {
    let readBack: () => Promise<Checkpoint | undefined>;
    if (declared.auditSink === 'jsonl') {
      const directory = declared.auditTarget ?? 'dancu-audit';
      const sink = new JsonlAuditSink({ directory, instance, signer });
      await sink.open();
      await sink.close();
      readBack = async () => {
        const t = await readTail(join(directory, instance, 'checkpoints.jsonl'));
        return t?.lastLine === undefined ? undefined : parseCheckpoint(t.lastLine);
      };
    } else if (declared.auditSink === 'postgres' && declared.auditTarget) {
      const pool = await pgPool(declared.auditTarget, pools);
      const table = declared.auditTable ?? 'dancu_audit';
      const sink = new PostgresAuditSink({ pool, instance, signer, migrate: false, table });
      await sink.open();
      await sink.close();
      readBack = async () => {
        const r = await pool.query(`SELECT line FROM ${table}_checkpoints WHERE instance = $1 AND line IS NOT NULL ORDER BY seq DESC, ts DESC LIMIT 1`, [instance]);
        return r.rows[0] ? parseCheckpoint(String(r.rows[0]['line'])) : undefined;
      };
    } else {
      return { check: { level: 'fail', check: CHECK, reason: `cannot check a "${declared.auditSink}" sink live` } };
    }
    const c = await readBack();
    if (!c) return { check: { level: 'fail', check: CHECK, reason: `opened the sink, but no checkpoint of ${instance} could be read back` } };
    const sig = checkSignature(c, keys);
    return sig === 'ok'
      ? { check: { level: 'pass', check: CHECK, reason: `opened the ${declared.auditSink} sink, wrote and read back a ${c.kind} checkpoint of ${instance} signed by key ${c.kid}` }, checkpoint: c }
      : { check: { level: 'fail', check: CHECK, reason: `the checkpoint read back does not verify with the public key (${sig})` } };
  } catch (err) {
    return { check: { level: 'fail', check: CHECK, reason: `could not open the audit sink: ${String((err as Error).message ?? err).slice(0, 200)}` } };
  }
}

async function checkWitness(w: NonNullable<Declared['witness']>, c: Checkpoint | undefined, pools: Array<{ end(): Promise<void> }>): Promise<DoctorCheck> {
  const check = 'audit witness';
  if (!c) return { level: 'fail', check, reason: 'no checkpoint to look for (the sink check failed)' };
  try {
    const witness: CheckpointWitness = 'directory' in w
      ? new DirectoryWitness(w.directory)
      : 'url' in w
        ? new HttpWitness({ url: w.url, ...(w.token ? { token: w.token } : {}) })
        : new PostgresWitness({ pool: await pgPool(w.postgres, pools), ...(w.table ? { table: w.table } : {}) });
    await witness.submit(c); // a no-op if the sink's relay delivered it already
    const head = await witness.head(c.instance);
    return head && head.seq === c.seq && head.sig === c.sig
      ? { level: 'pass', check, reason: `the witness holds the checkpoint just written (${c.kind}, seq ${c.seq})` }
      : { level: 'fail', check, reason: 'the witness does not hold the checkpoint just written' };
  } catch (err) {
    return { level: 'fail', check, reason: `the witness could not be reached or refused: ${String((err as Error).message ?? err).slice(0, 200)}` };
  }
}

/**
 * `dancu doctor --connect`: start a client from the file as the application does
 * (`createClientFromConfig`), then `client.ready({ token: true })`. The client's chain is named
 * `doctor-connect-<host>`, so the trail shows the check was the doctor's.
 */
export async function connectCheck(raw: unknown, env: NodeJS.ProcessEnv = process.env): Promise<DoctorCheck> {
  const check = 'client starts from this file (createClientFromConfig, then ready with a token)';
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { level: 'fail', check, reason: 'the file is not a JSON object' };
  const cfg = raw as Record<string, unknown>;
  const audit = { ...(cfg['audit'] as Record<string, unknown> | undefined), instance: `doctor-connect-${hostTag()}` };
  let client: DancuClient | undefined;
  try {
    client = await createClientFromConfig({ ...cfg, audit }, { env });
    const r = await client.ready({ token: true });
    const degraded = (['cache', 'guards'] as const).filter((k) => r[k] === 'degraded');
    return degraded.length > 0
      ? { level: 'warn', check, reason: `ready, but the ${degraded.join(' and ')} store${degraded.length > 1 ? 's' : ''} did not answer: calls work around it, without sharing` }
      : { level: 'pass', check, reason: `audit trail, quota${r.cache === 'off' ? '' : ', cache'} and guards reached; token ${r.token === 'ok' ? 'obtained' : 'not needed by this profile'}` };
  } catch (err) {
    return { level: 'fail', check, reason: isDancuError(err) ? `${err.code}: ${err.message.split('\n')[0]!.slice(0, 300)}` : String((err as Error).message ?? err).slice(0, 300) };
  } finally {
    await client?.close().catch(() => undefined);
  }
}
