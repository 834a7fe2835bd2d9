import { ConfigError } from '../errors.js';

const ident = (table: string) => sqlIdent(table, 'PostgresWitness.table', 'leave it out (dancu_audit_witness)');
import { checkpointId, checkpointLine, isCheckpoint, parseCheckpoint, type Checkpoint } from './checkpoint.js';
import { appendOnlySql, ident as sqlIdent, migrationLockSql, type SqlClient } from './postgres-sink.js';
import { WitnessRefusal, type CheckpointWitness } from './witness.js';

/**
 * The witness table: rows are only ever added (triggers refuse UPDATE, DELETE, TRUNCATE). Run it as
 * the witness's owner, in a database the trail's writer does not own, and grant the writer's role
 * `SELECT, INSERT` only (docs/deployment.md).
 */
export function witnessMigrationSql(table = 'dancu_audit_witness'): string {
  const t = ident(table);
  const n = t.replace('.', '_');
  return `${migrationLockSql(t)}
CREATE TABLE IF NOT EXISTS ${t} (
  instance text        NOT NULL,
  seq      bigint      NOT NULL,
  hash     char(64)    NOT NULL,
  id       char(64)    NOT NULL,
  line     text        NOT NULL,
  received timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (instance, id)
);
CREATE INDEX IF NOT EXISTS ${n}_seq_idx ON ${t} (instance, seq);
${appendOnlySql(n, [t])}`;
}

/**
 * A witness in a PostgreSQL table the writer can only INSERT into (and SELECT from). One statement
 * applies the witness rule: the row is added only if nothing held for the instance is ahead of it
 * or differs at its seq.
 */
export class PostgresWitness implements CheckpointWitness {
  readonly #pool: SqlClient;
  readonly #table: string;
  readonly #migrate: boolean;
  #ready: Promise<unknown> | undefined;

  constructor(options: { pool: SqlClient; table?: string; migrate?: boolean }) {
    if (typeof (options as { pool?: { query?: unknown } } | undefined)?.pool?.query !== 'function') {
      throw new ConfigError([{ path: 'PostgresWitness.pool', received: typeof options?.pool, message: 'must be a pg Pool or Client', fix: 'pass { pool } connected to the witness database' }]);
    }
    this.#pool = options.pool;
    this.#table = ident(options.table ?? 'dancu_audit_witness');
    this.#migrate = options.migrate ?? false;
  }

  #init(): Promise<unknown> {
    if (!this.#migrate) return Promise.resolve();
    return (this.#ready ??= this.#pool.query(witnessMigrationSql(this.#table)).catch((err: unknown) => {
      this.#ready = undefined;
      throw err;
    }));
  }

  async submit(c: Checkpoint): Promise<void> {
    if (!isCheckpoint(c)) throw new WitnessRefusal('invalid', 'not a checkpoint');
    await this.#init();
    const id = checkpointId(c);
    const t = this.#table;
    if (c.kind === 'seal') {
      await this.#pool.query(`INSERT INTO ${t} (instance, seq, hash, id, line) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`, [c.instance, c.seq, c.hash, id, checkpointLine(c)]);
      return;
    }
    const r = await this.#pool.query(
      `INSERT INTO ${t} (instance, seq, hash, id, line)
       SELECT $1, $2, $3, $4, $5
       WHERE NOT EXISTS (SELECT 1 FROM ${t} WHERE instance = $1 AND line NOT LIKE '%"kind":"seal"%' AND (id = $4 OR seq > $2 OR (seq = $2 AND hash <> $3)))`,
      [c.instance, c.seq, c.hash, id, checkpointLine(c)],
    );
    if ((r.rowCount ?? 0) > 0) return;
    const held = await this.#pool.query(`SELECT 1 FROM ${t} WHERE instance = $1 AND id = $2`, [c.instance, id]);
    if (held.rows.length > 0) return; // a retried delivery
    const ahead = await this.#pool.query(`SELECT 1 FROM ${t} WHERE instance = $1 AND seq > $2 AND line NOT LIKE '%"kind":"seal"%' LIMIT 1`, [c.instance, c.seq]);
    throw ahead.rows.length > 0
      ? new WitnessRefusal('rollback', `instance ${c.instance}: checkpoint at seq ${c.seq} is behind the witnessed head`)
      : new WitnessRefusal('fork', `instance ${c.instance}: another hash at the witnessed seq ${c.seq}`);
  }

  async head(instance: string): Promise<Checkpoint | undefined> {
    await this.#init();
    const r = await this.#pool.query(`SELECT line FROM ${this.#table} WHERE instance = $1 AND line NOT LIKE '%"kind":"seal"%' ORDER BY seq DESC, received DESC LIMIT 1`, [instance]);
    return r.rows[0] ? parseCheckpoint(String(r.rows[0]['line'])) : undefined;
  }

  async instances(): Promise<string[]> {
    await this.#init();
    const r = await this.#pool.query(`SELECT DISTINCT instance FROM ${this.#table} ORDER BY instance`);
    return r.rows.map((x) => String(x['instance']));
  }

  async list(instance: string): Promise<Checkpoint[]> {
    await this.#init();
    const r = await this.#pool.query(`SELECT line FROM ${this.#table} WHERE instance = $1 ORDER BY seq, received`, [instance]);
    return r.rows.flatMap((x) => {
      const c = parseCheckpoint(String(x['line']));
      return c ? [c] : [];
    });
  }
}
