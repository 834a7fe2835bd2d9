import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateAuditKeyPair } from '../audit/checkpoint.js';
import { verifyDirectory } from '../audit/verify.js';
import { createClient, isDancuError, type DancuClient } from '../index.js';
import { createSandbox, SANDBOX_PURPOSES, type Sandbox } from '../testing/index.js';
import type { Clock } from '../internal/time.js';
import { clockShiftLines, REPLAY_MARGIN_MS, replayClock } from './replays.js';

export interface TourOptions {
  /** Print JSON instead of text. */
  json?: boolean;
  /** Daily lock threshold of the demo sandbox (small, so the lock shows in seconds). */
  threshold?: number;
  write?: (line: string) => void;
  /** The real clock (default `Date.now`); set back, as the demo's, when a Vietnam midnight is near. */
  clock?: Clock;
}

interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

/**
 * The feature tour (`dancu tour`): a few verifications against the sandbox over real HTTP, impossible input
 * and an unregistered purpose refused with zero upstream traffic, a minimised lookup, and the
 * upstream lock made visible as `ERR_UPSTREAM_LOCKED`. Returns true when every check holds.
 */
export async function runTour(options: TourOptions = {}): Promise<boolean> {
  const write = options.write ?? ((l: string) => process.stdout.write(`${l}\n`));
  const threshold = options.threshold ?? 25;
  // The lock lasts until Vietnam midnight: a tour crossing it would see the lock lift (see runReplays).
  const { clock, shiftMs } = replayClock(options.clock ?? Date.now, REPLAY_MARGIN_MS);
  const sandbox = await createSandbox({ lockThreshold: threshold, populationSize: 200, clock });
  const auditDir = await mkdtemp(join(tmpdir(), 'dancu-demo-audit-'));
  const auditSecret = randomBytes(32).toString('hex');
  const signing = generateAuditKeyPair();
  await writeFile(join(auditDir, 'checkpoints.pub'), signing.publicKey);
  const client = createClient({
    baseUrl: sandbox.url,
    credentials: sandbox.credentials,
    system: { id: 'demo-mot-cua', unitCode: 'DEMO-UBND', version: '1.0.0' },
    purposes: SANDBOX_PURPOSES,
    audit: { directory: auditDir, instance: 'demo', secret: auditSecret, signingKey: signing.privateKey },
    clock,
  });
  const checks: Check[] = [];
  const text = !options.json;
  if (text) {
    write(`dancu tour — sandbox at ${sandbox.url} (lock threshold ${threshold}/day, Vietnam time)`);
    for (const line of clockShiftLines(shiftMs)) write(line);
    write('');
  }
  try {
    await scenario(client, sandbox, checks, threshold, auditDir, clock);
  } finally {
    await client.close();
    await sandbox.close();
  }
  // The trail of the whole demo: every call, refusal and cache hit, chained and checkpointed.
  const [trail] = await verifyDirectory(join(auditDir, 'demo'), { publicKey: signing.publicKey });
  checks.push({
    name: 'The audit trail records every call and verifies (hash chain + signed checkpoint)',
    ok: trail?.ok === true && trail.events > 40,
    detail: `${trail?.events ?? 0} events in ${join(auditDir, 'demo')}; verify: ${trail?.ok ? 'OK' : JSON.stringify(trail?.problem)} — try: dancu audit verify ${auditDir} --public-key ${join(auditDir, 'checkpoints.pub')}`,
  });
  const stats = sandbox.stats();
  const allOk = checks.every((c) => c.ok);
  if (options.json) {
    write(JSON.stringify({ ok: allOk, checks, upstream: stats, clockShiftMs: shiftMs }, null, 2));
  } else {
    for (const c of checks) write(`${c.ok ? '✓' : '✗'} ${c.name}\n    ${c.detail}`);
    write('\nWhat the sandbox upstream saw:');
    write(`  token requests ${stats.tokenRequests}, API requests ${stats.total} (served ${stats.served}, refused ${stats.refused})`);
    write(`  by purpose ${JSON.stringify(stats.byPurpose)}; by status ${JSON.stringify(stats.byStatus)}`);
    write(`  locked: ${stats.locked}${stats.lockedUntil ? ` until ${stats.lockedUntil}` : ''}`);
    write(`\n${allOk ? 'All checks hold.' : 'SOME CHECKS FAILED.'}`);
  }
  return allOk;
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (err) {
    return isDancuError(err) ? err.code : `non-dancu error: ${String(err)}`;
  }
}

