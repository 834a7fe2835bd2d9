/**
 * Guards through the public API against the sandbox over real HTTP: what reaches the upstream,
 * what is refused, and what the audit trail says.
 */
import { createHash, randomUUID } from 'node:crypto';
import { Redis as IORedis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createRedisStores, GuardError, MemoryAuditSink, MemoryGuardStore, nameKey, RedisQuotaStore, type GuardAlert, type GuardStore } from '../../src/index.js';
import { clientFor, ctx, rejection, setup, verifyInput } from '../helpers.js';
import { createSandbox } from '../../src/testing/index.js';
import { REDIS_URL, redisAvailable } from '../services.js';

const v = verifyInput;
/** Keys guard state in a store shared beyond one client (a wrapped or custom store counts as shared). */
const STATE_SECRET = 'test-state-secret-0123456789-abcdefghij';
/** A month of the citizen's own birth year (a 12-digit ID fixes the year, not the month). */
const month = (c: { dateOfBirth: string }, m: number) => `${c.dateOfBirth.slice(0, 4)}-${String(m).padStart(2, '0')}`;
const YEARS = Array.from({ length: 92 }, (_, i) => String(1923 + i)); // 1923–2014, the Quảng Trị macro

describe('enumeration guard: the Quảng Trị replay', () => {
  it('legacy 9-digit numbers: 128 rows × 92 birth years → the sandbox sees 128 × K, the rest refused and audited', async () => {
    const sink = new MemoryAuditSink();
    const { sandbox, client, close } = await setup({ populationSize: 2_000 }, { audit: { sink } });
    try {
      const rows = sandbox.population.filter((c) => c.legacyIdNumber).slice(0, 128);
      expect(rows).toHaveLength(128);
      const codes = new Map<string, number>();
      for (const row of rows) {
        for (const year of YEARS) {
          try {
            await client.verifyCitizen({ idNumber: row.legacyIdNumber!, fullName: row.fullName, dateOfBirth: year }, { ...ctx, operator: { id: 'cb.macro', ip: '10.0.0.9' } });
            codes.set('ok', (codes.get('ok') ?? 0) + 1);
          } catch (err) {
            const code = (err as GuardError).code;
            codes.set(code, (codes.get(code) ?? 0) + 1);
          }
        }
      }
      const K = 3;
      expect(sandbox.stats().total).toBe(128 * K);
      expect(codes.get('ok')).toBe(128 * K);
      expect(codes.get('ERR_GUARD_ENUMERATION')).toBe(128 * (92 - K));
      const denied = sink.events.filter((e) => e.type === 'lookup.denied');
      expect(denied).toHaveLength(128 * (92 - K));
      expect(denied.every((e) => e.code === 'ERR_GUARD_ENUMERATION' && e.outcome === 'denied' && e.operator?.id === 'cb.macro')).toBe(true);
      const alerts = sink.events.filter((e) => e.type === 'guard.alert');
      expect(alerts).toHaveLength(128); // one per citizen, at the first refusal
      expect(alerts[0]!.detail).toMatchObject({ guard: 'enumeration', field: 'dateOfBirth', distinct: K });
      expect(alerts[0]!.subject?.masked).toMatch(/^\d{2}\*+\d{2}$/);
      expect(JSON.stringify(sink.events)).not.toContain(rows[0]!.legacyIdNumber!);
    } finally {
      await close();
    }
  }, 120_000);

  it('12-digit numbers: every contradicting year is refused locally with 0 requests', async () => {
    const { sandbox, client, close } = await setup({ populationSize: 200 });
    try {
      const rows = sandbox.population.slice(0, 128);
      let sent = 0;
      for (const row of rows) {
        for (const year of YEARS) {
          const err = await client
            .verifyCitizen({ idNumber: row.idNumber, fullName: row.fullName, dateOfBirth: year }, ctx)
            .then(() => undefined, (e: unknown) => e as GuardError);
          if (err === undefined || err.code.startsWith('ERR_UPSTREAM')) sent++;
          else expect(err.code).toBe('ERR_INPUT_INVALID');
        }
      }
      const inRange = rows.filter((r) => Number(r.dateOfBirth.slice(0, 4)) >= 1923 && Number(r.dateOfBirth.slice(0, 4)) <= 2014).length;
      expect(sandbox.stats().total).toBe(inRange); // only each row's own year went out
      expect(sent).toBe(inRange);
    } finally {
      await close();
    }
  }, 60_000);

  it('what the guard store is given reveals no ID, name or date, and cannot be tested without the secret', async () => {
    const sandbox = await createSandbox({ populationSize: 10 });
    const seen = (secret: string) => {
      const given: string[] = [];
      const inner = new MemoryGuardStore();
      const store: GuardStore = {
        admitDistinct: (key, member, max, windowMs) => (given.push(key, member), inner.admitDistinct(key, member, max, windowMs)),
        recordCall: (key, keep, ttl) => (given.push(key), inner.recordCall(key, keep, ttl)),
        block: (key, ms) => (given.push(key), inner.block(key, ms)),
        remember: (key, member, ttl) => (given.push(key, member), inner.remember(key, member, ttl)),
      };
      return { given, client: clientFor(sandbox, { cache: { enabled: false, secret }, guards: { store } }) };
    };
    const a = seen('x'.repeat(32));
    const b = seen('y'.repeat(32));
    const again = seen('x'.repeat(32));
    try {
      const c = sandbox.population[0]!;
      for (const s of [a, b, again]) await s.client.verifyCitizen(v(c), ctx);
      const plain = [c.idNumber, c.fullName, nameKey(c.fullName), c.dateOfBirth];
      const digests = plain.flatMap((x) => ['hex', 'base64url'].map((enc) => createHash('sha256').update(x).digest(enc as 'hex').slice(0, 16)));
      for (const x of [...a.given, ...b.given]) for (const p of [...plain, ...digests]) expect(x).not.toContain(p);
      expect(a.given.filter((x) => x.startsWith('e:'))).toHaveLength(2); // date of birth and name, one key each
      expect(a.given.some((x) => b.given.includes(x))).toBe(false); // another secret: nothing in common
      expect(again.given).toEqual(a.given); // the same secret (another process): the same keys and tags
    } finally {
      await Promise.all([a.client.close(), b.client.close(), again.client.close()]);
      await sandbox.close();
    }
  });

  it('names count too; repeats of a value already tried are not new tries; other citizens are unaffected', async () => {
    const { sandbox, client, close } = await setup();
    try {
      const [a, b] = sandbox.population;
      const tryName = (name: string, who = a!) => client.verifyCitizen({ idNumber: who.idNumber, fullName: name, dateOfBirth: who.dateOfBirth }, ctx);
      for (const n of ['Nguyễn Văn A', 'Nguyễn Văn B', 'NGUYỄN  văn b', 'Nguyễn Văn C']) await tryName(n); // "B" twice, spelled differently
      expect((await rejection(tryName('Nguyễn Văn D'))).code).toBe('ERR_GUARD_ENUMERATION');
      await tryName('Nguyễn Văn A'); // a value already tried
      await tryName(b!.fullName, b); // another citizen
      expect(sandbox.stats().total).toBe(6);
    } finally {
      await close();
    }
  });

  it('the window ends and the citizen can be tried again; `enumeration: false` turns the guard off', async () => {
    let now = Date.now();
    const { sandbox, client, close } = await setup({}, { clock: () => now, guards: { enumeration: { maxDistinct: 1, windowMs: 60_000 } } });
    const off = clientFor(sandbox, { guards: { enumeration: false } });
    try {
      const c = sandbox.population[0]!;
      await client.verifyCitizen({ ...v(c), dateOfBirth: month(c, 1) }, ctx);
      const err = await rejection(client.verifyCitizen({ ...v(c), dateOfBirth: month(c, 2) }, ctx));
      expect(err).toBeInstanceOf(GuardError);
      expect(err.retryAfterMs).toBeGreaterThan(0);
      expect(err.retryAfterMs).toBeLessThanOrEqual(60_000);
      now += 60_001;
      await client.verifyCitizen({ ...v(c), dateOfBirth: month(c, 2) }, ctx);
      for (const m of [1, 2, 3, 4, 5]) await off.verifyCitizen({ ...v(c), dateOfBirth: month(c, m) }, ctx);
    } finally {
      await off.close();
      await close();
    }
  });
});

