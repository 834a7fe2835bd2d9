/** The PostgreSQL sink and witness against a real PostgreSQL (CI starts it; these tests fail, not skip, in CI without it). */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditMigrationSql, PostgresAuditSink } from '../../src/index.js';
import { generateAuditKeyPair, PostgresWitness, verifyPostgres, witnessMigrationSql } from '../../src/audit/index.js';
import { PG_URL, postgresAvailable } from '../services.js';
import { ctx, rejection, setup } from '../helpers.js';

const hasPg = await postgresAvailable();
const SECRET = 'postgres-test-secret-0123456789-abcdefgh';
const PAIR = generateAuditKeyPair();
const KEYS = { publicKey: PAIR.publicKey };
const id = () => randomUUID().replace(/-/g, '').slice(0, 12);

describe.skipIf(!hasPg)('PostgresAuditSink', () => {
  let pool: pg.Pool;
  const table = `dancu_audit_t${id()}`;
  const witnessTable = `dancu_audit_w${id()}`;
  const owner = `dancu_owner_${id()}`;
  const writer = `dancu_writer_${id()}`;
  beforeAll(() => {
    pool = new pg.Pool({ connectionString: PG_URL, max: 6 });
  });
  afterAll(async () => {
    for (const t of [table, `${table}_checkpoints`, witnessTable, `${table}g`, `${table}g_checkpoints`]) await pool?.query(`DROP TABLE IF EXISTS ${t}`).catch(() => undefined);
    for (const r of [writer, owner]) await pool?.query(`DROP OWNED BY ${r}; DROP ROLE IF EXISTS ${r}`).catch(() => undefined);
    await pool?.end();
  });

  /** A sink given as a user's own sink: the client hands it the signing key (no key option here). */
  const sinkFor = (instance: string, p: pg.Pool = pool, t = table) => new PostgresAuditSink({ pool: p, table: t, instance, checkpointEvery: 10 });
  const asOwner = async (sql: string) => pool.query(`ALTER TABLE ${table} DISABLE TRIGGER USER; ${sql}; ALTER TABLE ${table} ENABLE TRIGGER USER`);

  it('migrates, writes every call as a chained row, signs checkpoints with the client key, and verifies; two writers share the table', async () => {
    const a = await setup({}, { audit: { sink: sinkFor('proc-a'), secret: SECRET, signingKey: PAIR.privateKey } });
    const b = await setup({}, { audit: { sink: sinkFor('proc-b'), secret: SECRET, signingKey: PAIR.privateKey } });
    const p = (i: number) => ({ idNumber: a.sandbox.population[i]!.idNumber, fullName: a.sandbox.population[i]!.fullName, dateOfBirth: a.sandbox.population[i]!.dateOfBirth });
    const q = (i: number) => ({ idNumber: b.sandbox.population[i]!.idNumber, fullName: b.sandbox.population[i]!.fullName, dateOfBirth: b.sandbox.population[i]!.dateOfBirth });
    await Promise.all(Array.from({ length: 20 }, (_, i) => a.client.verifyCitizen(p(i), ctx)));
    await Promise.all(Array.from({ length: 15 }, (_, i) => b.client.verifyCitizen(q(i), ctx)));
    await rejection(a.client.verifyCitizen(p(0), { ...ctx, purpose: { code: 'NOPE' } }));
    await a.close();
    await b.close();
    const reports = await verifyPostgres(pool, table, KEYS);
    expect(reports.map((r) => [r.instance, r.ok, r.events])).toEqual([['proc-a', true, 42], ['proc-b', true, 31]]);
    expect(reports.every((r) => r.checkpoints >= 3)).toBe(true); // genesis, by count, at close
    const types = await pool.query(`SELECT event->>'type' AS type, count(*)::int AS n FROM ${table} WHERE instance = 'proc-a' GROUP BY 1 ORDER BY 1`);
    expect(types.rows).toEqual([
      { type: 'config.loaded', n: 1 }, { type: 'lookup.denied', n: 1 }, { type: 'lookup.intent', n: 20 }, { type: 'lookup.outcome', n: 20 },
    ]);
  });

  it('UPDATE, DELETE and TRUNCATE are refused by the triggers, even for the owner', async () => {
    for (const sql of [`UPDATE ${table} SET line = line`, `DELETE FROM ${table}`, `TRUNCATE ${table}`, `DELETE FROM ${table}_checkpoints`, `UPDATE ${table} SET event = '{}'::jsonb`]) {
      await expect(pool.query(sql), sql).rejects.toThrow(/append-only|generated column|can only be updated to DEFAULT/);
    }
  });

  it('an edited or deleted row (triggers disabled by the owner) is detected at its seq; an `event` rewritten after dropping its expression is drift', async () => {
    await asOwner(`UPDATE ${table} SET line = replace(line, '"cb.test"', '"cb.evil"') WHERE instance = 'proc-b' AND seq = 7`);
    await asOwner(`DELETE FROM ${table} WHERE instance = 'proc-a' AND seq = 12`);
    let reports = await verifyPostgres(pool, table, KEYS);
    expect(reports.map((r) => [r.instance, r.problem?.seq, r.problem?.reason])).toEqual([['proc-a', 12, 'missing'], ['proc-b', 7, 'altered']]);
    // Make event a plain column, then hide the misuse from SQL while line stays intact.
    const t2 = `${table}g`;
    const s = sinkFor('proc-g', pool, t2);
    const g = await setup({}, { audit: { sink: s, secret: SECRET, signingKey: PAIR.privateKey } });
    const c = g.sandbox.population[0]!;
    await g.client.verifyCitizen({ idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth }, ctx);
    await g.close();
    expect((await verifyPostgres(pool, t2, KEYS))[0]).toMatchObject({ ok: true });
    await pool.query(`ALTER TABLE ${t2} ALTER COLUMN event DROP EXPRESSION; ALTER TABLE ${t2} DISABLE TRIGGER USER;
      UPDATE ${t2} SET event = jsonb_set(event, '{operator,id}', '"cb.someone-else"') WHERE type = 'lookup.intent'; ALTER TABLE ${t2} ENABLE TRIGGER USER`);
    reports = await verifyPostgres(pool, t2, KEYS);
    expect(reports[0]).toMatchObject({ ok: false, problem: { reason: 'drift', seq: 2 } });
  });

  it('continues its chain after a restart and closes intents left open as unknown', async () => {
    const instance = `restart-${id()}`;
    const s1 = await setup({}, { audit: { sink: sinkFor(instance), secret: SECRET, signingKey: PAIR.privateKey } });
    const c = s1.sandbox.population[0]!;
    await s1.client.verifyCitizen({ idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth }, ctx);
    await s1.close();
    // A crash between intent and outcome: an intent row with no outcome (and no closing checkpoint).
    await asOwner(`DELETE FROM ${table} WHERE instance = '${instance}' AND type = 'lookup.outcome'`);
    await pool.query(`ALTER TABLE ${table}_checkpoints DISABLE TRIGGER USER; DELETE FROM ${table}_checkpoints WHERE instance = '${instance}' AND seq > 0; ALTER TABLE ${table}_checkpoints ENABLE TRIGGER USER`);
    const s2 = await setup({}, { audit: { sink: sinkFor(instance), secret: SECRET, signingKey: PAIR.privateKey } });
    await s2.client.verifyCitizen({ idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth }, ctx);
    await s2.close();
    const outcomes = await pool.query(`SELECT event->>'outcome' AS outcome FROM ${table} WHERE instance = $1 AND type = 'lookup.outcome' ORDER BY seq`, [instance]);
    expect(outcomes.rows.map((r) => r['outcome'])).toEqual(['unknown', 'match']);
  });

  it('one live writer per instance: a second sink on the same chain is refused while the first holds its advisory lock', async () => {
    const instance = `lock-${id()}`;
    const first = sinkFor(instance);
    await first.open();
    const second = sinkFor(instance);
    await expect(second.open()).rejects.toThrow(/another live process/);
    await first.close();
    await second.open(); // released at close
    await second.close();
    // Four writers opening at once on a new table: the migration runs one at a time, none fails.
    const fresh = `${table}c`;
    try {
      const sinks = Array.from({ length: 4 }, (_, i) => sinkFor(`c${i}`, pool, fresh));
      await Promise.all(sinks.map((x) => x.open()));
      await Promise.all(sinks.map((x) => x.close()));
      const triggers = await pool.query(`SELECT count(*)::int AS n FROM pg_trigger WHERE tgrelid = '${fresh}'::regclass AND NOT tgisinternal`);
      expect(triggers.rows[0]!['n']).toBe(2);
    } finally {
      await pool.query(`DROP TABLE IF EXISTS ${fresh}; DROP TABLE IF EXISTS ${fresh}_checkpoints`);
    }
  });

  it('a trail cut behind its own checkpoint is refused at open (rollback), instead of reusing sequence numbers', async () => {
    const instance = `rollback-${id()}`;
    const s1 = await setup({}, { audit: { sink: sinkFor(instance), secret: SECRET, signingKey: PAIR.privateKey } });
    const c = s1.sandbox.population[0]!;
    await s1.client.verifyCitizen({ idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth }, ctx);
    await s1.close();
    await asOwner(`DELETE FROM ${table} WHERE instance = '${instance}' AND seq > 1`);
    const s2 = await setup({}, { audit: { sink: sinkFor(instance), secret: SECRET, signingKey: PAIR.privateKey } });
    try {
      const err = await rejection(s2.client.verifyCitizen({ idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth }, ctx));
      expect(err).toMatchObject({ code: 'ERR_AUDIT_UNAVAILABLE', reason: 'rollback' });
      expect(s2.sandbox.stats().total).toBe(0);
    } finally {
      await s2.close();
    }
  });

  it('the writer role of docs/deployment.md can INSERT through the sink and cannot UPDATE, DELETE, TRUNCATE or touch the triggers', async () => {
    const doc = await readFile(new URL('../../docs/deployment.md', import.meta.url), 'utf8');
    const block = /<!-- grants:begin -->\s*```sql\n([\s\S]*?)```/.exec(doc)![1]!;
    const wt = `${table}r`;
    const sql = block
      .replaceAll('dancu_audit_owner', owner).replaceAll('dancu_audit_writer', writer).replaceAll('dancu_audit', wt)
      .replace(`-- here: the output of auditMigrationSql('${wt}'), run as the owner`, () => auditMigrationSql(wt));
    expect(sql).toContain('CREATE TRIGGER');
    await pool.query(sql);
    const url = new URL(PG_URL);
    url.username = writer;
    url.password = '';
    const wpool = new pg.Pool({ connectionString: url.href, max: 3 });
    expect((await wpool.query('SELECT current_user AS u')).rows[0]!['u']).toBe(writer);
    try {
      const sink = new PostgresAuditSink({ pool: wpool, table: wt, instance: 'w1', migrate: false });
      const s = await setup({}, { audit: { sink, secret: SECRET, signingKey: PAIR.privateKey } });
      const c = s.sandbox.population[0]!;
      await s.client.verifyCitizen({ idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth }, ctx);
      await s.close();
      expect((await verifyPostgres(pool, wt, KEYS))[0]).toMatchObject({ ok: true, events: 3 });
      for (const q of [
        `UPDATE ${wt} SET line = line`, `DELETE FROM ${wt}`, `TRUNCATE ${wt}`, `DELETE FROM ${wt}_checkpoints`, `TRUNCATE ${wt}_checkpoints`,
        `ALTER TABLE ${wt} DISABLE TRIGGER USER`, `DROP TRIGGER ${wt}_no_change ON ${wt}`, `ALTER TABLE ${wt} ALTER COLUMN event DROP EXPRESSION`, `DROP TABLE ${wt}`,
      ]) {
        await expect(wpool.query(q), q).rejects.toThrow(/permission denied|must be owner|append-only/);
      }
    } finally {
      await wpool.end();
      await pool.query(`DROP TABLE IF EXISTS ${wt}; DROP TABLE IF EXISTS ${wt}_checkpoints`);
    }
  });

  it('PostgresWitness: append-only, refuses a rollback or a fork, and verify compares the trail with it', async () => {
    await pool.query(witnessMigrationSql(witnessTable));
    const witness = new PostgresWitness({ pool, table: witnessTable });
    const instance = `witnessed-${id()}`;
    const s = await setup({}, { audit: { sink: sinkFor(instance), secret: SECRET, signingKey: PAIR.privateKey, witness } });
    const p = (i: number) => ({ idNumber: s.sandbox.population[i]!.idNumber, fullName: s.sandbox.population[i]!.fullName, dateOfBirth: s.sandbox.population[i]!.dateOfBirth });
    for (let i = 0; i < 6; i++) await s.client.verifyCitizen(p(i), ctx);
    await s.close();
    const held = await witness.list(instance);
    expect(held.map((c) => c.kind)).toEqual(['genesis', 'head', 'close']); // seq 0, 10, 13
    const [head] = held.slice(-1);
    await expect(witness.submit(head!)).resolves.toBeUndefined(); // a retried delivery of one it holds
    await expect(witness.submit({ ...held[1]!, ts: 'later' })).rejects.toMatchObject({ reason: 'rollback' }); // behind the head
    await expect(witness.submit({ ...head!, hash: 'f'.repeat(64) })).rejects.toMatchObject({ reason: 'fork' });
    await expect(pool.query(`DELETE FROM ${witnessTable}`)).rejects.toThrow(/append-only/);
    expect((await verifyPostgres(pool, table, { ...KEYS, witness })).find((r) => r.instance === instance)).toMatchObject({ ok: true, witnessed: 3 });
    // Cut the tail with its checkpoints: without the witness it passes, with it the cut is found.
    await asOwner(`DELETE FROM ${table} WHERE instance = '${instance}' AND seq > 8`);
    await pool.query(`ALTER TABLE ${table}_checkpoints DISABLE TRIGGER USER; DELETE FROM ${table}_checkpoints WHERE instance = '${instance}' AND seq > 0; ALTER TABLE ${table}_checkpoints ENABLE TRIGGER USER`);
    expect((await verifyPostgres(pool, table, { ...KEYS, allowUnsigned: true })).find((r) => r.instance === instance)).toMatchObject({ ok: true });
    expect((await verifyPostgres(pool, table, { ...KEYS, witness })).find((r) => r.instance === instance)).toMatchObject({ ok: false, problem: { reason: 'truncated' } });
  });

  it('dancu doctor, live: opens the PostgreSQL sink as the config declares it, reads the checkpoint back, finds it at the PostgreSQL witness', async () => {
    const { doctorLive } = await import('../../src/cli/doctor-live.js');
    // The doctor uses the default table names; make them here, and drop them after.
    await pool.query(`${auditMigrationSql('dancu_audit')}; ${witnessMigrationSql('dancu_audit_witness')}`);
    try {
      const file = JSON.parse(await readFile(new URL('../../examples/deployment/dancu.config.json', import.meta.url), 'utf8')) as Record<string, Record<string, unknown>>;
      file['audit'] = { ...file['audit'], sink: { postgres: '${AUDIT_DATABASE_URL}' }, witness: { postgres: '${AUDIT_DATABASE_URL}' } };
      const env = {
        DANCU_CLIENT_SECRET: 'Rotated-Strong-Secret-42!', DANCU_SECRET_ISSUED_AT: new Date().toISOString(), REDIS_URL: 'redis://127.0.0.1:6379', DANCU_CACHE_SECRET: 'c'.repeat(64),
        AUDIT_DATABASE_URL: PG_URL, DANCU_AUDIT_SECRET: 'a'.repeat(64), DANCU_AUDIT_SIGNING_KEY: PAIR.privateKey,
      };
      const checks = await doctorLive(file, env);
      expect(checks.find((c) => c.check === 'audit checkpoints signed with a public key')).toMatchObject({ level: 'pass', reason: expect.stringContaining('opened the postgres sink') });
      expect(checks.find((c) => c.check === 'audit witness')).toMatchObject({ level: 'pass' });
    } finally {
      await pool.query('DROP TABLE IF EXISTS dancu_audit; DROP TABLE IF EXISTS dancu_audit_checkpoints; DROP TABLE IF EXISTS dancu_audit_witness');
    }
  });

  it('fails closed while PostgreSQL refuses writes, and recovers', async () => {
    const sink = sinkFor(`ro-${id()}`);
    const { sandbox, client, close } = await setup({}, { audit: { sink, secret: SECRET } });
    try {
      const c = sandbox.population[1]!;
      const input = { idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth };
      await client.verifyCitizen(input, ctx);
      await pool.query(`ALTER TABLE ${table} ADD CONSTRAINT refuse_all CHECK (false) NOT VALID`);
      expect(await rejection(client.verifyCitizen(input, ctx))).toMatchObject({ code: 'ERR_AUDIT_UNAVAILABLE' });
      expect(sandbox.stats().total).toBe(1);
      await pool.query(`ALTER TABLE ${table} DROP CONSTRAINT refuse_all`);
      await expect(client.verifyCitizen(input, ctx)).resolves.toMatchObject({ match: true });
    } finally {
      await close();
    }
  });
});
