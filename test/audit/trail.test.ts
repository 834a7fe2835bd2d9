import { execFileSync } from 'node:child_process';
import { appendFile, chmod, mkdtemp, readdir, readFile, readlink, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FanOutAuditSink, JsonlAuditSink, MemoryAuditSink, PinoAuditSink, type AuditEvent } from '../../src/index.js';
import { verifyDirectory } from '../../src/audit/index.js';
import { AuditEventSchema } from '../../src/audit/schema.js';
import { IDLE_RELEASE_MS } from '../../src/audit/jsonl-sink.js';
import { deriveAuditKeys } from '../../src/audit/keys.js';
import { ctx, rejection, setup } from '../helpers.js';

const SECRET = 'audit-test-secret-0123456789-abcdefghij';
const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'dancu-audit-'));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function eventsIn(dir: string): Promise<AuditEvent[]> {
  const out: AuditEvent[] = [];
  for (const name of await readdir(dir)) {
    for (const f of await JsonlAuditSink.dayFiles(join(dir, name))) {
      for (const line of (await readFile(f, 'utf8')).split('\n').filter(Boolean)) out.push(AuditEventSchema.parse(JSON.parse(line)));
    }
  }
  return out;
}

describe('the audit trail through the public API', () => {
  it('a session: login, each call (intent → outcome, cache hit, denial), logout — every field the regulator asks for', async () => {
    const dir = await tempDir();
    const { sandbox, client, close } = await setup({}, { cache: { enabled: true }, audit: { directory: dir, secret: SECRET, instance: 'mot-cua-1' } });
    const c = sandbox.population[0]!;
    const input = { idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth };
    const s = client.session({ operatorId: 'cb.lan', ip: '10.1.2.3', userAgent: 'Mozilla/5.0 test' });
    const purpose = { code: 'HT-KHAISINH', dossierId: 'HS-2026-42' };
    const first = await s.verifyCitizen(input, { purpose, ip: '10.1.2.3' });
    await s.verifyCitizen(input, { purpose, ip: '10.1.2.4' }); // cache hit, the officer's next request from another address
    await rejection(s.verifyCitizen(input, { purpose: { code: 'NOT-REGISTERED' }, ip: '10.1.2.3' }));
    await s.end();
    await expect(s.verifyCitizen(input, { purpose, ip: '10.1.2.3' })).rejects.toMatchObject({ code: 'ERR_SESSION_ENDED' });
    await close();

    const events = await eventsIn(dir);
    expect(events.map((e) => e.type)).toEqual([
      'config.loaded', 'session.login', 'lookup.intent', 'lookup.outcome', 'guard.alert', 'cache.hit', 'lookup.denied', 'session.logout',
    ]);
    const [, login, intent, outcome, alert, hit, denied, logout] = events as [AuditEvent, ...AuditEvent[]];
    // The second request came from an address this officer had not used: the new-IP alert says so.
    expect(alert).toMatchObject({ detail: { guard: 'new-ip', knownIps: 1 }, operator: { ip: '10.1.2.4', loginIp: '10.1.2.3' } });
    // 5722/TCTTKĐA §3(3): login time, logout time, time and content of each lookup, IP address.
    expect(login).toMatchObject({ operator: { id: 'cb.lan', ip: '10.1.2.3', userAgent: 'Mozilla/5.0 test' } });
    expect(logout!.operator).toEqual(login!.operator);
    expect(Date.parse(logout!.ts)).toBeGreaterThanOrEqual(Date.parse(login!.ts));
    for (const e of [intent!, outcome!, hit!]) {
      expect(e.ts).toMatch(/\+07:00$/);
      // Each call's own IP, and the session's login IP beside it.
      expect(e.operator).toEqual({ id: 'cb.lan', ip: e === hit ? '10.1.2.4' : '10.1.2.3', loginIp: '10.1.2.3', sessionId: login!.operator!.sessionId });
      expect(e.purpose).toEqual({ code: 'HT-KHAISINH', dossierId: 'HS-2026-42', legalBasis: expect.stringContaining('Hộ tịch') });
      expect(e.operation).toBe('verify');
      expect(e.fields).toEqual(['fullName', 'dateOfBirth']);
      expect(e.subject!.masked).toBe(first.subject);
    }
    expect(outcome).toMatchObject({ intentId: intent!.eventId, requestId: first.requestId, outcome: 'match' });
    expect(hit).toMatchObject({ source: 'cache', requestId: first.requestId, outcome: 'match' });
    expect(denied).toMatchObject({ outcome: 'denied', code: 'ERR_PURPOSE_NOT_REGISTERED', purpose: { code: 'NOT-REGISTERED' } });
    expect(events[0]).toMatchObject({ type: 'config.loaded', system: { instance: 'mot-cua-1', fingerprint: client.fingerprint } });

    // No raw ID number, name or date of birth anywhere in the trail.
    const raw = (await Promise.all((await JsonlAuditSink.dayFiles(join(dir, 'mot-cua-1'))).map((f) => readFile(f, 'utf8')))).join('');
    for (const secret of [c.idNumber, c.fullName, c.dateOfBirth]) expect(raw).not.toContain(secret);
    // The chain and its signed checkpoint verify.
    const [report] = await verifyDirectory(dir, { hmacKey: deriveAuditKeys(SECRET, 'k1').checkpoint! });
    expect(report).toMatchObject({ ok: true, events: 8, checkpoints: 2 });
    const [wrongKey] = await verifyDirectory(dir, { hmacKey: deriveAuditKeys('another-secret-0123456789-abcdefghij', 'k1').checkpoint! });
    expect(wrongKey).toMatchObject({ ok: false, problem: { reason: 'wrong_key' } });
  });

  it('a torn last line (a write cut by power loss) is cut off at the next start, recorded, and verify passes', async () => {
    const dir = await tempDir();
    const first = await setup({}, { audit: { directory: dir, instance: 'torn', secret: SECRET } });
    const c = first.sandbox.population[0]!;
    await first.client.verifyCitizen({ idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth }, ctx);
    await first.close();
    const [file] = await JsonlAuditSink.dayFiles(join(dir, 'torn'));
    const torn = '{"v":1,"ts":"2026-11-23T10:00:00.000+07:00","eventId":"half-writ';
    await appendFile(file!, torn);
    expect((await verifyDirectory(dir))[0]!.warnings.join()).toContain('torn last line');
    const again = await setup({}, { audit: { directory: dir, instance: 'torn', secret: SECRET } });
    await again.client.verifyCitizen({ idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth }, ctx);
    await again.close();
    const events = await eventsIn(dir);
    expect(events.find((e) => e.type === 'audit.recovered')!.detail).toMatchObject({ tornBytes: Buffer.byteLength(torn) });
    const [report] = await verifyDirectory(dir, { hmacKey: deriveAuditKeys(SECRET, 'k1').checkpoint! });
    expect(report).toMatchObject({ ok: true, warnings: [] });
  });

  it('a storm of writers shares each durable write; the day file stays open while active, and is closed once idle', async () => {
    const dir = await tempDir();
    const { sandbox, client, close } = await setup({}, { audit: { directory: dir, instance: 'burst', secret: SECRET }, cache: { enabled: true } });
    const p = (i: number) => ({ idNumber: sandbox.population[i]!.idNumber, fullName: sandbox.population[i]!.fullName, dateOfBirth: sandbox.population[i]!.dateOfBirth });
    await client.verifyCitizen(p(0), ctx);
    const openInTrail = async () => {
      const fds = await readdir('/proc/self/fd').catch(() => undefined);
      if (!fds) return undefined; // not Linux
      const targets = await Promise.all(fds.map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')));
      return targets.filter((t) => t.startsWith(dir)).length;
    };
    const fdsAvailable = (await openInTrail()) !== undefined;
    await Promise.all(Array.from({ length: 200 }, () => client.verifyCitizen(p(0), ctx))); // 200 cache hits, 200 events
    if (fdsAvailable) expect(await openInTrail()).toBe(1); // one descriptor, the day file's, kept between batches
    await new Promise((r) => setTimeout(r, IDLE_RELEASE_MS * 2.5));
    if (fdsAvailable) expect(await openInTrail()).toBe(0); // idle: nothing held (the file system can be remounted)
    await close();
    const [report] = await verifyDirectory(dir, { hmacKey: deriveAuditKeys(SECRET, 'k1').checkpoint! });
    expect(report).toMatchObject({ ok: true, warnings: [] });
    expect((await eventsIn(dir)).filter((e) => e.type === 'cache.hit')).toHaveLength(200);
  });

  it('a day file moved away, replaced or made read-only while open: that call is refused before anything is sent, the next reopens the path', async () => {
    const dir = await tempDir();
    const { sandbox, client, close } = await setup({}, { audit: { directory: dir, instance: 'moved', secret: SECRET } });
    const p = (i: number) => ({ idNumber: sandbox.population[i]!.idNumber, fullName: sandbox.population[i]!.fullName, dateOfBirth: sandbox.population[i]!.dateOfBirth });
    await client.verifyCitizen(p(0), ctx);
    const [day] = await JsonlAuditSink.dayFiles(join(dir, 'moved'));
    const sent = () => sandbox.stats().total;

    await rename(day!, `${day!}.moved`); // moved away while the writer holds it
    expect(await rejection(client.verifyCitizen(p(1), ctx))).toMatchObject({ code: 'ERR_AUDIT_UNAVAILABLE' });
    expect(sent()).toBe(1);
    await client.verifyCitizen(p(2), ctx); // a fresh file at the path
    expect(sent()).toBe(2);
    expect((await readFile(day!, 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l).type)).toEqual(['lookup.intent', 'lookup.outcome']);

    await writeFile(`${day!}.new`, await readFile(day!)); // replaced by a copy (another inode)
    await rename(`${day!}.new`, day!);
    expect(await rejection(client.verifyCitizen(p(3), ctx))).toMatchObject({ code: 'ERR_AUDIT_UNAVAILABLE' });
    expect(sent()).toBe(2);
    await client.verifyCitizen(p(4), ctx);
    expect(sent()).toBe(3);

    await chmod(day!, 0o440); // made read-only: refused while it stays so (as root, which may still write it, only that batch)
    expect(await rejection(client.verifyCitizen(p(5), ctx))).toMatchObject({ code: 'ERR_AUDIT_UNAVAILABLE' });
    expect(sent()).toBe(3);
    await chmod(day!, 0o640);
    await client.verifyCitizen(p(6), ctx);
    expect(sent()).toBe(4);
    await close();
    // The file at the path holds no line of a refused call: a batch that failed is cut off when the path is reopened.
    const kept = (await readFile(day!, 'utf8')).split('\n').filter(Boolean).map((l) => AuditEventSchema.parse(JSON.parse(l)));
    const intents = kept.filter((e) => e.type === 'lookup.intent').length;
    expect(kept.filter((e) => e.type === 'lookup.outcome').length).toBe(intents);
  });

  it('a diagnostic copy to a pino-like logger never carries the raw ID, and its failure does not stop calls', async () => {
    const lines: unknown[] = [];
    const logger = { info: (obj: object) => void lines.push(obj) };
    const broken = { info: () => { throw new Error('log pipeline down'); } };
    const durable = new MemoryAuditSink();
    const { sandbox, client, close } = await setup({}, { audit: { sink: new FanOutAuditSink([durable, new PinoAuditSink(logger), new PinoAuditSink(broken)]) } });
    const c = sandbox.population[4]!;
    await client.verifyCitizen({ idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth }, ctx);
    await close();
    expect(lines.length).toBe(durable.events.length);
    expect(JSON.stringify(lines)).not.toContain(c.idNumber);
  });

  it('one file per Vietnam day: the file changes at 00:00 ICT (17:00 UTC), the chain runs on across files', async () => {
    const dir = await tempDir();
    let now = Date.UTC(2026, 10, 23, 16, 59, 58); // 23:59:58 in Vietnam
    const clock = () => now;
    const { sandbox, client, close } = await setup({ clock }, { clock, audit: { directory: dir, instance: 'days', secret: SECRET } });
    const p = (i: number) => ({ idNumber: sandbox.population[i]!.idNumber, fullName: sandbox.population[i]!.fullName, dateOfBirth: sandbox.population[i]!.dateOfBirth });
    await client.verifyCitizen(p(0), ctx);
    now += 2_000; // 00:00:00 in Vietnam, still the 23rd in UTC
    await client.verifyCitizen(p(1), ctx);
    await close();
    const files = (await JsonlAuditSink.dayFiles(join(dir, 'days'))).map((f) => f.split('/').at(-1));
    expect(files).toEqual(['2026-11-23.jsonl', '2026-11-24.jsonl']);
    expect(await verifyDirectory(dir, { hmacKey: deriveAuditKeys(SECRET, 'k1').checkpoint! })).toMatchObject([{ ok: true, events: 5 }]);
  });

  it('the raw ID number is recorded only when rawSubject is set', async () => {
    const sink = new MemoryAuditSink();
    const { sandbox, client, close } = await setup({}, { audit: { sink, rawSubject: true } });
    const c = sandbox.population[1]!;
    await client.verifyCitizen({ idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth }, ctx);
    await close();
    expect(sink.events.find((e) => e.type === 'lookup.intent')!.subject!.raw).toBe(c.idNumber);
  });

  it('fails closed: a sink that cannot write refuses calls with no upstream request and no quota spent; they resume after', async () => {
    const sink = new MemoryAuditSink();
    const { sandbox, client, close } = await setup({}, { audit: { sink }, quota: { perDay: 5 } });
    try {
      const c = sandbox.population[2]!;
      const input = { idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth };
      await client.verifyCitizen(input, ctx);
      sink.failWith = new Error('ENOSPC: no space left on device');
      for (let i = 0; i < 10; i++) {
        const err = await rejection(client.verifyCitizen(input, ctx));
        expect(err).toMatchObject({ code: 'ERR_AUDIT_UNAVAILABLE' });
        expect(String(err.cause)).toContain('ENOSPC');
      }
      expect(sandbox.stats().total).toBe(1);
      sink.failWith = undefined;
      await expect(client.verifyCitizen(input, ctx)).resolves.toMatchObject({ match: true });
      expect((await client.quota.status()).budgets[0]).toMatchObject({ used: 2 }); // the refused calls spent nothing
    } finally {
      await close();
    }
  });

  it('each of N concurrent identical callers gets its own event; one intent, one upstream call', async () => {
    const sink = new MemoryAuditSink();
    const { sandbox, client, close } = await setup({}, { audit: { sink }, cache: { enabled: true } });
    const c = sandbox.population[3]!;
    await Promise.all(Array.from({ length: 20 }, () => client.verifyCitizen({ idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth }, ctx)));
    await close();
    const types = sink.events.map((e) => e.type);
    expect(types.filter((t) => t === 'lookup.intent')).toHaveLength(1);
    expect(types.filter((t) => t === 'lookup.outcome')).toHaveLength(1);
    expect(sink.events.filter((e) => e.type === 'cache.hit' && e.source === 'joined')).toHaveLength(19);
    expect(sandbox.stats().total).toBe(1);
  });

  it('quota denials and upstream errors close their intent with the code', async () => {
    const sink = new MemoryAuditSink();
    const { sandbox, client, close } = await setup({ lockThreshold: 1 }, { audit: { sink }, retry: { attempts: 1 } });
    const p = (i: number) => ({ idNumber: sandbox.population[i]!.idNumber, fullName: sandbox.population[i]!.fullName, dateOfBirth: sandbox.population[i]!.dateOfBirth });
    await client.verifyCitizen(p(0), ctx);
    await rejection(client.verifyCitizen(p(1), ctx)); // the upstream locks
    await rejection(client.verifyCitizen(p(2), ctx)); // the shared stop refuses
    await close();
    const outcomes = sink.events.filter((e) => e.type === 'lookup.outcome').map((e) => [e.outcome, e.code]);
    expect(outcomes).toEqual([['match', undefined], ['error', 'ERR_UPSTREAM_LOCKED'], ['error', 'ERR_UPSTREAM_LOCKED']]);
    expect(sink.events.filter((e) => e.type === 'upstream.locked')).toHaveLength(1);
  });
});

// A directory made read-only mid-run: a tmpfs of our own, remounted read-only and back.
const canMount = (() => {
  if (process.getuid?.() !== 0) return false;
  try {
    const probe = execFileSync('mktemp', ['-d']).toString().trim();
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!canMount && process.env['DANCU_REQUIRE_SERVICES'] === '1') throw new Error('cannot mount a tmpfs: the read-only audit directory test must run in CI');
if (!canMount) console.warn('\n⚠ cannot mount a tmpfs (not root?): SKIPPING the read-only audit directory test.\n');

describe.skipIf(!canMount)('audit directory on a file system that fails', () => {
  it('a full disk: calls are refused before anything is sent, a half-written batch is cut off, the chain verifies after space is freed', async () => {
    const mnt = await tempDir();
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mnt]);
    try {
      const { sandbox, client, close } = await setup({}, { audit: { directory: mnt, instance: 'full', secret: SECRET } });
      const p = (i: number) => ({ idNumber: sandbox.population[i]!.idNumber, fullName: sandbox.population[i]!.fullName, dateOfBirth: sandbox.population[i]!.dateOfBirth });
      for (let i = 0; i < 3; i++) await client.verifyCitizen(p(i), ctx);
      // Fill the rest: the day file's last page still has room for part of a batch, not all of it.
      await writeFile(join(mnt, 'filler'), Buffer.alloc(512 * 1024)).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOSPC') throw err;
      });
      // Calls until the disk refuses five in a row (the last page of the day file may take a few first).
      let served = 3;
      for (let i = 3, refusals = 0; refusals < 5 && i < 90; i++) {
        const r = await client.verifyCitizen(p(i), ctx).then(() => undefined, (err: { code?: string }) => err);
        if (r === undefined) served++, (refusals = 0);
        else expect(r.code).toBe('ERR_AUDIT_UNAVAILABLE'), refusals++;
      }
      expect(served).toBeLessThan(87); // the disk did refuse
      // A refused intent sends nothing; a call whose outcome could not be written had been sent.
      expect(sandbox.stats().total - served).toBeLessThanOrEqual(1);
      await rm(join(mnt, 'filler'));
      const before = sandbox.stats().total;
      for (let i = 90; i < 95; i++) await client.verifyCitizen(p(i), ctx);
      expect(sandbox.stats().total).toBe(before + 5);
      await close();
      const [report] = await verifyDirectory(mnt, { hmacKey: deriveAuditKeys(SECRET, 'k1').checkpoint! });
      expect(report).toMatchObject({ ok: true, warnings: [] });
    } finally {
      execFileSync('umount', [mnt]);
    }
  });


  it('0 upstream requests while it is read-only, then recovery; the chain verifies', async () => {
    const mnt = await tempDir();
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mnt]);
    try {
      const { sandbox, client, close } = await setup({}, { audit: { directory: mnt, instance: 'ro-test' } });
      const p = (i: number) => ({ idNumber: sandbox.population[i]!.idNumber, fullName: sandbox.population[i]!.fullName, dateOfBirth: sandbox.population[i]!.dateOfBirth });
      for (let i = 0; i < 5; i++) await client.verifyCitizen(p(i), ctx);
      expect(sandbox.stats().total).toBe(5);
      await new Promise((r) => setTimeout(r, IDLE_RELEASE_MS * 2.5)); // the writer closes its idle day file: a file open for writing makes a remount read-only fail (EBUSY)
      execFileSync('mount', ['-o', 'remount,ro', mnt]);
      for (let i = 5; i < 15; i++) expect(await rejection(client.verifyCitizen(p(i), ctx))).toMatchObject({ code: 'ERR_AUDIT_UNAVAILABLE' });
      expect(sandbox.stats().total).toBe(5);
      execFileSync('mount', ['-o', 'remount,rw', mnt]);
      for (let i = 15; i < 20; i++) await client.verifyCitizen(p(i), ctx);
      expect(sandbox.stats().total).toBe(10);
      await close();
      const [report] = await verifyDirectory(mnt, { allowUnsigned: true });
      expect(report).toMatchObject({ ok: true });
    } finally {
      execFileSync('umount', [mnt]);
    }
  });
});


describe('DiscardingAuditSink (dancu/testing)', () => {
  it('chains every event as a durable sink would and keeps none: a load test’s heap does not grow with the trail', async () => {
    const { DiscardingAuditSink } = await import('../../src/testing/index.js');
    const sink = new DiscardingAuditSink();
    const { sandbox, client, close } = await setup({}, { audit: { sink } });
    try {
      const c = sandbox.population[0]!;
      await client.verifyCitizen({ idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth }, ctx);
      expect(sink.events).toBe(3); // config.loaded, lookup.intent, lookup.outcome
      expect(Object.keys(sink)).toEqual([]); // nothing kept on the instance
    } finally {
      await close();
    }
  });
});
