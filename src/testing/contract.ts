/**
 * The wire-profile contract as a function: what a vendor sees — results, error codes, token
 * refresh, lock, throttle, malformed answers — must not depend on the gateway. Framework-free
 * (node:assert): run it whole with {@link runProfileContract}, or register each case of
 * {@link profileContract} as a test of your own runner.
 */
import assert from 'node:assert/strict';
import { createClient } from '../client.js';
import type { DancuClient } from '../api.js';
import { MemoryAuditSink } from '../audit/sink.js';
import { isDancuError } from '../errors.js';
import type { WireProfile } from '../transport/types.js';
import type { GatewayFactory } from './lgsp-gateway.js';
import { createSandbox, SANDBOX_PURPOSES, type Sandbox, type SandboxOptions } from './sandbox.js';

/** Options of {@link profileContract} and {@link runProfileContract}. */
export interface ProfileContractOptions {
  /** Your client profile. */
  profile: WireProfile;
  /** Your gateway adapter in front of the sandbox's simulator (omit for the built-in gateways: pass `builtIn`). */
  gateway?: GatewayFactory;
  /** One of the sandbox's own gateways instead of `gateway`. */
  builtIn?: 'reference' | 'lgsp-soap' | 'ndxp';
  /**
   * How requests reach the sandbox: `http` (default, a real server on 127.0.0.1), or a hook that
   * starts serving a `listen: false` sandbox another way (msw: `setupServer(...sandboxHandlers(s))`)
   * and returns how to stop.
   */
  serve?: 'http' | ((sandbox: Sandbox) => Promise<() => void | Promise<void>>);
}

/** One case of the contract. */
export interface ContractCase {
  name: string;
  run(): Promise<void>;
}

/** What {@link runProfileContract} found. */
export interface ContractReport {
  passed: string[];
  failed: Array<{ name: string; error: unknown }>;
}

const CTX = { purpose: { code: 'HT-KHAISINH' }, operator: { id: 'cb.contract', ip: '10.0.0.7' } };
const LOOKUP_CTX = { purpose: { code: 'DD-CAPGCN' }, operator: { id: 'cb.contract', ip: '10.0.0.7' } };
const PURPOSES = [
  SANDBOX_PURPOSES[0]!,
  { ...SANDBOX_PURPOSES[1]!, fields: ['fullName', 'dateOfBirth', 'sex', 'permanentAddress'] as const },
  { code: 'CT-CHUHO', title: 'Xác minh chủ hộ', legalBasis: 'Luật Cư trú 2020', operations: ['XacMinhThongTinChuHo'] },
];

async function rejection(p: Promise<unknown>): Promise<{ code?: string; [k: string]: unknown }> {
  try {
    await p;
  } catch (err) {
    return err as { code?: string };
  }
  assert.fail('expected the call to fail');
}

