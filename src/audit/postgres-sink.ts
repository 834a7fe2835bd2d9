import { toVietnamIso, type Clock } from '../internal/time.js';
import { signCheckpoint, type Checkpoint, type LinkedBatch } from './chain.js';
import { danglingIntents, GroupCommit } from './group-commit.js';
import { AuditEventSchema, type AuditEventBody } from './schema.js';
import type { AuditRecovery, AuditSink } from './sink.js';
import { optionsObject } from '../internal/options.js';
import { ConfigError } from '../errors.js';

/** The part of `pg` (a `Pool` or a `Client`) this sink uses: no pg type in dancu's API. */
export interface SqlClient {
  query(text: string, values?: unknown[]): Promise<{ rows: Array<Record<string, unknown>> }>;
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
  checkpointKey?: { key: Buffer; kid: string } | undefined;
  /** Default `1000`. */
  checkpointEvery?: number;
  clock?: Clock;
}

function ident(table: string): string {
  if (!/^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/.test(table)) {
    throw new ConfigError([{ path: 'PostgresAuditSink.table', received: typeof table, message: 'lower-case letters, digits and _ (schema.table allowed)', fix: 'leave it out (dancu_audit) or pass e.g. "audit.dancu_events"' }]);
  }
  return table;
}

/**
 * The migration the sink runs (or that you apply yourself with `migrate: false`). `line` keeps the
 * event exactly as hashed (so `dancu audit verify` checks it byte for byte); `event` is the same as
 * jsonb, for queries and reports.
 */
export function auditMigrationSql(table = 'dancu_audit'): string {
  const t = ident(table);
  return `CREATE TABLE IF NOT EXISTS ${t} (
  instance   text        NOT NULL,
  seq        bigint      NOT NULL,
  ts         timestamptz NOT NULL,
  type       text        NOT NULL,
  hash       char(64)    NOT NULL,
  prev_hash  char(64)    NOT NULL,
  line       text        NOT NULL,
  event      jsonb       NOT NULL,
  PRIMARY KEY (instance, seq)
);
CREATE INDEX IF NOT EXISTS ${t.replace('.', '_')}_ts_idx ON ${t} (ts);
CREATE TABLE IF NOT EXISTS ${t}_checkpoints (
  instance text NOT NULL,
  seq      bigint NOT NULL,
  hash     char(64) NOT NULL,
  ts       text NOT NULL,
  kid      text NOT NULL,
  sig      text NOT NULL,
  PRIMARY KEY (instance, seq, ts)
);`;
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
      open: () => this.#open(),
      persist: (batch) => this.#persist(batch),
      ...(options.checkpointKey ? { checkpoint: (seq: number, hash: string) => this.#checkpoint(seq, hash) } : {}),
      checkpointEvery: options.checkpointEvery ?? 1000,
    });
  }

  open(): Promise<AuditRecovery> {
    return this.#commit.open();
  }

  async #open(): Promise<{ head: { seq: number; hash: string } | undefined; recovery: AuditRecovery }> {
    if (this.#o.migrate ?? true) await this.#o.pool.query(auditMigrationSql(this.#table));
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
      const line = batch.lines[i]!;
      values.push(this.#o.instance, batch.firstSeq + i, e.ts, e.type, batch.hashes[i], i === 0 ? batch.prevHash : batch.hashes[i - 1], line, line);
      const b = i * 8;
      return `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5}, $${b + 6}, $${b + 7}, $${b + 8}::jsonb)`;
    });
    // One statement is one transaction: all rows or none, durable at commit.
    await this.#o.pool.query(`INSERT INTO ${this.#table} (instance, seq, ts, type, hash, prev_hash, line, event) VALUES ${rows.join(', ')}`, values);
  }

  async #checkpoint(seq: number, hash: string): Promise<void> {
    const key = this.#o.checkpointKey!;
    const c = signCheckpoint(key.key, key.kid, { instance: this.#o.instance, seq, hash, ts: toVietnamIso(this.#clock()) });
    await this.#o.pool.query(`INSERT INTO ${this.#table}_checkpoints (instance, seq, hash, ts, kid, sig) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
      [c.instance, c.seq, c.hash, c.ts, c.kid, c.sig]);
  }

  flush(): Promise<void> {
    return this.#commit.flush();
  }

  close(): Promise<void> {
    return this.#commit.close();
  }
}

/** Read every chain of a table, for `dancu audit verify postgres://…`. */
export async function readPostgresChains(pool: SqlClient, table = 'dancu_audit'): Promise<Array<{ instance: string; lines: string[]; checkpoints: Checkpoint[] }>> {
  const t = ident(table);
  const rows = await pool.query(`SELECT instance, line FROM ${t} ORDER BY instance, seq`);
  const cps = await pool.query(`SELECT instance, seq, hash, ts, kid, sig FROM ${t}_checkpoints ORDER BY instance, seq`).catch(() => ({ rows: [] }));
  const byInstance = new Map<string, { instance: string; lines: string[]; checkpoints: Checkpoint[] }>();
  const get = (i: string) => byInstance.get(i) ?? (byInstance.set(i, { instance: i, lines: [], checkpoints: [] }), byInstance.get(i)!);
  for (const r of rows.rows) get(String(r['instance'])).lines.push(String(r['line']));
  for (const r of cps.rows) {
    get(String(r['instance'])).checkpoints.push({
      instance: String(r['instance']), seq: Number(r['seq']), hash: String(r['hash']).trim(), ts: String(r['ts']), kid: String(r['kid']), sig: String(r['sig']),
    });
  }
  return [...byInstance.values()];
}
