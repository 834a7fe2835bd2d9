import { createHash } from 'node:crypto';
import type { Clock } from '../internal/time.js';
import type { LinkedBatch } from './chain.js';
import { checkpointLine, parseCheckpoint, type Checkpoint, type CheckpointSigner } from './checkpoint.js';
import type { CheckpointSettings } from './checkpointer.js';
import { danglingIntents, GroupCommit } from './group-commit.js';
import { ownCheckpointSettings } from './jsonl-sink.js';
import type { CheckpointWitness } from './witness.js';
import { AuditEventSchema, type AuditEventBody } from './schema.js';
import type { AuditRecovery, AuditSink } from './sink.js';
import { optionsObject } from '../internal/options.js';
import { ConfigError } from '../errors.js';

/** The part of `pg` (a `Pool` or a `Client`) this sink uses: no pg type in dancu's API. */
export interface SqlClient {
  query(text: string, values?: unknown[]): Promise<{ rows: Array<Record<string, unknown>>; rowCount?: number | null }>;
  /** A `pg.Pool`'s: a dedicated connection (held for the writer's advisory lock). */
  connect?(): Promise<unknown>;
}

/** A pooled connection, as `pg.Pool#connect` gives it. */
interface PooledClient {
  query: SqlClient['query'];
  release(err?: unknown): void;
}

/** Options of {@link PostgresAuditSink}. */
export interface PostgresAuditSinkOptions {
  /** A `pg.Pool` (recommended) or anything with `query(text, values)`. dancu never ends it. */
  pool: SqlClient;
  /** This writer's chain name (one live writer per name). */
  instance: string;
  /** Table name (letters, digits, `_`; optionally `schema.table`). Default `dancu_audit`. */
  table?: string;
  /** Create the tables if they do not exist (`auditMigrationSql`). Default `true`; `false` if your DBA applies it. */
  migrate?: boolean;
  /** Signs checkpoints; given by the client from `audit.signingKey` when left out. */
  signer?: CheckpointSigner | undefined;
  /** Where checkpoints are also delivered; given by the client from `audit.witness` when left out. */
  witness?: CheckpointWitness | undefined;
  /** Default `1000`. */
  checkpointEvery?: number;
  /** Default `60000`. */
  checkpointIntervalMs?: number;
  clock?: Clock;
}

/** A table name safe to write into SQL (`schema.table` allowed), or `ERR_CONFIG_INVALID` at `path`. */
export function ident(table: string, path = 'PostgresAuditSink.table', fix = 'leave it out (dancu_audit) or pass e.g. "audit.dancu_events"'): string {
  if (typeof table !== 'string' || !/^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/.test(table)) {
    throw new ConfigError([{ path, received: typeof table, message: 'lower-case letters, digits and _ (schema.table allowed)', fix }]);
  }
  return table;
}

/**
 * The migration the sink runs (or that you apply yourself with `migrate: false`). `line` keeps the
 * event exactly as hashed (so `dancu audit verify` checks it byte for byte); `event` is generated
 * from it (jsonb, for queries and reports), so it cannot say something else. Triggers refuse
 * UPDATE, DELETE and TRUNCATE on both tables: rows are only ever added (docs/deployment.md gives
 * the GRANTs that keep the writer's role from dropping the triggers).
 */
export function auditMigrationSql(table = 'dancu_audit'): string {
  const t = ident(table);
  const n = t.replace('.', '_');
  return `${migrationLockSql(t)}
CREATE TABLE IF NOT EXISTS ${t} (
  instance   text        NOT NULL,
  seq        bigint      NOT NULL,
  ts         timestamptz NOT NULL,
  type       text        NOT NULL,
  hash       char(64)    NOT NULL,
  prev_hash  char(64)    NOT NULL,
  line       text        NOT NULL,
  event      jsonb       GENERATED ALWAYS AS (line::jsonb) STORED,
  PRIMARY KEY (instance, seq)
);
CREATE INDEX IF NOT EXISTS ${n}_ts_idx ON ${t} (ts);
CREATE TABLE IF NOT EXISTS ${t}_checkpoints (
  instance text NOT NULL,
  seq      bigint NOT NULL,
  hash     char(64) NOT NULL,
  ts       text NOT NULL,
  kid      text NOT NULL,
  sig      text NOT NULL,
  line     text,
  PRIMARY KEY (instance, seq, ts)
);
ALTER TABLE ${t}_checkpoints ADD COLUMN IF NOT EXISTS line text;
DO $$ BEGIN
  -- a table made by dancu 0.1 stored event as a plain column: make it generated from line
  IF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = '${t}'::regclass AND attname = 'event' AND attgenerated = '') THEN
    ALTER TABLE ${t} DROP COLUMN event;
    ALTER TABLE ${t} ADD COLUMN event jsonb GENERATED ALWAYS AS (line::jsonb) STORED;
  END IF;
END $$;
${appendOnlySql(n, [t, `${t}_checkpoints`])}`;
}

