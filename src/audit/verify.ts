import { open, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isCheckpoint, parseCheckpoint, prepareKeys, type Checkpoint, type CheckpointKeys, type PreparedKeys } from './checkpoint.js';
import { JsonlAuditSink } from './jsonl-sink.js';
import { readPostgresChains, type SqlClient } from './postgres-sink.js';
import type { AuditEvent } from './schema.js';
import { ChainVerifier, type ChainReport, type Line } from './verify-chain.js';
import type { CheckpointWitness } from './witness.js';
import { expectString, ValidationError } from '../errors.js';

export type { ChainReport, Line, VerifyProblem, VerifyProblemReason } from './verify-chain.js';

const badArg = (path: string, message: string) => new ValidationError('ERR_INPUT_INVALID', path, 'invalid_argument', message);

/** How to verify: the keys, the witness, and whether a chain nobody vouches for may pass. */
export interface VerifyOptions extends CheckpointKeys {
  /** The independent copy of the checkpoints: cut tails, rollbacks and deleted chains are then detected. */
  witness?: CheckpointWitness;
  /** Let a chain without checked checkpoints pass (with a warning). Default `false`: it fails. */
  allowUnsigned?: boolean;
}

interface Prepared {
  keys: PreparedKeys;
  witness: CheckpointWitness | undefined;
  allowUnsigned: boolean;
}

function prepare(o: VerifyOptions | undefined): Prepared {
  if (o !== undefined && (typeof o !== 'object' || o === null || Buffer.isBuffer(o))) throw badArg('options', 'pass { publicKey } (or { hmacKey } for a development trail), optionally witness and allowUnsigned');
  const w = o?.witness;
  if (w !== undefined && (typeof (w as { list?: unknown }).list !== 'function' || typeof (w as { instances?: unknown }).instances !== 'function')) throw badArg('witness', 'must be a CheckpointWitness (DirectoryWitness, HttpWitness, PostgresWitness)');
  return { keys: prepareKeys(o && { ...(o.publicKey !== undefined ? { publicKey: o.publicKey } : {}), ...(o.hmacKey !== undefined ? { hmacKey: o.hmacKey } : {}) }), witness: w, allowUnsigned: o?.allowUnsigned === true };
}

/** Read a directory of the trail; a path that is not one is bad input, not a crash. */
async function listDir(path: string): Promise<string[]> {
  try {
    return await readdir(path);
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    if (['ENOENT', 'ENOTDIR'].includes(code) || code.startsWith('ERR_INVALID_ARG')) throw badArg('path', `no audit trail directory at ${JSON.stringify(String(path))}`);
    throw err;
  }
}

/** The lines of a file, streamed (64 KiB at a time); the last one is `complete: false` if it has no newline. */
export async function* fileLines(file: string): AsyncGenerator<Line> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(1 << 16);
    let carry: Buffer = Buffer.alloc(0);
    let n = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      let chunk = carry.length > 0 ? Buffer.concat([carry, buf.subarray(0, bytesRead)]) : buf.subarray(0, bytesRead);
      let nl: number;
      while ((nl = chunk.indexOf(0x0a)) !== -1) {
        yield { file, line: ++n, text: chunk.subarray(0, nl).toString('utf8'), complete: true };
        chunk = chunk.subarray(nl + 1);
      }
      carry = Buffer.from(chunk);
    }
    if (carry.length > 0) yield { file, line: ++n, text: carry.toString('utf8'), complete: false };
  } finally {
    await fh.close();
  }
}

async function checkpointLinesOf(dir: string): Promise<Line[] | undefined> {
  const file = join(dir, 'checkpoints.jsonl');
  if (!(await stat(file).catch(() => undefined))) return undefined;
  const out: Line[] = [];
  for await (const l of fileLines(file)) if (l.text !== '' || !l.complete) out.push(l);
  return out;
}

async function witnessed(p: Prepared, instance: string): Promise<Checkpoint[] | undefined> {
  return p.witness ? await p.witness.list(instance) : undefined;
}

/** The seals of a chain directory (`seals.jsonl`, retention), oldest first. */
export async function readSeals(chainDir: string): Promise<Checkpoint[]> {
  const text = await readFile(join(chainDir, 'seals.jsonl'), 'utf8').catch(() => '');
  return text.split('\n').flatMap((l) => {
    const c = l ? parseCheckpoint(l) : undefined;
    return c?.kind === 'seal' ? [c] : [];
  });
}