describe('velocity guard', () => {
  it('a macro at machine speed is stopped within the minute; a person working beside it is not', async () => {
    let now = Date.parse('2026-11-23T02:00:00Z');
    const alerts: GuardAlert[] = [];
    const sink = new MemoryAuditSink();
    const { sandbox, client, close } = await setup({ populationSize: 300 }, {
      clock: () => now,
      audit: { sink },
      guards: { enumeration: false, velocity: { perMinute: 20, blockMs: 15 * 60_000, regularity: false }, onAlert: (a) => alerts.push(a) },
    });
    try {
      const people = sandbox.population;
      const macro = { ...ctx, operator: { id: 'cb.macro', ip: '10.0.0.9' } };
      const human = { ...ctx, operator: { id: 'cb.human', ip: '10.0.0.10' } };
      let macroOk = 0;
      let humanOk = 0;
      let firstRefusalAt: number | undefined;
      const start = now;
      for (let i = 0; i < 120; i++) { // two minutes: the macro every second, the person every 15 s
        const p = people[i]!;
        try {
          await client.verifyCitizen(v(p), macro);
          macroOk++;
        } catch (err) {
          expect((err as GuardError).code).toBe('ERR_GUARD_VELOCITY');
          firstRefusalAt ??= now;
        }
        if (i % 15 === 0) {
          await client.verifyCitizen(v(people[200 + i / 15]!), human);
          humanOk++;
        }
        now += 1_000;
      }
      expect(macroOk).toBe(20);
      expect(firstRefusalAt! - start).toBeLessThan(60_000);
      expect(humanOk).toBe(8);
      expect(sandbox.stats().byOperator).toEqual({ 'cb.macro': 20, 'cb.human': 8 });
      expect(alerts).toHaveLength(1);
      expect(alerts[0]).toMatchObject({ guard: 'velocity', operatorId: 'cb.macro', detail: { reason: 'rate', perMinute: 20 } });
      expect(sink.events.filter((e) => e.type === 'guard.alert')).toHaveLength(1);
      expect(sink.events.filter((e) => e.type === 'lookup.denied' && e.code === 'ERR_GUARD_VELOCITY')).toHaveLength(100);
      // The block lasts blockMs, then the operator may work again.
      now += 15 * 60_000;
      await client.verifyCitizen(v(people[150]!), macro);
    } finally {
      await close();
    }
  });

  it('machine-regular spacing is caught even below the rate; a person\'s irregular pace is not', async () => {
    let now = Date.parse('2026-11-23T02:00:00Z');
    const { sandbox, client, close } = await setup({ populationSize: 300 }, {
      clock: () => now,
      guards: { enumeration: false, velocity: { perMinute: 20 } }, // regularity defaults: 10 samples, cv ≤ 0.1
    });
    try {
      const macro = { ...ctx, operator: { id: 'cb.macro', ip: '10.0.0.9' } };
      const human = { ...ctx, operator: { id: 'cb.human', ip: '10.0.0.10' } };
      let tMacro = now;
      let tHuman = now;
      let macroOk = 0;
      let humanOk = 0;
      const gaps = [4_100, 12_000, 7_300, 30_500, 5_200, 9_900, 21_000, 6_400, 15_800, 8_800, 40_000, 5_600, 11_100, 7_700];
      for (let i = 0; i < 14; i++) {
        tMacro += 6_000 + (i % 3) * 50; // every 6 s, ± 50 ms of jitter
        tHuman += gaps[i]!;
        for (const [t, who] of [[tMacro, macro], [tHuman, human]] as const) {
          now = t;
          const ok = await client.verifyCitizen(v(sandbox.population[(who === macro ? 0 : 100) + i]!), who).then(() => true, (e: GuardError) => {
            expect(e.code).toBe('ERR_GUARD_VELOCITY');
            return false;
          });
          if (who === macro) macroOk += +ok;
          else humanOk += +ok;
        }
      }
      expect(macroOk).toBe(9); // the 10th regular call completes the sample and is refused
      expect(humanOk).toBe(14);
    } finally {
      await close();
    }
  });
});

