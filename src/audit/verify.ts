import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { checkpointValid, GENESIS, hashOf, lineHashMatches, type Checkpoint } from './chain.js';
import { JsonlAuditSink } from './jsonl-sink.js';
import { readPostgresChains, type SqlClient } from './postgres-sink.js';
import type { AuditEvent } from './schema.js';
import { expectString, ValidationError } from '../errors.js';

const badArg = (path: string, message: string) => new ValidationError('ERR_INPUT_INVALID', path, 'invalid_argument', message);

function checkKey(key: unknown): void {
  if (key !== undefined && !Buffer.isBuffer(key)) throw badArg('key', 'must be the checkpoint key (a Buffer, see deriveAuditKeys) or left out');
}

function checkPool(pool: unknown): void {
  if (typeof (pool as { query?: unknown } | null)?.query !== 'function') throw badArg('pool', 'must be a pg Pool or Client (anything with query(text, values))');
}

/** Read a directory of the trail; a path that is not one is bad input, not a crash. */
async function listDir(path: string): Promise<string[]> {
  try {
    return await readdir(path);
  } catch (err) {
    if (['ENOENT', 'ENOTDIR'].includes((err as { code?: string }).code ?? '')) throw badArg('path', 'no audit trail directory at this path');
    throw err;
  }
}

export type VerifyProblemReason = 'unparseable' | 'altered' | 'missing' | 'reordered' | 'inserted' | 'truncated' | 'bad_checkpoint';

export interface VerifyProblem {
  /** The first sequence number that is not as it should be. */
  seq: number;
  reason: VerifyProblemReason;
  message: string;
  file?: string;
  line?: number;
}

export interface ChainReport {
  instance: string;
  ok: boolean;
  events: number;
  lastSeq: number;
  checkpoints: number;
  problem?: VerifyProblem;
  warnings: string[];
}

export interface Line {
  file: string;
  line: number;
  text: string;
  /** False for a last line without its newline (a write cut by a crash). */
  complete: boolean;
}

/**
 * Check one chain: every event parses, follows the schema, has the next `seq`, links to the
 * previous hash and hashes to its own `hash`; every checkpoint is signed (when a key is given) and
 * matches the event at its `seq`, and none is beyond the end (truncation).
 */
export function verifyLines(instance: string, lines: readonly Line[], checkpoints: readonly Checkpoint[], key?: Buffer): ChainReport {
  expectString(instance, 'instance');
  if (!Array.isArray(lines) || !lines.every((l) => typeof (l as Line | null)?.text === 'string')) throw badArg('lines', 'must be an array of { file, line, text, complete }');
  if (!Array.isArray(checkpoints) || !checkpoints.every((c) => typeof c === 'object' && c !== null)) throw badArg('checkpoints', 'must be an array of checkpoints');
  checkKey(key);
  const warnings: string[] = [];
  const bySeq = new Map<number, AuditEvent>();
  let expected = 1;
  let prevHash = GENESIS;
  let events = 0;
  const report = (problem: VerifyProblem): ChainReport => ({ instance, ok: false, events, lastSeq: expected - 1, checkpoints: checkpoints.length, problem, warnings });
  const seqAhead = (from: number, seq: number) => lines.slice(from).some((l) => l.text.includes(`"seq":${seq},`));

  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    const where = { file: l.file, line: l.line };
    if (!l.complete) {
      warnings.push(`${l.file}:${l.line}: torn last line (${Buffer.byteLength(l.text)} bytes): a write cut by a crash, never acknowledged`);
      break;
    }
    let e: AuditEvent;
    try {
      e = JSON.parse(l.text) as AuditEvent;
    } catch {
      return report({ seq: expected, reason: 'unparseable', message: 'line is not JSON', ...where });
    }
    // Integrity is the hash's job; this only makes sure the chain fields are there to check.
    if (typeof e !== 'object' || e === null || !Number.isInteger(e.seq) || typeof e.hash !== 'string' || typeof e.prevHash !== 'string') {
      return report({ seq: expected, reason: 'altered', message: 'not an audit event (seq, prevHash or hash missing)', ...where });
    }
    if (e.seq !== expected) {
      if (e.seq < expected) return report({ seq: expected, reason: 'inserted', message: `found seq ${e.seq} where ${expected} was expected (an event out of place)`, ...where });
      const later = seqAhead(i + 1, expected);
      return report({
        seq: expected,
        reason: later ? 'reordered' : 'missing',
        message: later ? `seq ${expected} appears later: events were reordered` : `seq ${expected} is missing (found ${e.seq})`,
        ...where,
      });
    }
    if (lineHashMatches(l.text) !== true && hashOf(e) !== e.hash) return report({ seq: e.seq, reason: 'altered', message: 'the event does not hash to its hash: its content was changed', ...where });
    if (e.prevHash !== prevHash) {
      return report({ seq: e.seq, reason: 'altered', message: `prevHash does not match the hash of seq ${e.seq - 1}: the chain was rewritten`, ...where });
    }
    bySeq.set(e.seq, e);
    prevHash = e.hash;
    expected++;
    events++;
  }
  const lastSeq = expected - 1;
  for (const c of checkpoints) {
    if (key && !checkpointValid(key, c)) return report({ seq: c.seq, reason: 'bad_checkpoint', message: 'checkpoint signature is invalid' });
    if (c.seq > lastSeq) return report({ seq: lastSeq + 1, reason: 'truncated', message: `a signed checkpoint vouches for seq ${c.seq}, the log ends at ${lastSeq}` });
    if (bySeq.get(c.seq)?.hash !== c.hash) return report({ seq: c.seq, reason: 'bad_checkpoint', message: `event ${c.seq} differs from its signed checkpoint` });
  }
  if (!key && checkpoints.length > 0) warnings.push('checkpoint signatures not checked (no --secret given)');
  if (checkpoints.length === 0) warnings.push('no checkpoints: a truncated tail cannot be detected');
  return { instance, ok: true, events, lastSeq, checkpoints: checkpoints.length, warnings };
}

