import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonlAuditSink } from '../audit/jsonl-sink.js';
import { generateAuditKeyPair } from '../audit/checkpoint.js';
import { verifyDirectory } from '../audit/verify.js';
import { createClient, isDancuError, type CallContext, type DancuClient, type DancuClientOptions } from '../index.js';
import { REFERENCE_PATHS } from '../transport/reference-profile.js';
import { createSandbox, SANDBOX_PURPOSES, type Sandbox, type SandboxCitizen } from '../testing/index.js';

import type { ReplayOptions, RunResult, ScenarioId, ReplayReport } from './replay-types.js';

export const LOCK = 10_000;
export const SYSTEM = { id: 'mot-cua-tinh', unitCode: 'UBND-TINH', version: '4.2.0' };
export const VERIFY = 'HT-KHAISINH';
export type Progress = { add(n: number): void; label(text: string): void; done(): void };
export type Faults = NonNullable<ReplayOptions['faults']>;

export interface Outcome {
  ok: boolean;
  reason?: string;
}
export type Run = Omit<RunResult, 'verdict'> & { upstreamMisuse?: number; alerts?: number; auditOk?: boolean };

/**
 * The verdict of a run. A dancu run holds only with a verified trail as well: an incident
 * "prevented" without the record a regulator asks for is not prevented.
 */
export function judge(run: Run, ok: boolean, text: string): RunResult {
  const { upstreamMisuse: _m, alerts: _a, auditOk, ...rest } = run;
  if (run.client === 'dancu' && auditOk !== true) return { ...rest, verdict: { ok: false, text: `${text}; but the audit trail did NOT verify` } };
  return { ...rest, verdict: { ok, text } };
}

/** The process exit code of `dancu demo`: 0 only when every verdict holds. */
export function demoExitCode(report: Pick<ReplayReport, 'ok'>): 0 | 1 {
  return report.ok ? 0 : 1;
}

/** Flip one byte in the middle of the first day file of a trail (a fault for the verdict tests). */
export async function flipAByte(chainDir: string): Promise<void> {
  const [file] = await JsonlAuditSink.dayFiles(chainDir);
  if (file === undefined) return;
  const bytes = await readFile(file);
  const at = Math.floor(bytes.length / 2);
  bytes[at] = bytes[at] === 0x41 ? 0x42 : 0x41;
  await writeFile(file, bytes);
}

export function tally(scenario: ScenarioId, client: 'naive' | 'dancu', sandbox: Sandbox, outcomes: Outcome[], licensed?: readonly string[]): Run {
  const stats = sandbox.stats();
  const refused: Record<string, number> = {};
  for (const o of outcomes) if (!o.ok) refused[o.reason!] = (refused[o.reason!] ?? 0) + 1;
  const misuse = licensed ? Object.entries(stats.byPurpose).filter(([code]) => !licensed.includes(code)).reduce((n, [, v]) => n + v, 0) : undefined;
  return {
    scenario,
    client,
    upstreamRequests: stats.total,
    locked: stats.locked,
    calls: outcomes.length,
    succeeded: outcomes.filter((o) => o.ok).length,
    refused,
    auditEvents: 0,
    ...(misuse === undefined ? {} : { upstreamMisuse: misuse }),
  };
}

export type NaiveCall = (c: Pick<SandboxCitizen, 'idNumber' | 'fullName' | 'dateOfBirth'>, who: { id: string; ip: string }, purpose: string) => Promise<Outcome>;

/** The naive integration: plain `fetch` against the reference API, no purpose check, no dedup, no quota. */
export async function naiveRun(
  faults: Faults,
  scenario: ScenarioId,
  sandboxOptions: Parameters<typeof createSandbox>[0],
  body: (s: Sandbox, call: NaiveCall) => Promise<Outcome[]>,
): Promise<Run> {
  const sandbox = await createSandbox({ lockThreshold: faults.naiveLockThreshold ?? LOCK, ...sandboxOptions });
  try {
    const basic = Buffer.from(`${sandbox.credentials.clientId}:${sandbox.credentials.clientSecret}`).toString('base64');
    const t = await fetch(new URL(REFERENCE_PATHS.token, sandbox.url), {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    const { access_token: token } = (await t.json()) as { access_token: string };
    const url = new URL(REFERENCE_PATHS.verify, sandbox.url);
    let n = 0;
    const call: NaiveCall = async (c, who, purpose) => {
      const res = await fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          MaYeuCau: `naive-${++n}`, MaDVC: purpose, MaDonVi: SYSTEM.unitCode, MaHeThong: SYSTEM.id, MaCanBo: who.id, DiaChiIP: who.ip,
          SoDinhDanh: c.idNumber, HoVaTen: c.fullName, NgayThangNamSinh: c.dateOfBirth,
        }),
      });
      await res.arrayBuffer();
      return res.status === 200 ? { ok: true } : { ok: false, reason: String(res.status) };
    };
    const outcomes = await body(sandbox, call);
    return tally(scenario, 'naive', sandbox, outcomes, sandboxOptions?.licensedPurposes);
  } finally {
    await sandbox.close();
  }
}