describe('IP policy', () => {
  it('refuses calls from outside the allowed networks, per unit and per operator, with 0 requests', async () => {
    const sink = new MemoryAuditSink();
    const { sandbox, client, close } = await setup({}, {
      audit: { sink },
      guards: { ip: { allow: ['10.20.0.0/16', '2001:db8::/32'], operators: { 'cb.remote': ['203.0.113.7'] } } },
    });
    try {
      const c = sandbox.population[0]!;
      const as = (id: string, ip: string) => client.verifyCitizen(v(c), { ...ctx, operator: { id, ip } });
      await as('cb.an', '10.20.1.15');
      await as('cb.an', '::ffff:10.20.1.15');
      await as('cb.an', '2001:db8::15');
      await as('cb.remote', '203.0.113.7');
      for (const [id, ip] of [['cb.an', '10.21.0.1'], ['cb.an', '2001:db9::1'], ['cb.remote', '10.20.1.15'], ['cb.an', '203.0.113.7']] as const) {
        const err = await rejection(as(id, ip));
        expect(err).toBeInstanceOf(GuardError);
        expect(err.code).toBe('ERR_GUARD_IP');
      }
      expect(sandbox.stats().total).toBe(4);
      const denied = sink.events.filter((e) => e.type === 'lookup.denied');
      expect(denied.map((e) => e.operator?.ip)).toEqual(['10.21.0.1', '2001:db9::1', '10.20.1.15', '203.0.113.7']);
    } finally {
      await close();
    }
  });

  it('the first call of an operator from a new IP raises one alert; the first IP ever is learned silently', async () => {
    const sink = new MemoryAuditSink();
    const alerts: GuardAlert[] = [];
    const { sandbox, client, close } = await setup({}, { audit: { sink }, guards: { onAlert: (a) => alerts.push(a) } });
    try {
      const c = sandbox.population[0]!;
      const from = (ip: string) => client.verifyCitizen(v(c), { ...ctx, operator: { id: 'cb.an', ip } });
      await from('10.0.0.1');
      await from('10.0.0.1');
      expect(alerts).toHaveLength(0);
      await from('172.16.5.5');
      await from('172.16.5.5');
      expect(alerts).toEqual([{ guard: 'new-ip', operatorId: 'cb.an', ip: '172.16.5.5', detail: { knownIps: 1 } }]);
      const events = sink.events.filter((e) => e.type === 'guard.alert');
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ operator: { id: 'cb.an', ip: '172.16.5.5' }, detail: { guard: 'new-ip', knownIps: 1 } });
      expect(sandbox.stats().total).toBe(4); // an alert does not refuse the call
    } finally {
      await close();
    }
  });

  it('an operator on a known IP is checked against the store once a minute, not on every call; a new IP is still seen at once', async () => {
    let now = Date.parse('2026-11-23T09:00:00+07:00');
    const remembered: string[] = [];
    const inner = new MemoryGuardStore({ clock: () => now });
    const store: GuardStore = {
      admitDistinct: (...a) => inner.admitDistinct(...a),
      recordCall: (...a) => inner.recordCall(...a),
      block: (...a) => inner.block(...a),
      remember: (key, member, ttl) => (remembered.push(member), inner.remember(key, member, ttl)),
    };
    const alerts: GuardAlert[] = [];
    const { sandbox, client, close } = await setup({}, { clock: () => now, cache: {}, stateSecret: STATE_SECRET, guards: { store, onAlert: (a) => alerts.push(a) } });
    try {
      const c = sandbox.population[0]!;
      const from = (ip: string) => client.verifyCitizen(v(c), { ...ctx, operator: { id: 'cb.an', ip } });
      for (let i = 0; i < 20; i++) await from('10.0.0.1'); // a storm of logins: cache hits after the first
      expect(remembered).toHaveLength(1);
      await from('172.16.5.5');
      expect(remembered).toHaveLength(2);
      expect(alerts.map((a) => a.ip)).toEqual(['172.16.5.5']);
      now += 61_000;
      await from('10.0.0.1');
      expect(remembered).toHaveLength(3); // a minute later: asked again
      expect(alerts).toHaveLength(1);
    } finally {
      await close();
    }
  });

  it('bad allowlist entries are configuration errors', async () => {
    const sandbox = await createSandbox({ listen: false });
    expect(() => clientFor(sandbox, { guards: { ip: { allow: ['10.0.0.0/33'] } } })).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
    expect(() => clientFor(sandbox, { guards: { ip: { operators: { a: ['not-an-ip'] } } } })).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
    await sandbox.close();
  });
});

