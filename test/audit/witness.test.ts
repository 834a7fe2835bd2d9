/**
 * The HTTP witness an auditor runs (`serveWitness`, what `dancu audit witness` serves), on loopback:
 * a client delivers its checkpoints to it; it takes only signed ones, refuses a rollback or a fork;
 * a witness that is down is retried and the lag is recorded, and with `witnessMaxLagMs` calls fail
 * closed until it is back.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpWitness, generateAuditKeyPair, serveWitness, verifyDirectory, type WitnessServer } from '../../src/audit/index.js';
import { JsonlAuditSink } from '../../src/index.js';
import { ctx, rejection, setup } from '../helpers.js';

const PAIR = generateAuditKeyPair();
const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'dancu-witness-'));
  cleanup.push(() => rm(d, { recursive: true, force: true }));
  return d;
}
async function serve(dir: string, port = 0): Promise<WitnessServer> {
  const s = await serveWitness({ directory: dir, port, publicKeys: [PAIR.publicKey], token: 'auditor-token' });
  cleanup.push(() => s.close());
  return s;
}
const person = (s: { population: ReadonlyArray<{ idNumber: string; fullName: string; dateOfBirth: string }> }, i: number) => {
  const c = s.population[i]!;
  return { idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth };
};

describe('HTTP witness', () => {
  it('receives every checkpoint of a client, and verify compares the trail with it', async () => {
    const [trail, held] = [await tempDir(), await tempDir()];
    const server = await serve(held);
    const witness = new HttpWitness({ url: server.url, token: 'auditor-token' });
    const { sandbox, client, close } = await setup({}, { audit: { directory: trail, instance: 'w1', signingKey: PAIR.privateKey, witness, checkpointEvery: 5 } });
    for (let i = 0; i < 6; i++) await client.verifyCitizen(person(sandbox, i), ctx);
    await close();
    const list = await witness.list('w1');
    expect(list.map((c) => c.kind)).toEqual(['genesis', 'head', 'head', 'close']);
    expect(await witness.instances()).toEqual(['w1']);
    const [report] = await verifyDirectory(trail, { publicKey: PAIR.publicKey, witness });
    expect(report).toMatchObject({ ok: true, witnessed: 4, events: 13 });

    // Only what the accepted key signed, only with the token, never behind or beside its head.
    const head = list.at(-1)!;
    const other = generateAuditKeyPair();
    const post = (body: unknown, token = 'auditor-token') => fetch(`${server.url}/v1/checkpoints`, { method: 'POST', body: JSON.stringify(body), headers: { authorization: `Bearer ${token}` } });
    expect((await post(head, 'wrong')).status).toBe(401);
    expect((await post({ ...head, kid: other.kid })).status).toBe(403);
    expect((await post({ ...head, hash: 'e'.repeat(64) })).status).toBe(403); // the signature no longer holds
    expect((await post(head)).status).toBe(200); // a retried delivery
    expect((await post(list[1])).status).toBe(409); // behind the head: a rollback
    expect((await post('not a checkpoint')).status).toBe(400);
    expect((await readFile(join(held, 'w1.jsonl'), 'utf8')).trim().split('\n')).toHaveLength(4);
  });

  it('a witness that is down: calls continue, the lag is recorded as a guard.alert, delivery resumes when it is back', async () => {
    const [trail, held] = [await tempDir(), await tempDir()];
    const probe = await serveWitness({ directory: held, port: 0 });
    const port = Number(new URL(probe.url).port);
    await probe.close(); // the port is free: the witness is "down"
    const witness = new HttpWitness({ url: `http://127.0.0.1:${port}`, token: 'auditor-token', timeoutMs: 500 });
    const { sandbox, client, close } = await setup({}, { audit: { directory: trail, instance: 'down', signingKey: PAIR.privateKey, witness, checkpointEvery: 2 } });
    try {
      for (let i = 0; i < 3; i++) await client.verifyCitizen(person(sandbox, i), ctx);
      expect(sandbox.stats().total).toBe(3);
      await sleep(300);
      await serve(held, port); // back
      for (let i = 0; i < 60 && !(await witness.head('down').catch(() => undefined)); i++) await sleep(100);
      expect((await witness.list('down')).length).toBeGreaterThan(1);
    } finally {
      await close();
    }
    const text = (await Promise.all((await JsonlAuditSink.dayFiles(join(trail, 'down'))).map((f) => readFile(f, 'utf8')))).join('');
    expect(text).toContain('"guard":"audit.witness"');
    expect((await verifyDirectory(trail, { publicKey: PAIR.publicKey, witness }))[0]).toMatchObject({ ok: true });
  });

  it('with witnessMaxLagMs, calls fail closed (reason witness_lag, nothing sent) while the witness lags beyond it', async () => {
    const [trail, held] = [await tempDir(), await tempDir()];
    const probe = await serveWitness({ directory: held, port: 0 });
    const port = Number(new URL(probe.url).port);
    await probe.close();
    const witness = new HttpWitness({ url: `http://127.0.0.1:${port}`, token: 'auditor-token', timeoutMs: 300 });
    const { sandbox, client, close } = await setup({}, { audit: { directory: trail, instance: 'strict', signingKey: PAIR.privateKey, witness, witnessMaxLagMs: 200 } });
    try {
      await client.verifyCitizen(person(sandbox, 0), ctx); // the genesis is pending, within the limit
      await sleep(400);
      const err = await rejection(client.verifyCitizen(person(sandbox, 1), ctx));
      expect(err).toMatchObject({ code: 'ERR_AUDIT_UNAVAILABLE', reason: 'witness_lag' });
      expect(sandbox.stats().total).toBe(1);
      await serve(held, port);
      let ok = false;
      for (let i = 0; i < 80 && !ok; i++) {
        await sleep(100);
        ok = await client.verifyCitizen(person(sandbox, 1), ctx).then(() => true, () => false);
      }
      expect(ok).toBe(true);
    } finally {
      await close();
    }
  });
});