/** The contract's cases against your profile and gateway. */
export function profileContract(options: ProfileContractOptions): ContractCase[] {
  const { profile, gateway, builtIn } = options;
  const serve = options.serve ?? 'http';
  async function setup(sim: SandboxOptions = {}, clientOptions: Record<string, unknown> = {}) {
    const sandbox = await createSandbox({
      populationSize: 60, ...sim, listen: serve === 'http',
      ...(gateway ? { gateway, profile } : { profile: builtIn ?? 'reference' }),
    });
    const stop = serve === 'http' ? undefined : await serve(sandbox);
    const withExtra = PURPOSES.filter((p) => p.operations.every((o) => o === 'verify' || o === 'lookup' || profile.extraOperations?.[o] !== undefined));
    const sink = new MemoryAuditSink();
    const client: DancuClient = createClient({
      baseUrl: sandbox.url, credentials: sandbox.credentials, profile, system: { id: 'contract', unitCode: 'U1', version: '1' },
      purposes: withExtra, cache: { enabled: false }, audit: { sink }, ...clientOptions,
    } as Parameters<typeof createClient>[0]);
    const close = async () => {
      await client.close();
      await stop?.();
      await sandbox.close();
    };
    return { sandbox, client, sink, close };
  }
  const verifyOf = (c: Sandbox['population'][number]) => ({ idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth });
  const lookupOf = (c: Sandbox['population'][number]) => ({ idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth });
  const cases: ContractCase[] = [];
  const add = (name: string, run: (s: Awaited<ReturnType<typeof setup>>) => Promise<void>, sim?: SandboxOptions, client?: Record<string, unknown>) =>
    cases.push({ name, run: async () => {
      const s = await setup(sim, client);
      try {
        await run(s);
      } finally {
        await s.close();
      }
    } });

  add('verify: a match, a wrong name, an unknown number; at most one token request', async ({ sandbox, client }) => {
    const p = sandbox.population[0]!;
    const ok = await client.verifyCitizen(verifyOf(p), CTX);
    assert.equal(ok.match, true);
    assert.equal(ok.found, true);
    assert.equal(ok.source, 'upstream');
    const wrong = await client.verifyCitizen({ ...verifyOf(p), fullName: 'Nguyễn Thị Không Khớp' }, CTX);
    assert.equal(wrong.match, false);
    if (wrong.detail === 'fields') assert.deepEqual([wrong.fields.fullName, wrong.fields.dateOfBirth], [false, true]);
    const missing = await client.verifyCitizen({ idNumber: '001099000001', fullName: 'Không Có', dateOfBirth: '1999' }, CTX);
    assert.equal(missing.match, false);
    const stats = sandbox.stats();
    assert.equal(stats.total, 3);
    assert.equal(stats.served, 3);
    assert.ok(stats.tokenRequests <= 1, 'one token for all');
  });

  add('verify: a legacy 9-digit number is answered like its 12-digit one', async ({ sandbox, client }) => {
    const p = sandbox.population.find((c) => c.legacyIdNumber !== undefined)!;
    const r = await client.verifyCitizen({ ...verifyOf(p), idNumber: p.legacyIdNumber! }, CTX);
    assert.equal(r.match, true);
  });

  add('lookup by number, name and date: only the fields asked for; a wrong name finds nothing', async ({ sandbox, client }) => {
    const p = sandbox.population[1]!;
    const r = await client.lookupCitizen(lookupOf(p), { ...LOOKUP_CTX, fields: ['fullName', 'permanentAddress'] });
    assert.equal(r.found, true);
    assert.deepEqual(r.citizen, { fullName: p.fullName, permanentAddress: p.permanentAddress });
    const none = await client.lookupCitizen({ ...lookupOf(p), fullName: 'Trần Văn Khác' }, { ...LOOKUP_CTX, fields: ['fullName'] });
    assert.equal(none.found, false);
    assert.equal(none.citizen, null);
  });

  if (profile.extraOperations?.['XacMinhThongTinChuHo']) {
    add('XacMinhThongTinChuHo through client.call: the head of the household', async ({ sandbox, client }) => {
      const member = sandbox.population[4]!; // households are runs of three: its head is population[3]
      const r = await client.call<{ found: boolean; head: { idNumber?: string } | null; isHead: boolean }>('XacMinhThongTinChuHo', verifyOf(member), { ...CTX, purpose: { code: 'CT-CHUHO' } });
      assert.equal(r.found, true);
      assert.equal(r.answer.head?.idNumber, sandbox.population[3]!.idNumber);
      assert.equal(r.answer.isHead, false);
    });
  }

  add('an expired token is refreshed once and the call retried (a signing profile needs no refresh)', async ({ sandbox, client }) => {
    const [a, b] = sandbox.population;
    await client.verifyCitizen(verifyOf(a!), CTX);
    sandbox.expireTokens();
    assert.equal((await client.verifyCitizen(verifyOf(b!), CTX)).match, true);
    assert.ok(sandbox.stats().tokenRequests <= 2);
  });

  add('wrong credentials: ERR_UNAUTHORIZED, no retry loop', async ({ sandbox }) => {
    const wrong = createClient({
      baseUrl: sandbox.url, credentials: { clientId: sandbox.credentials.clientId, clientSecret: 'Wrong-7f3c!Zq9-xK2p' }, profile,
      system: { id: 'contract', unitCode: 'U1', version: '1' }, purposes: SANDBOX_PURPOSES, audit: { sink: new MemoryAuditSink() },
    });
    try {
      assert.equal((await rejection(wrong.verifyCitizen(verifyOf(sandbox.population[0]!), CTX))).code, 'ERR_UNAUTHORIZED');
      assert.ok(sandbox.stats().total + sandbox.stats().tokenRequests <= 3);
    } finally {
      await wrong.close();
    }
  });

  add('purpose and operator refused upstream: typed errors', async ({ sandbox, client }) => {
    const p = sandbox.population[0]!;
    assert.equal((await rejection(client.verifyCitizen(verifyOf(p), CTX))).code, 'ERR_UPSTREAM_PURPOSE_REFUSED');
    sandbox.reset();
    const other = await rejection(client.verifyCitizen(verifyOf(p), { ...CTX, purpose: { code: 'DD-CAPGCN' } }));
    assert.equal(other.code, 'ERR_UPSTREAM_OPERATOR_REFUSED');
  }, { licensedPurposes: ['DD-CAPGCN'], permittedOperators: ['someone-else'] });

  add('throttled: ERR_UPSTREAM_RATE_LIMITED with a wait, then the shared stop refuses locally', async ({ sandbox, client }) => {
    const [a, b, c] = sandbox.population;
    await client.verifyCitizen(verifyOf(a!), CTX);
    const err = await rejection(client.verifyCitizen(verifyOf(b!), CTX));
    assert.equal(err.code, 'ERR_UPSTREAM_RATE_LIMITED');
    assert.ok(typeof err['retryAfterMs'] === 'number' && err['retryAfterMs'] > 0);
    const before = sandbox.stats().total;
    assert.ok(isDancuError(await rejection(client.verifyCitizen(verifyOf(c!), CTX))));
    assert.equal(sandbox.stats().total, before, 'nothing sent while stopped');
  }, { perMinuteLimit: 1 }, { retry: { attempts: 1 } });

  add('locked: ERR_UPSTREAM_LOCKED, nothing more sent', async ({ sandbox, client }) => {
    const [a, b, c] = sandbox.population;
    await client.verifyCitizen(verifyOf(a!), CTX);
    assert.equal((await rejection(client.verifyCitizen(verifyOf(b!), CTX))).code, 'ERR_UPSTREAM_LOCKED');
    const before = sandbox.stats().total;
    await rejection(client.verifyCitizen(verifyOf(c!), CTX));
    assert.equal(sandbox.stats().total, before);
  }, { lockThreshold: 1 });

  add('a 5xx is retried and succeeds; a malformed answer is ERR_UPSTREAM_RESPONSE', async ({ sandbox, client }) => {
    sandbox.inject('503');
    assert.equal((await client.verifyCitizen(verifyOf(sandbox.population[0]!), CTX)).match, true);
    assert.equal(sandbox.stats().total, 2);
    sandbox.inject('malformed');
    assert.equal((await rejection(client.verifyCitizen(verifyOf(sandbox.population[1]!), CTX))).code, 'ERR_UPSTREAM_RESPONSE');
  }, {}, { retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 5 }, breaker: false });

  return cases;
}

/** Run every case of the contract; throws an `AggregateError` naming the failed cases, else returns the report. */
export async function runProfileContract(options: ProfileContractOptions): Promise<ContractReport> {
  const report: ContractReport = { passed: [], failed: [] };
  for (const c of profileContract(options)) {
    try {
      await c.run();
      report.passed.push(c.name);
    } catch (error) {
      report.failed.push({ name: c.name, error });
    }
  }
  if (report.failed.length > 0) {
    throw new AggregateError(report.failed.map((f) => f.error), `profile contract: ${report.failed.length} case(s) failed: ${report.failed.map((f) => f.name).join('; ')}`);
  }
  return report;
}
