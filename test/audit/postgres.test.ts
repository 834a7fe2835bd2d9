/** The PostgreSQL sink against a real PostgreSQL (CI starts it; these tests fail, not skip, in CI without it). */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresAuditSink } from '../../src/index.js';
import { verifyPostgres } from '../../src/audit/index.js';
import { deriveAuditKeys } from '../../src/audit/keys.js';
import { PG_URL, postgresAvailable } from '../services.js';
import { ctx, rejection, setup } from '../helpers.js';

const hasPg = await postgresAvailable();
const SECRET = 'postgres-test-secret-0123456789-abcdefgh';
const key = deriveAuditKeys(SECRET, 'k1').checkpoint!;

describe.skipIf(!hasPg)('PostgresAuditSink', () => {
  let pool: pg.Pool;
  const table = `dancu_audit_t${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  beforeAll(() => {
    pool = new pg.Pool({ connectionString: PG_URL, max: 4 });
  });
  afterAll(async () => {
    await pool?.query(`DROP TABLE IF EXISTS ${table}; DROP TABLE IF EXISTS ${table}_checkpoints`).catch(() => undefined);
    await pool?.end();
  });

  const sinkFor = (instance: string) => new PostgresAuditSink({ pool, table, instance, checkpointKey: { key, kid: 'k1' }, checkpointEvery: 10 });

  it('migrates, writes every call as a chained row, and verifies; two writers share the table', async () => {
    const a = await setup({}, { audit: { sink: sinkFor('proc-a'), secret: SECRET } });
    const b = await setup({}, { audit: { sink: sinkFor('proc-b'), secret: SECRET } });
    const p = (i: number) => ({ idNumber: a.sandbox.population[i]!.idNumber, fullName: a.sandbox.population[i]!.fullName, dateOfBirth: a.sandbox.population[i]!.dateOfBirth });
    const q = (i: number) => ({ idNumber: b.sandbox.population[i]!.idNumber, fullName: b.sandbox.population[i]!.fullName, dateOfBirth: b.sandbox.population[i]!.dateOfBirth });
    await Promise.all(Array.from({ length: 20 }, (_, i) => a.client.verifyCitizen(p(i), ctx)));
    await Promise.all(Array.from({ length: 15 }, (_, i) => b.client.verifyCitizen(q(i), ctx)));
    await rejection(a.client.verifyCitizen(p(0), { ...ctx, purpose: { code: 'NOPE' } }));
    await a.close();
    await b.close();
    const reports = await verifyPostgres(pool, table, key);
    expect(reports.map((r) => [r.instance, r.ok, r.events])).toEqual([['proc-a', true, 42], ['proc-b', true, 31]]);
    const types = await pool.query(`SELECT event->>'type' AS type, count(*)::int AS n FROM ${table} WHERE instance = 'proc-a' GROUP BY 1 ORDER BY 1`);
    expect(types.rows).toEqual([
      { type: 'config.loaded', n: 1 }, { type: 'lookup.denied', n: 1 }, { type: 'lookup.intent', n: 20 }, { type: 'lookup.outcome', n: 20 },
    ]);
  });

  it('an edited or deleted row is detected at its seq', async () => {
    await pool.query(`UPDATE ${table} SET line = replace(line, '"cb.test"', '"cb.evil"') WHERE instance = 'proc-b' AND seq = 7`);
    await pool.query(`DELETE FROM ${table} WHERE instance = 'proc-a' AND seq = 12`);
    const reports = await verifyPostgres(pool, table, key);
    expect(reports.map((r) => [r.instance, r.problem?.seq, r.problem?.reason])).toEqual([['proc-a', 12, 'missing'], ['proc-b', 7, 'altered']]);
  });

  it('continues its chain after a restart and closes intents left open as unknown', async () => {
    const instance = `restart-${randomUUID().slice(0, 8)}`;
    const first = sinkFor(instance);
    const s1 = await setup({}, { audit: { sink: first, secret: SECRET } });
    const c = s1.sandbox.population[0]!;
    await s1.client.verifyCitizen({ idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth }, ctx);
    await s1.close();
    // A crash between intent and outcome: an intent row with no outcome.
    await pool.query(`DELETE FROM ${table} WHERE instance = $1 AND type = 'lookup.outcome'`, [instance]);
    const s2 = await setup({}, { audit: { sink: sinkFor(instance), secret: SECRET } });
    await s2.client.verifyCitizen({ idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth }, ctx);
    await s2.close();
    const outcomes = await pool.query(`SELECT event->>'outcome' AS outcome FROM ${table} WHERE instance = $1 AND type = 'lookup.outcome' ORDER BY seq`, [instance]);
    expect(outcomes.rows.map((r) => r['outcome'])).toEqual(['unknown', 'match']);
  });

  it('fails closed while PostgreSQL refuses writes, and recovers', async () => {
    const sink = sinkFor(`ro-${randomUUID().slice(0, 8)}`);
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