describe('guard state', () => {
  it('when the guard store fails or hangs, the guards go on in process memory: still enforced, no outage of their own', async () => {
    let failures = 0;
    const failing: GuardStore = {
      admitDistinct: () => (failures++, Promise.reject(new Error('connection lost'))),
      recordCall: () => (failures++, new Promise(() => undefined)), // hangs
      block: () => Promise.resolve(true),
      remember: () => Promise.resolve({ isNew: false, known: 1 }),
    };
    let now = Date.now();
    const sink = new MemoryAuditSink();
    const { sandbox, client, close } = await setup({}, { clock: () => now, audit: { sink }, stateSecret: STATE_SECRET, guards: { store: failing, storeTimeoutMs: 100, enumeration: { maxDistinct: 1 } } });
    const hanging = clientFor(sandbox, { audit: { sink }, stateSecret: STATE_SECRET, guards: { store: failing, storeTimeoutMs: 100, velocity: { perMinute: 2, regularity: false } } });
    try {
      const [c, d] = sandbox.population;
      await client.verifyCitizen(v(c!), ctx);
      expect(failures).toBe(1);
      expect((await rejection(client.verifyCitizen({ ...v(c!), dateOfBirth: month(c!, 1) }, ctx))).code).toBe('ERR_GUARD_ENUMERATION');
      expect(failures).toBe(1); // the store is skipped for 5 s after it failed
      now += 5_001;
      await client.verifyCitizen(v(d!), ctx);
      expect(failures).toBe(2); // and tried again after

      const t0 = performance.now();
      await hanging.verifyCitizen(v(c!), ctx); // 100 ms for the hung store, then memory
      expect(performance.now() - t0).toBeGreaterThanOrEqual(95);
      await hanging.verifyCitizen(v(d!), ctx);
      expect((await rejection(hanging.verifyCitizen(v(c!), ctx))).code).toBe('ERR_GUARD_VELOCITY');
      expect(sandbox.stats().total).toBe(4);
    } finally {
      await hanging.close();
      await close();
    }
  });
});