async function readChainDir(dir: string): Promise<{ lines: Line[]; checkpoints: Checkpoint[] }> {
  const lines: Line[] = [];
  for (const file of await JsonlAuditSink.dayFiles(dir)) {
    const text = await readFile(file, 'utf8');
    const parts = text.split('\n');
    const tail = parts.pop()!; // '' when the file ends with a newline
    parts.forEach((t, i) => lines.push({ file, line: i + 1, text: t, complete: true }));
    if (tail !== '') lines.push({ file, line: parts.length + 1, text: tail, complete: false });
  }
  const cps = await readFile(join(dir, 'checkpoints.jsonl'), 'utf8').catch(() => '');
  const checkpoints = cps.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Checkpoint);
  return { lines, checkpoints };
}

/** Verify a trail directory: either one instance directory, or a directory of instance directories. */
export async function verifyDirectory(path: string, key?: Buffer): Promise<ChainReport[]> {
  expectString(path, 'path');
  checkKey(key);
  const names = await listDir(path);
  if ((await JsonlAuditSink.dayFiles(path)).length > 0) {
    const { lines, checkpoints } = await readChainDir(path);
    return [verifyLines(path.split('/').filter(Boolean).at(-1) ?? path, lines, checkpoints, key)];
  }
  const out: ChainReport[] = [];
  for (const name of names.sort()) {
    const dir = join(path, name);
    if (!(await stat(dir)).isDirectory()) continue;
    const { lines, checkpoints } = await readChainDir(dir);
    if (lines.length > 0) out.push(verifyLines(name, lines, checkpoints, key));
  }
  return out;
}

/** Verify every chain of a PostgreSQL audit table (see `PostgresAuditSink`). */
export async function verifyPostgres(pool: SqlClient, table = 'dancu_audit', key?: Buffer): Promise<ChainReport[]> {
  checkPool(pool);
  expectString(table, 'table');
  checkKey(key);
  const chains = await readPostgresChains(pool, table);
  return chains.map((c) =>
    verifyLines(c.instance, c.lines.map((text, i) => ({ file: `${table}`, line: i + 1, text, complete: true })), c.checkpoints, key),
  );
}

/** Every event of every chain in a directory or a PostgreSQL table (for reports). Unparseable lines are skipped. */
export async function readEvents(source: { directory: string } | { pool: SqlClient; table?: string }): Promise<AuditEvent[]> {
  if (typeof source !== 'object' || source === null) throw badArg('source', 'pass { directory } or { pool, table? }');
  const texts: string[] = [];
  if ('directory' in source) {
    expectString(source.directory, 'directory');
    const names = await listDir(source.directory);
    const dirs = (await JsonlAuditSink.dayFiles(source.directory)).length > 0 ? [source.directory] : names.map((n) => join(source.directory, n));
    for (const d of dirs) {
      if (!(await stat(d)).isDirectory()) continue;
      texts.push(...(await readChainDir(d)).lines.filter((l) => l.complete).map((l) => l.text));
    }
  } else {
    checkPool((source as { pool?: unknown }).pool);
    if (source.table !== undefined) expectString(source.table, 'table');
    for (const c of await readPostgresChains(source.pool, source.table)) texts.push(...c.lines);
  }
  const out: AuditEvent[] = [];
  for (const t of texts) {
    try {
      out.push(JSON.parse(t) as AuditEvent);
    } catch {
      /* verify reports it */
    }
  }
  return out;
}
