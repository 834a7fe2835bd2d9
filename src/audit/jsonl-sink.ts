import { ConfigError } from '../errors.js';
import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, truncate, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { appendDurably, linesBackward, readTail } from '../internal/tail.js';
import { vietnamDayKey, type Clock } from '../internal/time.js';
import { glance, type LinkedBatch } from './chain.js';
import { checkpointLine, parseCheckpoint, type Checkpoint, type CheckpointSigner } from './checkpoint.js';
import type { CheckpointSettings } from './checkpointer.js';
import type { CheckpointWitness } from './witness.js';
import { GroupCommit } from './group-commit.js';
import { AuditEventSchema, type AuditEvent, type AuditEventBody } from './schema.js';
import type { AuditRecovery, AuditSink } from './sink.js';

/** Options of {@link JsonlAuditSink}. */
export interface JsonlAuditSinkOptions {
  /** Directory of the trail. Each writer keeps its chain in `<directory>/<instance>/`. */
  directory: string;
  /** This writer's name; one live writer per instance (a lock file enforces it). */
  instance: string;
  /**
   * Signs checkpoints (`checkpointSigner({ privateKey })`). Given by the client from
   * `audit.signingKey` when left out. Without one, no checkpoint is written.
   */
  signer?: CheckpointSigner | undefined;
  /** Where checkpoints are also delivered. Given by the client from `audit.witness` when left out. */
  witness?: CheckpointWitness | undefined;
  /** Write a checkpoint every this many events (and at close). Default `1000`. */
  checkpointEvery?: number;
  /** And at most this long after an event no checkpoint covers. Default `60000`. */
  checkpointIntervalMs?: number;
  clock?: Clock;
}

/** The checkpoint settings of a sink's own options (what the client's do not override). */
export function ownCheckpointSettings(o: { signer?: CheckpointSigner | undefined; witness?: CheckpointWitness | undefined; checkpointEvery?: number; checkpointIntervalMs?: number }): CheckpointSettings {
  return { signer: o.signer, witness: o.witness, every: o.checkpointEvery, intervalMs: o.checkpointIntervalMs };
}

/**
 * The embedded default: one JSON event per line, one file per Vietnam day, append-only.
 *
 * - **Group commit**: writes that arrive while a batch is being made durable form the next batch;
 *   one `write` per batch on a descriptor opened with `O_DSYNC` (the write returns once the data
 *   is durable, as write + `fdatasync` would); a write is acknowledged only after that.
 * - **Descriptor held while active**: the day file stays open while the writer is active, so a
 *   durable event is one `O_DSYNC` write; it is closed after {@link IDLE_RELEASE_MS} without a
 *   batch (nothing is held between bursts: a file system can be remounted, a file rotated). Each
 *   batch also `stat`s the path, beside its write: a day file moved away, replaced or deleted, or
 *   whose mode or owner changed, fails that batch (and the calls waiting on it) and the next one
 *   reopens the path, as a fresh open would; a full disk or a file system turned read-only fails
 *   the write itself.
 * - **Crash-safe**: a batch cut by a crash leaves at most a torn last line, never acknowledged; the
 *   next start (`open`) cuts it off and reports it. A failed batch is cut off too, and its chain
 *   links are rolled back, so the chain never has a hole.
 */
export class JsonlAuditSink implements AuditSink {
  readonly durable = true;
  readonly #dir: string;
  readonly #opts: JsonlAuditSinkOptions;
  readonly #clock: Clock;
  readonly #commit: GroupCommit;
  /** Size of the current day file after the last acknowledged batch (to cut off a failed one). */
  #good: { file: string; size: number } | undefined;
  /** The day file, open while the writer is active; `id` is what `stat` said of it when opened. */
  #file: { path: string; fh: FileHandle; id: FileId } | undefined;
  /** A batch is being written (the idle timer must not close the file under it). */
  #busy = false;
  /** When the last batch ended, and the idle timer (one at a time, unref'd). */
  #lastBatchAt = 0;
  #idleTimer: NodeJS.Timeout | undefined;
  readonly #token = randomUUID();
  #scannedBytes = 0;

  /** Bytes of day files the last `open` read (from the end); for tests and diagnostics. */
  get scannedBytes(): number {
    return this.#scannedBytes;
  }