const hasRedis = await redisAvailable();
const redis = hasRedis ? new IORedis(REDIS_URL) : undefined;
afterAll(() => redis?.disconnect());

describe.skipIf(!hasRedis)('guard state in Redis (follows the quota store)', () => {
  it('a macro spread over two processes is seen as one: enumeration and velocity are shared', async () => {
    const sandbox = await createSandbox({ populationSize: 100 });
    const prefix = `g-${randomUUID()}`;
    const stateSecret = randomUUID() + randomUUID(); // the same in both processes
    const make = () =>
      clientFor(sandbox, {
        quota: { store: new RedisQuotaStore({ client: redis!, prefix }) },
        stateSecret,
        guards: { velocity: { perMinute: 6, regularity: false } },
      });
    const [a, b] = [make(), make()];
    try {
      const c = sandbox.population[0]!;
      await a.verifyCitizen({ ...v(c), dateOfBirth: month(c, 1) }, ctx);
      await b.verifyCitizen({ ...v(c), dateOfBirth: month(c, 2) }, ctx);
      await a.verifyCitizen({ ...v(c), dateOfBirth: month(c, 3) }, ctx);
      expect((await rejection(b.verifyCitizen({ ...v(c), dateOfBirth: month(c, 4) }, ctx))).code).toBe('ERR_GUARD_ENUMERATION');
      // 4 calls of cb.test so far (the refused one included); 2 more fill the minute, the next trips it in either process.
      await b.verifyCitizen(v(sandbox.population[1]!), ctx);
      await a.verifyCitizen(v(sandbox.population[2]!), ctx);
      expect((await rejection(b.verifyCitizen(v(sandbox.population[3]!), ctx))).code).toBe('ERR_GUARD_VELOCITY');
      expect((await rejection(a.verifyCitizen(v(sandbox.population[4]!), ctx))).code).toBe('ERR_GUARD_VELOCITY');
      expect(sandbox.stats().total).toBe(5);
      const keys = await redis!.keys(`${prefix}:g:*`); // <prefix>:g:{<operator or citizen key>}…
      expect(keys.length).toBeGreaterThan(0);
      const dump = JSON.stringify(await Promise.all(keys.map(async (k) => [k, await redis!.type(k)])));
      expect(dump).not.toContain(c.idNumber);
      expect(dump).not.toContain('cb.test');
    } finally {
      await Promise.all([a.close(), b.close()]);
      await sandbox.close();
    }
  });

  it('createRedisStores wires the three stores of a deployment into one Redis and prefix', async () => {
    const sandbox = await createSandbox({ populationSize: 10 });
    const prefix = `w-${randomUUID()}`;
    const stores = createRedisStores({ client: redis!, prefix });
    const client = clientFor(sandbox, {
      quota: { store: stores.quota, perOperator: { perDay: 5 } },
      cache: { store: stores.cache, secret: 'cache-secret-of-this-deployment-0123456789' },
      guards: { store: stores.guards, velocity: { perMinute: 50, regularity: false } },
    });
    try {
      const c = sandbox.population[0]!;
      expect((await client.verifyCitizen(v(c), ctx)).source).toBe('upstream');
      expect((await client.verifyCitizen(v(c), ctx)).source).toBe('cache');
      // The quota's keys in the deployment's slot ({prefix}:…); cache and guard keys tagged per citizen or operator (prefix:…).
      const keys = [...(await redis!.keys(`{${prefix}}:*`)), ...(await redis!.keys(`${prefix}:*`))];
      const kinds = keys.map((k) => k.split(':')[1]).sort();
      // cache entries (c) and their citizen index (s), day counts (d), guard state (g) and the quota's life marker, under one prefix
      expect(kinds).toEqual(expect.arrayContaining(['c', 's', 'd', 'g', 'life']));
    } finally {
      stores.quota.close();
      await client.close();
      await sandbox.close();
    }
  });

  it('Redis keys hold no operator id: per-operator budgets are keyed by an HMAC under the state secret', async () => {
    const sandbox = await createSandbox({ populationSize: 10 });
    const prefix = `q-${randomUUID()}`;
    const client = clientFor(sandbox, {
      quota: { store: new RedisQuotaStore({ client: redis!, prefix }), perOperator: { perMinute: 10, perDay: 50 } },
      stateSecret: 'state-secret-of-this-deployment-0123456789',
    });
    try {
      await client.verifyCitizen(v(sandbox.population[0]!), { ...ctx, operator: { id: 'nguyen.van.b', ip: '10.0.0.7' } });
      const keys = await redis!.keys(`{${prefix}}:*`);
      expect(keys.filter((k) => k.includes(':op:'))).toHaveLength(2);
      expect(keys.join(' ')).not.toMatch(/nguyen|van\.b/);
      const status = await client.quota.status({ operatorId: 'nguyen.van.b' });
      expect(status.budgets).toContainEqual({ id: 'operator.day[nguyen.van.b]', kind: 'day', limit: 50, used: 1, remaining: 49 });
    } finally {
      await client.close();
      await sandbox.close();
    }
  });
});