/**
 * Triggers that refuse UPDATE, DELETE and TRUNCATE on `tables` for every role (a function `<n>_append_only`).
 * Shared by the sink's tables and the witness table.
 */
export function appendOnlySql(n: string, tables: readonly string[]): string {
  // Created only where missing: re-creating a trigger at every open would lock the table against
  // the other writers' inserts.
  const triggers = tables.flatMap((t) => {
    const tn = t.replace('.', '_');
    return [
      `IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = '${tn}_no_change' AND tgrelid = '${t}'::regclass) THEN
    CREATE TRIGGER ${tn}_no_change BEFORE UPDATE OR DELETE ON ${t} FOR EACH ROW EXECUTE FUNCTION ${n}_append_only();
  END IF;`,
      `IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = '${tn}_no_truncate' AND tgrelid = '${t}'::regclass) THEN
    CREATE TRIGGER ${tn}_no_truncate BEFORE TRUNCATE ON ${t} FOR EACH STATEMENT EXECUTE FUNCTION ${n}_append_only();
  END IF;`,
    ];
  });
  return `CREATE OR REPLACE FUNCTION ${n}_append_only() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN
  RAISE EXCEPTION 'dancu audit: % is append-only (% refused)', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END $f$;
DO $t$ BEGIN
  ${triggers.join('\n  ')}
END $t$;`;
}

/** First statement of a migration: one migration at a time per table (all its statements are one transaction). */
export function migrationLockSql(table: string): string {
  return `SELECT pg_advisory_xact_lock(${lockKey('migrate', table)}::bigint);`;
}

/** The advisory-lock key of one writer's chain (a signed 64-bit integer, as text). */
function lockKey(table: string, instance: string): string {
  return createHash('sha256').update(`dancu-audit:${table}:${instance}`).digest().readBigInt64BE(0).toString();
}

/**
 * Audit events in PostgreSQL, for integrators who already run it. Group commit: one transaction
 * (multi-row INSERT) per batch, acknowledged when COMMIT returns (durable with PostgreSQL's default
 * `synchronous_commit = on`). Several processes may share the table: each writes its own chain,
 * keyed by `instance`.
 */
export class PostgresAuditSink implements AuditSink {
  readonly durable = true;
  readonly #o: PostgresAuditSinkOptions;
  readonly #table: string;
  readonly #clock: Clock;
  readonly #commit: GroupCommit;
  /** The connection that holds this writer's advisory lock (one live writer per instance). */
  #lock: PooledClient | undefined;