async function verifyChainDir(dir: string, instance: string, p: Prepared): Promise<ChainReport> {
  const cps = await checkpointLinesOf(dir);
  const v = new ChainVerifier(instance, cps ?? [], { keys: p.keys, allowUnsigned: p.allowUnsigned, witnessed: await witnessed(p, instance), seals: await readSeals(dir) });
  for (const file of await JsonlAuditSink.dayFiles(dir)) for await (const l of fileLines(file)) v.push(l);
  const r = v.end();
  if (cps === undefined && r.events > 0) r.warnings.unshift('no checkpoints.jsonl: the checkpoint file is missing');
  return r;
}

/** The chains the trail's manifest announced (their genesis checkpoints). */
async function manifestInstances(root: string): Promise<string[]> {
  const text = await readFile(join(root, 'manifest.jsonl'), 'utf8').catch(() => '');
  return text.split('\n').flatMap((l) => {
    const c = l ? parseCheckpoint(l) : undefined;
    return c?.kind === 'genesis' ? [c.instance] : [];
  });
}

const deleted = (instance: string, by: string): ChainReport => ({
  instance, ok: false, events: 0, lastSeq: 0, checkpoints: 0, warnings: [],
  problem: { seq: 0, reason: 'deleted', message: `${by} knows this chain, but the trail has none of it: the chain was deleted` },
});

/**
 * Verify a trail directory: one instance directory, or a directory of them. Every chain is
 * reported, whatever is wrong with another; with a witness, and with the trail's manifest, a chain
 * they know that is not there is reported as `deleted`. Reads each file once, streaming: memory
 * does not grow with the trail.
 */
export async function verifyDirectory(path: string, options?: VerifyOptions): Promise<ChainReport[]> {
  expectString(path, 'path');
  const p = prepare(options);
  const names = await listDir(path);
  if ((await JsonlAuditSink.dayFiles(path)).length > 0 || names.includes('checkpoints.jsonl')) {
    return [await verifyChainDir(path, path.split('/').filter(Boolean).at(-1) ?? path, p)];
  }
  const out: ChainReport[] = [];
  const seen = new Set<string>();
  for (const name of names.sort()) {
    const dir = join(path, name);
    if (!(await stat(dir)).isDirectory()) continue;
    const files = await readdir(dir);
    if (!files.some((f) => f === 'checkpoints.jsonl' || f === 'seals.jsonl' || /^\d{4}-\d{2}-\d{2}\.jsonl$/.test(f))) continue;
    seen.add(name);
    out.push(await verifyChainDir(dir, name, p));
  }
  for (const name of await manifestInstances(path)) if (!seen.has(name) && seen.add(name)) out.push(deleted(name, "the trail's manifest"));
  for (const name of (await p.witness?.instances()) ?? []) if (!seen.has(name) && seen.add(name)) out.push(deleted(name, 'the witness'));
  return out;
}

/** Verify every chain of a PostgreSQL audit table (see `PostgresAuditSink`), and that `event` says what `line` says. */
export async function verifyPostgres(pool: SqlClient, table = 'dancu_audit', options?: VerifyOptions): Promise<ChainReport[]> {
  if (typeof (pool as { query?: unknown } | null)?.query !== 'function') throw badArg('pool', 'must be a pg Pool or Client (anything with query(text, values))');
  expectString(table, 'table');
  const p = prepare(options);
  const out: ChainReport[] = [];
  const seen = new Set<string>();
  for (const c of await readPostgresChains(pool, table)) {
    seen.add(c.instance);
    const v = new ChainVerifier(c.instance, c.checkpoints.map((text, i) => ({ file: `${table}_checkpoints`, line: i + 1, text, complete: true })), { keys: p.keys, allowUnsigned: p.allowUnsigned, witnessed: await witnessed(p, c.instance) });
    c.lines.forEach((text, i) => v.push({ file: table, line: i + 1, text, complete: true }));
    const r = v.end();
    if (r.ok && c.drift.length > 0) {
      out.push({ ...r, ok: false, problem: { seq: c.drift[0]!, reason: 'drift', message: `the event column of ${c.drift.length} row(s) does not say what their hashed line says (first: seq ${c.drift[0]}): queries on it would be misled` } });
    } else out.push(r);
  }
  for (const name of (await p.witness?.instances()) ?? []) if (!seen.has(name) && seen.add(name)) out.push(deleted(name, 'the witness'));
  return out;
}