async function scenario(client: DancuClient, sandbox: Sandbox, checks: Check[], threshold: number, auditDir: string, clock: Clock): Promise<void> {
  const ctx = { purpose: { code: 'HT-KHAISINH', dossierId: 'HS-DEMO-0001' }, operator: { id: 'cb.demo', ip: '10.10.0.5' } };
  const people = sandbox.population.slice(0, 5);

  // 1. Real verifications over HTTP: matches, and a mismatch on a wrong name.
  const results = await Promise.all(
    people.map((p) => client.verifyCitizen({ idNumber: p.idNumber, fullName: p.fullName, dateOfBirth: p.dateOfBirth }, ctx)),
  );
  const p0 = people[0]!;
  const wrong = await client.verifyCitizen({ idNumber: p0.idNumber, fullName: 'Tên Khác Hẳn', dateOfBirth: p0.dateOfBirth }, ctx);
  checks.push({
    name: 'Verifications over real HTTP',
    ok: results.every((r) => r.match) && !wrong.match && !wrong.fields.fullName,
    detail: `${results.filter((r) => r.match).length}/5 matched (e.g. ${results[0]!.subject}); a wrong name → match=false, fields.fullName=false`,
  });

  // 2. Impossible input refused locally: the birth year contradicts the ID number.
  let before = sandbox.stats().total;
  const badYear = await codeOf(
    client.verifyCitizen({ idNumber: p0.idNumber, fullName: p0.fullName, dateOfBirth: `${Number(p0.dateOfBirth.slice(0, 4)) - 1}` }, ctx),
  );
  checks.push({
    name: 'Birth year contradicting the ID number is refused before the network',
    ok: badYear === 'ERR_INPUT_INVALID' && sandbox.stats().total === before,
    detail: `${badYear}; upstream requests added: ${sandbox.stats().total - before}`,
  });

  // 3. Long An: a purpose that is not registered never leaves the process.
  before = sandbox.stats().total;
  const unregistered = await codeOf(
    client.verifyCitizen(
      { idNumber: p0.idNumber, fullName: p0.fullName, dateOfBirth: p0.dateOfBirth },
      { ...ctx, purpose: { code: 'THUONG-MAI-KHAC' } },
    ),
  );
  checks.push({
    name: 'Unregistered purpose refused with no upstream traffic',
    ok: unregistered === 'ERR_PURPOSE_NOT_REGISTERED' && sandbox.stats().total === before,
    detail: `${unregistered}; upstream requests added: ${sandbox.stats().total - before}`,
  });

  // 4. Minimised lookup: only the fields asked for (and allowed) come back.
  const lookup = await client.lookupCitizen(
    { idNumber: p0.idNumber },
    { purpose: { code: 'DD-CAPGCN', dossierId: 'HS-DEMO-0002' }, operator: ctx.operator, fields: ['fullName'] },
  );
  const refusedField = await codeOf(
    client.lookupCitizen({ idNumber: p0.idNumber }, { purpose: { code: 'DD-CAPGCN' }, operator: ctx.operator, fields: ['religion'] }),
  );
  checks.push({
    name: 'Lookup returns only the fields asked for and allowed',
    ok: JSON.stringify(Object.keys(lookup.citizen ?? {})) === '["fullName"]' && refusedField === 'ERR_PURPOSE_FIELD',
    detail: `returned fields ${JSON.stringify(Object.keys(lookup.citizen ?? {}))}; asking for "religion" → ${refusedField}`,
  });

  // 5. Hải Dương: the same citizen re-verified at login, two submissions and three syncs, typed
  //    differently each time (NFD, upper case, doubled spaces) → one upstream call, six answers.
  before = sandbox.stats().total;
  const p1 = sandbox.population[50]!; // not verified before
  const spellings = [
    p1.fullName,
    p1.fullName.normalize('NFD'),
    p1.fullName.toLocaleUpperCase('vi'),
    p1.fullName.replace(/ /g, '  '),
    ` ${p1.fullName.toLocaleLowerCase('vi')} `,
    p1.fullName.normalize('NFD').toLocaleUpperCase('vi'),
  ];
  const storm = await Promise.all(
    spellings.map((fullName) => client.verifyCitizen({ idNumber: p1.idNumber, fullName, dateOfBirth: p1.dateOfBirth }, ctx)),
  );
  const again = await client.verifyCitizen({ idNumber: p1.idNumber, fullName: p1.fullName, dateOfBirth: p1.dateOfBirth }, ctx);
  checks.push({
    name: 'Re-verification storm: 7 calls for one citizen, 1 upstream request',
    ok: storm.every((r) => r.match) && again.source === 'cache' && sandbox.stats().total - before === 1,
    detail: `sources ${[...storm, again].map((r) => r.source).join(', ')}; upstream requests added: ${sandbox.stats().total - before}`,
  });

  // 6. Hải Dương with the quota told the real threshold: the same loop stops below the lock.
  const guarded = await createSandbox({ lockThreshold: threshold, populationSize: 50, clock });
  const careful = createClient({
    baseUrl: guarded.url,
    credentials: guarded.credentials,
    system: { id: 'demo-mot-cua', unitCode: 'DEMO-UBND', version: '1.0.0' },
    purposes: SANDBOX_PURPOSES,
    quota: { lockThreshold: threshold, safetyMargin: 0.2 },
    audit: { directory: auditDir, instance: 'demo-careful' },
    clock,
  });
  const refusedByQuota: string[] = [];
  try {
    for (let i = 0; i < threshold + 5; i++) {
      const p = guarded.population[i % guarded.population.length]!;
      const code = await codeOf(careful.verifyCitizen({ idNumber: p.idNumber, fullName: p.fullName, dateOfBirth: p.dateOfBirth }, ctx));
      if (code !== 'resolved') refusedByQuota.push(code);
    }
  } finally {
    await careful.close();
    await guarded.close();
  }
  const g = guarded.stats();
  checks.push({
    name: 'With the quota set to the threshold (margin 20%), the same loop stops below the lock',
    ok: !g.locked && g.total === Math.floor(threshold * 0.8) && refusedByQuota.every((c) => c === 'ERR_QUOTA_EXCEEDED'),
    detail: `upstream saw ${g.total} of ${threshold}; ${refusedByQuota.length} calls refused locally with ERR_QUOTA_EXCEEDED; locked: ${g.locked}`,
  });

  // 7. The same loop with the default quota (9,000/day, far above this sandbox's small threshold):
  //    the upstream locks the account and the SDK reports the lock as such.
  let lockedCode = '';
  for (let i = 0; i < threshold + 5 && lockedCode === ''; i++) {
    const p = sandbox.population[100 + (i % 100)]!; // citizens not verified before: no cache hit
    const code = await codeOf(client.verifyCitizen({ idNumber: p.idNumber, fullName: p.fullName, dateOfBirth: p.dateOfBirth }, ctx));
    if (code !== 'resolved') lockedCode = code;
  }
  const stats = sandbox.stats();
  checks.push({
    name: 'Past the daily threshold the lock is reported as ERR_UPSTREAM_LOCKED',
    ok: lockedCode === 'ERR_UPSTREAM_LOCKED' && stats.locked,
    detail: `${lockedCode} after ${stats.dayCount - 1} queries today; locked until ${stats.lockedUntil ?? '?'} (next Vietnam midnight)`,
  });
}
