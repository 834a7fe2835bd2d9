/**
 * The `logger` option with a real pino logger writing to a stream the test reads, as an integrator
 * wires it; and the pino-style audit copy (`PinoAuditSink`) through the same real pino.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createClient, MemoryAuditSink, PinoAuditSink, FanOutAuditSink, RedisQuotaStore, type DancuClientOptions, type GuardStore } from '../src/index.js';
import { createSandbox, SANDBOX_PURPOSES } from '../src/testing/index.js';
import { generateAuditKeyPair, HttpWitness } from '../src/audit/index.js';
import { Redis as IORedis } from 'ioredis';

const sandbox = await createSandbox({ populationSize: 10 });
const closers: Array<() => unknown> = [];
afterAll(async () => {
  for (const c of closers.reverse()) await c();
  await sandbox.close();
});

/** A pino logger over a stream whose JSON lines the test reads. */
function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

const make = (over: Partial<DancuClientOptions>) => {
  const client = createClient({
    baseUrl: sandbox.url, credentials: sandbox.credentials, system: { id: 'log-test', unitCode: 'UBND-X', version: '1' },
    purposes: SANDBOX_PURPOSES, audit: { sink: new MemoryAuditSink() }, retry: { attempts: 1 }, ...over,
  });
  closers.push(() => client.close());
  return client;
};
const citizen = (i: number) => {
  const { idNumber, fullName, dateOfBirth } = sandbox.population[i]!;
  return { idNumber, fullName, dateOfBirth };
};
const ctx = { purpose: { code: 'HT-KHAISINH' }, operator: { id: 'cb.canary-officer', ip: '10.9.8.7' } };

describe('the logger option (real pino)', () => {
  it('credential expiry goes to the logger, not to process warnings', () => {
    const { logger, lines } = capture();
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      make({ logger, credentials: { ...sandbox.credentials, issuedAt: new Date(Date.now() - 85 * 86_400_000) } });
      expect(lines).toEqual([expect.objectContaining({ level: 40, code: 'DANCU_CREDENTIALS_EXPIRING', daysLeft: 5, msg: expect.stringContaining('rotate it') })]);
      expect(warn).not.toHaveBeenCalled();
      make({ credentials: { ...sandbox.credentials, issuedAt: new Date(Date.now() - 85 * 86_400_000) } }); // no logger: a warning, as before
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('rotate it'), { code: 'DANCU_CREDENTIALS_EXPIRING' });
    } finally {
      warn.mockRestore();
    }
  });

  it('a guard alert is logged with its masked subject, without the operator id, IP or ID number', async () => {
    const { logger, lines } = capture();
    const client = make({ logger });
    const c = citizen(1);
    const year = c.dateOfBirth.slice(0, 4); // the ID number encodes the year: only day and month vary
    for (const day of ['01', '02', '03', '04']) {
      await client.verifyCitizen({ ...c, dateOfBirth: `${year}-01-${day}` }, { ...ctx, requestId: `hs-7-${day}` }).catch(() => undefined);
    }
    const alerts = lines.filter((l) => l['code'] === 'DANCU_GUARD_ALERT');
    expect(alerts).toEqual([expect.objectContaining({ level: 40, guard: 'enumeration', subject: expect.stringMatching(/^\d{3}\*+\d{2}$/), detail: expect.objectContaining({ field: 'dateOfBirth' }) })]);
    // Logged during the fourth call: the line names it, with the request id its caller gave.
    expect(alerts[0]).toMatchObject({ operation: 'verify', requestId: 'hs-7-04' });
    const text = JSON.stringify(lines);
    for (const canary of [c.idNumber, 'cb.canary-officer', '10.9.8.7', c.fullName]) expect(text).not.toContain(canary);
  });

  it('a guard store that fails, and the quota falling back to its local share: one line each time, not one per call', async () => {
    const { logger, lines } = capture();
    const down = () => Promise.reject(new Error('guard store down'));
    const broken: GuardStore = { admitDistinct: down, recordCall: down, block: down, remember: down }; // a store of the user's own
    const dead = new IORedis({ port: 1, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    dead.on('error', () => undefined);
    closers.push(() => dead.disconnect());
    const client = make({ logger, guards: { store: broken }, stateSecret: 's'.repeat(32), quota: { store: new RedisQuotaStore({ client: dead }), fallback: { instances: 2 } } });
    const results = [];
    for (let i = 2; i < 5; i++) results.push(await client.verifyCitizen(citizen(i), ctx));
    expect(results.map((r) => r.match)).toEqual([true, true, true]);
    expect(lines.filter((l) => l['code'] === 'DANCU_GUARD_STORE_DOWN')).toEqual([expect.objectContaining({ level: 40, error: 'guard store down', operation: 'verify' })]);
    // The fallback began in the first call, after its request got its id (the MaYeuCau dancu made): the line names it.
    expect(lines.filter((l) => l['code'] === 'DANCU_QUOTA_FALLBACK')).toEqual([expect.objectContaining({ level: 40, instances: 2, operation: 'verify', requestId: results[0]!.requestId })]);
    // The guard store failed before the request had an id (its caller gave none): the line names the operation only.
    expect(lines.some((l) => l['code'] === 'DANCU_GUARD_STORE_DOWN' && 'requestId' in l)).toBe(false);
  });

  it('a witness that is down: the lag is logged as well as recorded', async () => {
    const { logger, lines } = capture();
    const probe = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => probe.once('listening', r));
    const port = (probe.address() as { port: number }).port;
    await new Promise((r) => probe.close(r)); // nothing listens there: the witness is "down"
    const witness = new HttpWitness({ url: `http://127.0.0.1:${port}`, token: 'auditor-token', timeoutMs: 300 });
    const directory = await mkdtemp(join(tmpdir(), 'dancu-log-'));
    closers.push(() => rm(directory, { recursive: true, force: true }));
    const client = make({ logger, audit: { directory, instance: 'lag', signingKey: generateAuditKeyPair().privateKey, witness, checkpointEvery: 2 } });
    for (let i = 0; i < 3; i++) await client.verifyCitizen(citizen(i), ctx);
    for (let i = 0; i < 50 && !lines.some((l) => l['code'] === 'DANCU_AUDIT_WITNESS_LAG'); i++) await new Promise((r) => setTimeout(r, 100));
    expect(lines.find((l) => l['code'] === 'DANCU_AUDIT_WITNESS_LAG')).toMatchObject({ level: 40, reason: 'unreachable', pending: expect.any(Number) });
  });

  it('a logger without info/warn/error is refused', () => {
    expect(() => make({ logger: { log: () => undefined } as never })).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
  });

  it('PinoAuditSink through real pino: one line per event, no ID number in clear', async () => {
    const { logger, lines } = capture();
    const durable = new MemoryAuditSink();
    const client = make({ audit: { sink: new FanOutAuditSink([durable, new PinoAuditSink(logger)]) } });
    const c = citizen(6);
    await client.verifyCitizen(c, ctx);
    await client.close();
    expect(lines.length).toBe(durable.events.length);
    expect(lines.map((l) => l['msg'])).toContain('dancu lookup.intent');
    expect(JSON.stringify(lines)).not.toContain(c.idNumber);
  });
});