  constructor(options: PostgresAuditSinkOptions) {
    const o = optionsObject<PostgresAuditSinkOptions>(options ?? null, 'PostgresAuditSink');
    if (typeof (o.pool as { query?: unknown } | undefined)?.query !== 'function') {
      throw new ConfigError([{ path: 'PostgresAuditSink.pool', received: typeof o.pool, message: 'must be a pg Pool or Client (anything with query(text, values))', fix: 'pass { pool: new pg.Pool(...), instance }' }]);
    }
    if (typeof o.instance !== 'string' || !/^[A-Za-z0-9._-]{1,128}$/.test(o.instance)) {
      throw new ConfigError([{ path: 'PostgresAuditSink.instance', received: typeof o.instance, message: 'must be 1–128 of [A-Za-z0-9._-]', fix: 'pass one chain name per process, e.g. "mot-cua-1"' }]);
    }
    if (o.table !== undefined && typeof o.table !== 'string') {
      throw new ConfigError([{ path: 'PostgresAuditSink.table', received: typeof o.table, message: 'must be a table name', fix: 'leave it out (dancu_audit) or pass "schema.table"' }]);
    }
    this.#o = options;
    this.#table = ident(options.table ?? 'dancu_audit');
    this.#clock = options.clock ?? Date.now;
    this.#commit = new GroupCommit({
      instance: options.instance,
      clock: this.#clock,
      open: () => this.#open(),
      persist: (batch) => this.#persist(batch),
      checkpoints: {
        lastCheckpoint: async () => {
          const r = await this.#o.pool.query(`SELECT line FROM ${this.#table}_checkpoints WHERE instance = $1 AND line IS NOT NULL ORDER BY seq DESC, ts DESC LIMIT 1`, [this.#o.instance]);
          return r.rows[0] ? parseCheckpoint(String(r.rows[0]['line'])) : undefined;
        },
        // The genesis rows of this table are its registry of chains.
        appendCheckpoint: (c) => this.#checkpoint(c),
      },
    }, ownCheckpointSettings(options));
  }

  /** The client's checkpoint settings, for what this sink's options left out. */
  useCheckpoints(settings: CheckpointSettings): void {
    this.#commit.useCheckpoints(settings);
  }

  open(): Promise<AuditRecovery> {
    return this.#commit.open();
  }

  async #open(): Promise<{ head: { seq: number; hash: string } | undefined; recovery: AuditRecovery }> {
    if (this.#o.migrate ?? true) await this.#o.pool.query(auditMigrationSql(this.#table));
    await this.#takeLock();
    const head = await this.#o.pool.query(`SELECT seq, hash FROM ${this.#table} WHERE instance = $1 ORDER BY seq DESC LIMIT 1`, [this.#o.instance]);
    const row = head.rows[0];
    const recent = await this.#o.pool.query(
      `SELECT line FROM ${this.#table} WHERE instance = $1 AND type IN ('lookup.intent', 'lookup.outcome') AND ts > now() - interval '2 days' ORDER BY seq`,
      [this.#o.instance],
    );
    const events = recent.rows.map((r) => AuditEventSchema.parse(JSON.parse(String(r['line']))));
    return {
      head: row ? { seq: Number(row['seq']), hash: String(row['hash']) } : undefined,
      recovery: { tornBytes: 0, danglingIntents: danglingIntents(events) },
    };
  }

  write(bodies: readonly AuditEventBody[]): Promise<void> {
    return this.#commit.write(bodies);
  }

  async #persist(batch: LinkedBatch): Promise<void> {
    const values: unknown[] = [];
    const rows = batch.bodies.map((e, i) => {
      values.push(this.#o.instance, batch.firstSeq + i, e.ts, e.type, batch.hashes[i], i === 0 ? batch.prevHash : batch.hashes[i - 1], batch.lines[i]!);
      const b = i * 7;
      return `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5}, $${b + 6}, $${b + 7})`;
    });
    // One statement is one transaction: all rows or none, durable at commit. `event` is generated from `line`.
    await this.#o.pool.query(`INSERT INTO ${this.#table} (instance, seq, ts, type, hash, prev_hash, line) VALUES ${rows.join(', ')}`, values);
  }

  /**
   * One live writer per instance: a session advisory lock, held on a connection of its own (a
   * `pg.Pool`) or on the client given (a `pg.Client`) until close.
   */
  async #takeLock(): Promise<void> {
    if (this.#lock) return;
    const pool = this.#o.pool as SqlClient & { idleCount?: unknown };
    const conn: PooledClient = typeof pool.connect === 'function' && 'idleCount' in pool ? ((await pool.connect()) as PooledClient) : { query: pool.query.bind(pool), release: () => undefined };
    try {
      const r = await conn.query('SELECT pg_try_advisory_lock($1::bigint) AS ok', [lockKey(this.#table, this.#o.instance)]);
      if (r.rows[0]?.['ok'] !== true) throw new Error(`audit chain ${this.#o.instance} in ${this.#table} is being written by another live process; give each process its own instance`);
    } catch (err) {
      conn.release();
      throw err;
    }
    this.#lock = conn;
  }

  async #checkpoint(c: Checkpoint): Promise<void> {
    await this.#o.pool.query(`INSERT INTO ${this.#table}_checkpoints (instance, seq, hash, ts, kid, sig, line) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [c.instance, c.seq, c.hash, c.ts, c.kid, c.sig, checkpointLine(c)]);
  }

  flush(): Promise<void> {
    return this.#commit.flush();
  }

  async close(): Promise<void> {
    try {
      await this.#commit.close();
    } finally {
      const conn = this.#lock;
      this.#lock = undefined;
      if (conn) {
        await conn.query('SELECT pg_advisory_unlock($1::bigint)', [lockKey(this.#table, this.#o.instance)]).catch(() => undefined);
        conn.release();
      }
    }
  }
}

/** One chain of a table as `verify` reads it. */
export interface PostgresChain {
  instance: string;
  lines: string[];
  /** Checkpoint lines (legacy rows without a line are left out). */
  checkpoints: string[];
  /** Seqs whose `event` column does not say what `line` says. */
  drift: number[];
}

/** Read every chain of a table, for `dancu audit verify postgres://…`. */
export async function readPostgresChains(pool: SqlClient, table = 'dancu_audit'): Promise<PostgresChain[]> {
  const t = ident(table);
  const rows = await pool.query(`SELECT instance, line, (event IS DISTINCT FROM line::jsonb) AS drift, seq FROM ${t} ORDER BY instance, seq`);
  const cps = await pool.query(`SELECT instance, line FROM ${t}_checkpoints WHERE line IS NOT NULL ORDER BY instance, seq, ts`).catch(() => ({ rows: [] }));
  const byInstance = new Map<string, PostgresChain>();
  const get = (i: string) => byInstance.get(i) ?? (byInstance.set(i, { instance: i, lines: [], checkpoints: [], drift: [] }), byInstance.get(i)!);
  for (const r of rows.rows) {
    const c = get(String(r['instance']));
    c.lines.push(String(r['line']));
    if (r['drift'] === true) c.drift.push(Number(r['seq']));
  }
  for (const r of cps.rows) get(String(r['instance'])).checkpoints.push(String(r['line']));
  return [...byInstance.values()];
}
