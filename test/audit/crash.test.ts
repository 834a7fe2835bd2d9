/**
 * 100 runs: a child process writing audited calls is killed with SIGKILL at a random moment. After
 * each, a new writer opens the trail (sealing a torn last line, closing open intents as unknown),
 * `dancu audit verify` passes — with the public key and the witness the child's checkpoints (by
 * count and by time) were relayed to — and every call the child had acknowledged has its intent on
 * disk. Every fifth run also tears the last checkpoint line, as a power loss would: verify, run
 * before any writer recovers the trail, still reports the chain.
 */
import { fork } from 'node:child_process';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, JsonlAuditSink } from '../../src/index.js';
import { DirectoryWitness, generateAuditKeyPair, verifyDirectory } from '../../src/audit/index.js';
import { createSandbox, SANDBOX_PURPOSES, seededRandom, type Sandbox } from '../../src/testing/index.js';

const SECRET = 'crash-test-secret-0123456789-abcdefghij';
const RUNS = 100;
const PARALLEL = 4;
let sandbox: Sandbox;
let root = '';
const PAIR = generateAuditKeyPair();

beforeAll(async () => {
  sandbox = await createSandbox({ populationSize: 50, lockThreshold: 1e9 });
  root = await mkdtemp(join(tmpdir(), 'dancu-crash-'));
  await writeFile(join(root, 'signing.key'), PAIR.privateKey, { mode: 0o600 });
});
afterAll(async () => {
  await sandbox?.close();
  await rm(root, { recursive: true, force: true });
});

async function oneRun(run: number, killAfterMs: number): Promise<{ acked: number; torn: number; dangling: number; witnessed: number }> {
  const dir = join(root, `run-${run}`);
  const witnessDir = join(root, `witness-${run}`);
  const citizens = JSON.stringify(sandbox.population.map(({ idNumber, fullName, dateOfBirth }) => ({ idNumber, fullName, dateOfBirth })));
  const child = fork(new URL('./crash-child.ts', import.meta.url).pathname,
    [sandbox.url, sandbox.credentials.clientId, sandbox.credentials.clientSecret, dir, citizens, join(root, 'signing.key'), witnessDir],
    { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const acked: string[] = [];
  child.on('message', (id: string) => acked.push(id));
  // Wait for the first acknowledged call, then kill at a random moment after it.
  for (let i = 0; i < 400 && acked.length === 0; i++) await sleep(25);
  await sleep(killAfterMs);
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
  const ackedAtKill = [...acked];
  const witness = new DirectoryWitness(witnessDir);
  if (run % 5 === 0) {
    await appendFile(join(dir, 'child', 'checkpoints.jsonl'), '{"v":2,"kind":"head","instance":"child","seq":9');
    const before = await verifyDirectory(dir, { publicKey: PAIR.publicKey, witness });
    expect(before, JSON.stringify(before)).toHaveLength(1);
    expect(before[0]!.warnings.join(), JSON.stringify(before)).toContain('torn last checkpoint line');
    expect(before[0], JSON.stringify(before)).toMatchObject({ ok: true });
  }

  // The next process to use the trail recovers it: a client with the same instance name.
  const next = createClient({
    baseUrl: sandbox.url, credentials: sandbox.credentials, system: { id: 'crash-test', unitCode: 'TEST', version: '1' },
    purposes: SANDBOX_PURPOSES, audit: { directory: dir, instance: 'child', secret: SECRET, signingKey: PAIR.privateKey, witness },
  });
  await next.verifyCitizen(JSON.parse(citizens)[0], { purpose: { code: 'HT-KHAISINH' }, operator: { id: 'cb.next', ip: '10.9.9.8' } });
  await next.close();

  const reports = await verifyDirectory(dir, { publicKey: PAIR.publicKey, witness });
  expect(reports, JSON.stringify(reports)).toHaveLength(1);
  expect(reports[0], JSON.stringify(reports[0])).toMatchObject({ ok: true });
  const text = (await Promise.all((await JsonlAuditSink.dayFiles(join(dir, 'child'))).map((f) => readFile(f, 'utf8')))).join('');
  const intents = new Set(text.split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((e) => e.type === 'lookup.intent').map((e) => e.requestId));
  const lost = ackedAtKill.filter((id) => !intents.has(id));
  expect(lost, `run ${run}: acknowledged calls without their intent on disk`).toEqual([]);
  // Every intent the child left open was closed as unknown by the recovering writer.
  const events = text.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const closed = new Set(events.filter((e) => e.type === 'lookup.outcome').map((e) => e.intentId));
  expect(events.filter((e) => e.type === 'lookup.intent' && !closed.has(e.eventId))).toEqual([]);
  const recovered = events.find((e) => e.type === 'audit.recovered')?.detail ?? { tornBytes: 0, danglingIntents: 0 };
  return { acked: ackedAtKill.length, torn: recovered.tornBytes > 0 ? 1 : 0, dangling: recovered.danglingIntents, witnessed: reports[0]!.witnessed ?? 0 };
}

describe('crash safety of the JSONL trail', () => {
  it(`${RUNS} runs killed with SIGKILL at random moments: verify passes, no acknowledged intent lost`, async () => {
    const rnd = seededRandom(91);
    const totals = { acked: 0, torn: 0, dangling: 0, witnessed: 0 };
    for (let run = 0; run < RUNS; run += PARALLEL) {
      const results = await Promise.all(Array.from({ length: PARALLEL }, (_, k) => oneRun(run + k, Math.floor(rnd() * 150))));
      for (const r of results) {
        totals.acked += r.acked;
        totals.torn += r.torn;
        totals.dangling += r.dangling;
        totals.witnessed += r.witnessed;
      }
    }
    expect(totals.acked).toBeGreaterThan(RUNS); // the child really was working when killed
    expect(totals.dangling).toBeGreaterThan(0); // kills landed between intent and outcome
    expect(totals.witnessed).toBeGreaterThan(RUNS * 2); // genesis, the child's checkpoints, the next writer's
    console.log(`crash runs: ${RUNS}, acknowledged calls ${totals.acked}, runs with a torn tail ${totals.torn}, open intents closed ${totals.dangling}, checkpoints witnessed ${totals.witnessed}`);
  }, 600_000);
});