  constructor(options: JsonlAuditSinkOptions) {
    for (const k of ['directory', 'instance'] as const) {
      const v = (options as Partial<JsonlAuditSinkOptions> | undefined)?.[k];
      if (typeof v !== 'string' || v === '' || (k === 'instance' && !/^[A-Za-z0-9._-]{1,128}$/.test(v))) {
        throw new ConfigError([{ path: `audit.${k}`, received: v === null ? 'null' : typeof v, message: k === 'instance' ? 'must be 1–128 of [A-Za-z0-9._-]' : 'must be a directory path', fix: 'pass { directory, instance } (instance: one per process, e.g. "mot-cua-1")' }]);
      }
    }
    this.#opts = options;
    this.#dir = join(options.directory, options.instance);
    this.#clock = options.clock ?? Date.now;
    const cpFile = join(this.#dir, 'checkpoints.jsonl');
    this.#commit = new GroupCommit({
      instance: options.instance,
      clock: this.#clock,
      open: () => this.#open(),
      persist: (batch) => this.#append(batch),
      idle: async () => this.#releaseWhenIdle(),
      checkpoints: {
        lastCheckpoint: () => lastCheckpointIn(cpFile),
        appendCheckpoint: (c) => appendDurably(cpFile, checkpointLine(c)),
        // The registry of chains: every genesis, beside the instance directories.
        announce: (c) => appendDurably(join(options.directory, 'manifest.jsonl'), checkpointLine(c)),
      },
    }, ownCheckpointSettings(options));
  }

  /** The client's checkpoint settings, for what this sink's options left out. */
  useCheckpoints(settings: CheckpointSettings): void {
    this.#commit.useCheckpoints(settings);
  }

  /** Files of the chain, oldest first. */
  static async dayFiles(instanceDir: string): Promise<string[]> {
    const names = await readdir(instanceDir).catch(() => [] as string[]);
    return names.filter((n) => /^\d{4}-\d{2}-\d{2}\.jsonl$/.test(n)).sort().map((n) => join(instanceDir, n));
  }

  open(): Promise<AuditRecovery> {
    return this.#commit.open();
  }

  async #open(): Promise<{ head: { seq: number; hash: string } | undefined; recovery: AuditRecovery; replaces: string[] }> {
    await mkdir(this.#dir, { recursive: true });
    await this.#lock();
    const tail = await JsonlAuditSink.#readTail(this.#dir);
    this.#scannedBytes = tail.scannedBytes;
    let tornBytes = tail.tornBytes;
    const last = tail.head;
    const dangling = tail.dangling;
    const replaces: string[] = [];
    // Chains of writers that died (their lock is still there, their process is gone): seal them too.
    for (const name of await readdir(this.#opts.directory).catch(() => [] as string[])) {
      if (name === this.#opts.instance) continue;
      // Best effort: another chain's state must never stop this writer from opening its own.
      const other = await JsonlAuditSink.#recoverDead(join(this.#opts.directory, name), this.#token).catch(() => undefined);
      if (other) {
        replaces.push(name);
        tornBytes += other.tornBytes;
        dangling.push(...other.danglingIntents);
      }
    }
    return { head: last && { seq: last.seq, hash: last.hash }, recovery: { tornBytes, danglingIntents: dangling }, replaces };
  }

  /**
   * Cut a torn tail and read the chain's recent events **from the end**: back to
   * {@link RECENT_WINDOW_MS} before its last event (no call is in flight longer), at most
   * {@link RECENT_MAX_BYTES}, into the day before if the window reaches it. What start-up reads
   * does not grow with the day's size.
   */
  static async #readTail(dir: string): Promise<{ tornBytes: number; head: AuditEvent | undefined; dangling: AuditEvent[]; scannedBytes: number }> {
    let tornBytes = 0;
    const files = await JsonlAuditSink.dayFiles(dir);
    const last = files.at(-1);
    if (last) {
      const t = await readTail(last);
      if (t && t.tornBytes > 0) {
        tornBytes = t.tornBytes;
        await truncate(last, t.size - t.tornBytes);
      }
    }
    // Newest first: an outcome is met before its intent, so only intents with no outcome are kept.
    let head: AuditEvent | undefined;
    const answered = new Set<string>();
    const dangling: AuditEvent[] = [];
    const scan = { bytes: 0 };
    let cutoff: number | undefined;
    scanning: for (const file of files.slice(-2).reverse()) {
      for await (const line of linesBackward(file, scan)) {
        // Past the head, a line this writer wrote needs no parse: its time and type are its last
        // members (canonical order), and an intent's or outcome's id occurs once in it.
        const quick = head === undefined ? undefined : glance(line);
        if (quick !== undefined) {
          if (quick.at < cutoff!) break scanning;
          if (quick.outcomeOf !== undefined) answered.add(quick.outcomeOf);
          if (quick.intent === undefined || answered.delete(quick.intent)) {
            if (scan.bytes >= RECENT_MAX_BYTES) break scanning;
            continue;
          }
          // An intent left open: read whole (below).
        }
        let e: AuditEvent;
        try {
          const parsed = AuditEventSchema.safeParse(JSON.parse(line));
          if (!parsed.success) continue;
          e = parsed.data;
        } catch {
          continue; /* a damaged line: `dancu audit verify` reports it; the chain continues from the last good event */
        }
        const at = Date.parse(e.ts);
        cutoff ??= at - RECENT_WINDOW_MS;
        if (at < cutoff) break scanning;
        head ??= e;
        if (e.type === 'lookup.outcome' && e.intentId) answered.add(e.intentId);
        else if (e.type === 'lookup.intent' && !answered.delete(e.eventId)) dangling.push(e);
        if (scan.bytes >= RECENT_MAX_BYTES) break scanning;
      }
    }
    return { tornBytes, head, dangling: dangling.reverse(), scannedBytes: scan.bytes };
  }

  /** If `dir` is the chain of a dead writer (lock left, process gone), claim it once, seal it, report its open intents. */
  static async #recoverDead(dir: string, token: string): Promise<AuditRecovery | undefined> {
    const lock = join(dir, '.lock');
    const held = readLock(await readFile(lock, 'utf8').catch(() => ''));
    if (held.pid === undefined || alive(held.pid)) return undefined; // no lock, one being written, or a live writer
    const claimed = join(dir, `.recovering-${token}`);
    try {
      await rename(lock, claimed); // atomic: one recovering process wins
    } catch {
      return undefined;
    }
    const { tornBytes, dangling } = await JsonlAuditSink.#readTail(dir);
    await rm(claimed, { force: true });
    return { tornBytes, danglingIntents: dangling };
  }

  /** One live writer per instance directory: a lock file holding our pid, taken over if its process is gone. */
  async #lock(): Promise<void> {
    const path = join(this.#dir, '.lock');
    const mine = JSON.stringify({ pid: process.pid, token: this.#token });
    for (let i = 0; i < 2; i++) {
      try {
        await writeFile(path, mine, { flag: 'wx' });
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const held = readLock(await readFile(path, 'utf8').catch(() => ''));
        if (held.token === this.#token) return;
        // A lock without a pid is being written, or was left empty by a writer killed while writing it.
        const fresh = held.pid === undefined && Date.now() - (await stat(path).catch(() => ({ mtimeMs: 0 }))).mtimeMs < 5_000;
        if ((held.pid !== undefined && alive(held.pid)) || fresh) {
          throw new Error(`audit directory ${this.#dir} is in use by process ${held.pid ?? '(starting)'}; give each process its own audit.instance`);
        }
        await rm(path, { force: true }); // a dead writer's lock
      }
    }
  }

  write(bodies: readonly AuditEventBody[]): Promise<void> {
    return this.#commit.write(bodies);
  }

  async #append(batch: LinkedBatch): Promise<void> {
    const file = join(this.#dir, `${vietnamDayKey(this.#clock())}.jsonl`);
    const data = Buffer.from(`${batch.lines.join('\n')}\n`, 'utf8');
    if (this.#file && this.#file.path !== file) await this.#release(); // a new Vietnam day
    this.#busy = true;
    try {
      const reused = this.#file !== undefined;
      const f = (this.#file ??= await this.#openDay(file));
      // The path is checked beside the write, not before it: the check costs no wait of its own.
      const [, now] = await Promise.all([writeAll(f.fh, data, file), reused ? stat(file).then(fileId, () => undefined) : f.id]);
      if (!sameFile(f.id, now)) {
        throw new Error(`the audit day file ${file} was moved, replaced or changed (mode or owner) while open; the batch is not acknowledged and the next one reopens the path`);
      }
      this.#good = { file, size: this.#good!.size + data.length };
    } catch (err) {
      await this.#release(); // the next batch reopens and cuts what this one left half-written
      throw err;
    } finally {
      this.#busy = false;
      this.#lastBatchAt = performance.now();
    }
  }

  /** The queue is empty: close the file once no batch has come for {@link IDLE_RELEASE_MS}. */
  #releaseWhenIdle(): void {
    if (this.#file === undefined || this.#idleTimer !== undefined) return;
    const check = (): void => {
      this.#idleTimer = undefined;
      if (this.#file === undefined) return;
      const quiet = performance.now() - this.#lastBatchAt;
      if (this.#busy || quiet < IDLE_RELEASE_MS) {
        this.#idleTimer = setTimeout(check, Math.max(1, IDLE_RELEASE_MS - (this.#busy ? 0 : quiet))).unref();
        return;
      }
      void this.#release().catch(() => undefined);
    };
    this.#idleTimer = setTimeout(check, IDLE_RELEASE_MS).unref();
  }

  /** Open a day file for appending, cut back to the last acknowledged byte if a batch failed half-written. */
  async #openDay(path: string): Promise<{ path: string; fh: FileHandle; id: FileId }> {
    const fh = await open(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | (O_DSYNC ?? 0), 0o640);
    try {
      const st = await fh.stat();
      if (this.#good?.file === path && st.size > this.#good.size) await fh.truncate(this.#good.size);
      else this.#good = { file: path, size: st.size };
      return { path, fh, id: fileId(st) };
    } catch (err) {
      await fh.close().catch(() => undefined);
      throw err;
    }
  }

  /** Close the day file (idle, at a new day, after a failure, at close). */
  async #release(): Promise<void> {
    const f = this.#file;
    this.#file = undefined;
    await f?.fh.close();
  }

  flush(): Promise<void> {
    return this.#commit.flush();
  }

  async close(): Promise<void> {
    await this.#commit.close();
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    await this.#release().catch(() => undefined);
    if (this.#commit.opened) {
      const path = join(this.#dir, '.lock');
      if (readLock(await readFile(path, 'utf8').catch(() => '')).token === this.#token) await rm(path, { force: true });
    }
  }
}

export { appendDurably };

const O_DSYNC: number | undefined = constants.O_DSYNC;

/** How long the day file stays open after the last batch. */
export const IDLE_RELEASE_MS = 1_000;

/** What identifies the file at a path, and what decides whether this process may still write it. */
type FileId = { dev: number; ino: number; mode: number; uid: number; gid: number };
const fileId = (st: { dev: number; ino: number; mode: number; uid: number; gid: number }): FileId => ({ dev: st.dev, ino: st.ino, mode: st.mode, uid: st.uid, gid: st.gid });
const sameFile = (a: FileId, b: FileId | undefined): boolean =>
  b !== undefined && a.ino === b.ino && a.dev === b.dev && a.mode === b.mode && a.uid === b.uid && a.gid === b.gid;

/** Write all of `data` (O_DSYNC: each write returns once its data is durable, as write + fdatasync would). */
async function writeAll(fh: FileHandle, data: Buffer, file: string): Promise<void> {
  for (let off = 0; off < data.length; ) {
    const { bytesWritten } = await fh.write(data, off, data.length - off);
    if (bytesWritten === 0) throw new Error(`no byte of the batch could be written to ${file}`);
    off += bytesWritten;
  }
  if (O_DSYNC === undefined) await fh.datasync(); // a platform without O_DSYNC
}

/**
 * How far back from its last event a restarting writer looks for intents without an outcome: the
 * longest a call can be in flight with any options the schema allows (5 attempts × (120 s timeout +
 * 300 s delay) = 35 min), and a minute more.
 */
export const RECENT_WINDOW_MS = 36 * 60_000;
/** And at most this many bytes of day files. */
export const RECENT_MAX_BYTES = 64 * 1024 * 1024;

/** The last checkpoint of a checkpoint file, read from its end; a torn last line (a crash) is cut off first. */
async function lastCheckpointIn(path: string): Promise<Checkpoint | undefined> {
  const tail = await readTail(path);
  if (!tail) return undefined;
  if (tail.tornBytes > 0) await truncate(path, tail.size - tail.tornBytes);
  return tail.lastLine === undefined ? undefined : parseCheckpoint(tail.lastLine);
}

/** A lock file's content; `{}` for a missing, empty (being written) or damaged one. */
function readLock(text: string): { pid?: number; token?: string } {
  try {
    const v = JSON.parse(text) as { pid?: unknown; token?: unknown };
    return { ...(typeof v.pid === 'number' ? { pid: v.pid } : {}), ...(typeof v.token === 'string' ? { token: v.token } : {}) };
  } catch {
    return {};
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