describe('the guards\' key', () => {
  it('comes from the state secret, never the client secret: rotating the credential keeps the guards\' memory', async () => {
    const sandbox = await createSandbox({ populationSize: 10 });
    const store = new MemoryGuardStore(); // shared state, as Redis would be across a restart
    const stateSecret = 'state-secret-of-this-deployment-0123456789';
    const before = clientFor(sandbox, { guards: { store }, stateSecret });
    // 90 days later the credential is rotated; the deployment's state secret is not.
    const after = clientFor(sandbox, { guards: { store }, stateSecret, credentials: { ...sandbox.credentials, clientSecret: 'e7c1f0a9-5b2d-4c8e-9f31-0d6a4b7e2c58' } });
    try {
      const c = sandbox.population[0]!;
      for (const m of [1, 2, 3]) await before.verifyCitizen({ ...v(c), dateOfBirth: month(c, m) }, ctx);
      expect((await rejection(after.verifyCitizen({ ...v(c), dateOfBirth: month(c, 4) }, ctx))).code).toBe('ERR_GUARD_ENUMERATION');
    } finally {
      await before.close();
      await after.close();
      await sandbox.close();
    }
  });

  it('shared state with no secret to key it is refused at construction', () => {
    const store = new MemoryGuardStore();
    const shared: GuardStore = { admitDistinct: store.admitDistinct.bind(store), recordCall: store.recordCall.bind(store), block: store.block.bind(store), remember: store.remember.bind(store) };
    expect(() => clientFor({ url: 'http://127.0.0.1:9', credentials: { clientId: 'mot-cua', clientSecret: 'e7c1f0a9-5b2d-4c8e-9f31-0d6a4b7e2c58' } } as never, { guards: { store: shared } }))
      .toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID', issues: [expect.objectContaining({ path: 'stateSecret' })] }));
  });
});