/** Every event of every chain in a directory or a PostgreSQL table, streamed. Unparseable lines are skipped (verify reports them). */
export async function* streamEvents(source: { directory: string } | { pool: SqlClient; table?: string }): AsyncGenerator<AuditEvent> {
  if (typeof source !== 'object' || source === null) throw badArg('source', 'pass { directory } or { pool, table? }');
  const parse = (t: string): AuditEvent | undefined => {
    try {
      const e = JSON.parse(t) as unknown;
      return typeof e === 'object' && e !== null ? (e as AuditEvent) : undefined;
    } catch {
      return undefined;
    }
  };
  if ('directory' in source) {
    expectString(source.directory, 'directory');
    const names = await listDir(source.directory);
    const dirs = (await JsonlAuditSink.dayFiles(source.directory)).length > 0 ? [source.directory] : names.map((n) => join(source.directory, n));
    for (const d of dirs) {
      if (!(await stat(d)).isDirectory()) continue;
      for (const file of await JsonlAuditSink.dayFiles(d)) {
        for await (const l of fileLines(file)) {
          const e = l.complete ? parse(l.text) : undefined;
          if (e) yield e;
        }
      }
    }
    return;
  }
  if (typeof (source as { pool?: { query?: unknown } }).pool?.query !== 'function') throw badArg('pool', 'must be a pg Pool or Client (anything with query(text, values))');
  if (source.table !== undefined) expectString(source.table, 'table');
  for (const c of await readPostgresChains(source.pool, source.table)) {
    for (const t of c.lines) {
      const e = parse(t);
      if (e) yield e;
    }
  }
}

/** Every event of a trail, in memory (small trails; `streamEvents` for large ones). */
export async function readEvents(source: { directory: string } | { pool: SqlClient; table?: string }): Promise<AuditEvent[]> {
  const out: AuditEvent[] = [];
  for await (const e of streamEvents(source)) out.push(e);
  return out;
}

/**
 * Verify one chain given as lines (and its checkpoints, as parsed objects or stored lines), in
 * memory: what `verifyDirectory` does per chain. `witnessed`: the witness's checkpoints of it.
 */
export function verifyLines(instance: string, lines: readonly Line[], checkpoints: ReadonlyArray<Checkpoint | string>, options?: Omit<VerifyOptions, 'witness'> & { witnessed?: readonly Checkpoint[] }): ChainReport {
  expectString(instance, 'instance');
  if (!Array.isArray(lines) || !lines.every((l) => typeof (l as Line | null)?.text === 'string')) throw badArg('lines', 'must be an array of { file, line, text, complete }');
  if (!Array.isArray(checkpoints) || !checkpoints.every((c) => typeof c === 'string' || (typeof c === 'object' && c !== null))) throw badArg('checkpoints', 'must be an array of checkpoints (objects or stored lines)');
  const w = options?.witnessed;
  if (w !== undefined && (!Array.isArray(w) || !w.every(isCheckpoint))) throw badArg('witnessed', 'must be an array of checkpoints');
  const p = prepare(options && { ...(options.publicKey !== undefined ? { publicKey: options.publicKey } : {}), ...(options.hmacKey !== undefined ? { hmacKey: options.hmacKey } : {}), ...(options.allowUnsigned !== undefined ? { allowUnsigned: options.allowUnsigned } : {}) });
  const text = (c: unknown): string => {
    try {
      return typeof c === 'string' ? c : JSON.stringify(c);
    } catch {
      return 'not a checkpoint'; // reported as a damaged checkpoint
    }
  };
  const cpLines = checkpoints.map((c, i): Line => ({ file: 'checkpoints', line: i + 1, text: text(c), complete: true }));
  const v = new ChainVerifier(instance, cpLines, { keys: p.keys, allowUnsigned: p.allowUnsigned, witnessed: w });
  for (const l of lines) v.push(l);
  return v.end();
}