export function baseOptions(s: { url: string; credentials: { clientId: string; clientSecret: string } }, extra: Partial<DancuClientOptions>): DancuClientOptions {
  return { baseUrl: s.url, credentials: s.credentials, system: SYSTEM, purposes: SANDBOX_PURPOSES, ...extra };
}

/**
 * dancu with the configuration a province would deploy: registered purposes, default quota (9,000 a
 * Vietnam day), cache, guards, and a durable, signed audit trail that is verified after the run.
 */
export async function dancuRun(
  faults: Faults,
  scenario: ScenarioId,
  sandboxOptions: Parameters<typeof createSandbox>[0],
  extra: Partial<DancuClientOptions>,
  body: (s: Sandbox, client: DancuClient) => Promise<Outcome[]>,
): Promise<Run> {
  const sandbox = await createSandbox({ lockThreshold: LOCK, ...sandboxOptions });
  const dir = await mkdtemp(join(tmpdir(), `dancu-replay-${scenario}-`));
  const secret = randomBytes(32);
  const signing = generateAuditKeyPair(); // checkpoints an auditor checks with the public key alone
  let alerts = 0;
  const client = createClient(baseOptions(sandbox, {
    ...(sandboxOptions?.clock ? { clock: sandboxOptions.clock } : {}), // the sandbox's: one day for both
    audit: { directory: dir, instance: scenario, secret, signingKey: signing.privateKey },
    ...extra,
    guards: { ...(faults.dancuGuards ?? extra.guards), onAlert: () => void alerts++ },
  }));
  try {
    const outcomes = await body(sandbox, client);
    await client.close();
    if (faults.tamperTrail) await flipAByte(join(dir, scenario));
    const [trail] = await verifyDirectory(join(dir, scenario), { publicKey: signing.publicKey });
    const run = tally(scenario, 'dancu', sandbox, outcomes, sandboxOptions?.licensedPurposes);
    if (!trail?.ok) run.refused['AUDIT TRAIL INVALID'] = 1;
    return { ...run, auditEvents: trail?.ok ? trail.events : 0, alerts, auditOk: trail?.ok === true };
  } finally {
    await client.close();
    await sandbox.close();
    await rm(dir, { recursive: true, force: true });
  }
}

export async function verify(client: DancuClient, c: Pick<SandboxCitizen, 'idNumber' | 'fullName' | 'dateOfBirth'>, who: { id: string; ip: string }, purpose: string): Promise<Outcome> {
  const ctx: CallContext = { purpose: { code: purpose }, operator: who };
  try {
    await client.verifyCitizen({ idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth }, ctx);
    return { ok: true };
  } catch (err) {
    return { ok: false, reason: isDancuError(err) ? err.code : 'non-dancu error' };
  }
}

/** Run `fn` over `items` with at most `concurrency` in flight; results in order. */
export async function pool<T, R>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  }));
  return out;
}

/** A seeded Fisher–Yates shuffle (the same order every run). */
export function shuffle<T>(items: T[], seed: number): T[] {
  let a = seed >>> 0;
  const random = () => ((a = (a * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/** A progress bar on a terminal; nothing otherwise (CI logs stay clean). */
export function bar(total: number, stream: NodeJS.WriteStream | undefined): Progress {
  if (!stream?.isTTY) return { add() {}, label() {}, done() {} };
  let done = 0;
  let text = '';
  let last = 0;
  const draw = (force = false) => {
    const now = Date.now();
    if (!force && now - last < 80) return;
    last = now;
    const width = 30;
    const filled = Math.round((Math.min(done, total) / total) * width);
    stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.floor((Math.min(done, total) / total) * 100)).padStart(3)}% ${text.padEnd(34)}`);
  };
  return {
    add(n) {
      done += n;
      draw();
    },
    label(t) {
      text = t;
      draw(true);
    },
    done() {
      stream.write(`\r${' '.repeat(80)}\r`);
    },
  };
}

