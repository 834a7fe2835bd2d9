#!/usr/bin/env node
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { deriveAuditKeys } from '../audit/keys.js';
import { readEvents, verifyDirectory, verifyPostgres } from '../audit/verify.js';
import { reportCsv, reportHtml, reportTable, summarise } from '../audit/report.js';
import { VERSION } from '../version.js';
import { runTour } from './tour.js';
import { doctor, doctorLines, loadDeploymentFile } from './doctor.js';
import { demoExitCode, runReplays, SCENARIOS, type ScenarioId } from './replays.js';
import { createSandbox } from '../testing/index.js';

const HELP = `dancu ${VERSION} — compliant client for the CSDLQG dân cư verification API

Usage: dancu <command> [options]

Commands:
  demo           Replay the incidents (Hải Dương, Quảng Trị, Long An, Đồng Nai/Bình Thuận) against an
                 embedded sandbox, naive vs dancu (exit 0 only if every verdict holds)
  tour           A short tour of the SDK's guarantees against the sandbox (exit 0 only if every check holds)
  sandbox        Run the sandbox upstream (reference profile) over HTTP on 127.0.0.1
  doctor         Check a deployment config against the regulators' checklist
  audit verify   Verify an audit trail directory (hash chain, sequence, signed checkpoints)
  audit report   Summarise a trail by day, operator, purpose and outcome (table, CSV or HTML)

Run "dancu <command> --help" for the options of a command.`;

const SANDBOX_HELP = `Usage: dancu sandbox [options]

Runs the sandbox upstream until interrupted (Ctrl-C). Prints its URL and client credentials.

Options:
  --port <n>         Port to listen on (default 4010; 0 = any free port)
  --host <addr>      Loopback address to bind (default 127.0.0.1)
  --threshold <n>    Daily queries (Vietnam day) before the account is locked (default 10000)
  --per-minute <n>   Queries per minute before 429 + Retry-After (default: no limit)
  --population <n>   Number of citizens (default 500)
  --seed <n>         Seed of the population (default 2026)
  --latency <ms>     Added latency per answer (default 0)
  --help             Show this help`;

const DEMO_HELP = `Usage: dancu demo [options]

Replays each incident from the regulators' letters against a sandbox on 127.0.0.1 (lock at 10,000
queries per Vietnam day) twice: with a naive client (plain fetch to the reference API) and through
dancu with a sensible configuration. Prints a table: upstream requests, locked or not, calls
answered and refused (by reason), audit events (the trail is verified), and the verdict. Naive runs
must reproduce the incident; dancu runs must prevent it and still answer the legitimate calls.
Exits 0 only if every verdict holds. Takes about 40 s on 2 cores. Within 10 min × scale of a
Vietnam midnight (when the sandbox lifts a lock and restarts its count) the replays run on a clock
set back 10 min × scale, and the report says so (clockShiftMs in --json).

Scenarios: ${SCENARIOS.join(', ')}

Options:
  --scenario <list>  Comma-separated scenarios to run (default: all)
  --scale <n>        Multiply the traffic by n (whole number, default 1)
  --json             Print the report as JSON (no table, no progress bar)
  --help             Show this help`;

const DOCTOR_HELP = `Usage: dancu doctor --config <file.json> [options]

Checks a deployment configuration (the options of createClient as JSON, secrets as "\${ENV_VAR}"
references, stores declared as { "redis": "<url>" } / { "postgres": "<url>" } / { "jsonl": {
"directory" } }, and "deployment": { "instances", "auditRetentionDays" }) against the regulators'
checklist: options valid (the same schema as createClient), secrets from the environment, no weak,
default or expired secret, purposes with a legal basis, a durable fail-closed signed audit trail,
log retention, quota below the lock threshold with a margin, shared stores for several instances,
TLS, and the guards. Each line is PASS, WARN or FAIL with the reason. Nothing connects anywhere and
no secret is printed. Exit 1 if any check fails. See examples/deployment/dancu.config.json.

Options:
  --config <file>    The deployment file (JSON)
  --json             Print the checks as JSON
  --help             Show this help`;

const TOUR_HELP = `Usage: dancu tour [options]

Starts the sandbox in process and shows the SDK at work: verifications over HTTP, impossible input
and an unregistered purpose refused with no upstream traffic, a minimised lookup, the re-verification
storm collapsed by the cache, the quota stopping below the lock, the lock reported as
ERR_UPSTREAM_LOCKED, and the audit trail verified. Exits 0 only if every check holds. Within
10 min of a Vietnam midnight (when a lock lifts) it runs on a clock set back 10 min, and says so.

Options:
  --threshold <n>    Lock threshold of the tour's sandbox (default 25)
  --json             Print the result as JSON
  --help             Show this help`;

function int(value: string | undefined, name: string, fallback: number | undefined): number | undefined {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new Error(`--${name} takes a whole number, got "${value}"`);
  return Number(value);
}

const AUDIT_VERIFY_HELP = `Usage: dancu audit verify <directory | postgres://…> [options]

Checks every chain in the directory (or the one chain, given an instance directory): each event
parses, has the next seq, links to the previous hash and hashes to its own; every signed checkpoint
matches its event and none is beyond the end. Reports the first bad seq of each chain and why
(unparseable, altered, missing, reordered, inserted, truncated, bad_checkpoint). Exit 1 if any
chain is bad. A torn last line (a write cut by a crash, never acknowledged) is a warning.

Options:
  --secret <s>        audit.secret of the writer, to check checkpoint signatures
  --secret-file <f>   read the secret from a file instead
  --key-id <id>       audit.keyId (default k1)
  --table <name>      PostgreSQL table (default dancu_audit)
  --json              print the reports as JSON
  --help              show this help`;

async function auditVerify(rest: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: rest, allowPositionals: true,
    options: { secret: { type: 'string' }, 'secret-file': { type: 'string' }, 'key-id': { type: 'string' }, table: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean' } },
  });
  if (values.help || positionals.length !== 1) {
    console.log(AUDIT_VERIFY_HELP);
    return values.help ? 0 : 2;
  }
  const secret = values['secret-file'] ? (await readFile(values['secret-file'], 'utf8')).trim() : values.secret;
  const key = secret === undefined ? undefined : deriveAuditKeys(secret, values['key-id'] ?? 'k1').checkpoint;
  const target = positionals[0]!;
  let reports: Awaited<ReturnType<typeof verifyDirectory>>;
  if (/^postgres(ql)?:\/\//.test(target)) {
    reports = await withPool(target, (pool) => verifyPostgres(pool, values.table ?? 'dancu_audit', key));
  } else reports = await verifyDirectory(target, key);
  const ok = reports.length > 0 && reports.every((r) => r.ok);
  if (values.json) console.log(JSON.stringify({ ok, chains: reports }, null, 2));
  else {
    if (reports.length === 0) console.log(`no audit chain found in ${positionals[0]}`);
    for (const r of reports) {
      console.log(`${r.ok ? 'OK ' : 'BAD'} ${r.instance}: ${r.events} events, last seq ${r.lastSeq}, ${r.checkpoints} checkpoints`);
      if (r.problem) console.log(`    first bad seq ${r.problem.seq}: ${r.problem.reason} — ${r.problem.message}${r.problem.file ? ` (${r.problem.file}:${r.problem.line})` : ''}`);
      for (const w of r.warnings) console.log(`    warning: ${w}`);
    }
  }
  return ok ? 0 : 1;
}

const AUDIT_REPORT_HELP = `Usage: dancu audit report <directory | postgres://…> [options]

Summarises a trail by Vietnam day, operator, purpose and outcome: requests that left for the
upstream, answers from the cache, local refusals, failures.

Options:
  --format <f>     table (default), csv or html (self-contained: daily use against the budget, requests per operator)
  --out <file>     write to a file instead of standard output
  --table <name>   PostgreSQL table (default dancu_audit)
  --help           show this help`;

async function withPool<T>(url: string, fn: (pool: import('../audit/postgres-sink.js').SqlClient) => Promise<T>): Promise<T> {
  const pg = await import('pg').catch(() => {
    throw new Error('reading a PostgreSQL trail needs the pg package: npm install pg');
  });
  const pool = new pg.default.Pool({ connectionString: url, max: 1 });
  try {
    return await fn(pool);
  } finally {
    await pool.end();
  }
}

async function auditReport(rest: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: rest, allowPositionals: true,
    options: { format: { type: 'string' }, out: { type: 'string' }, table: { type: 'string' }, help: { type: 'boolean' } },
  });
  if (values.help || positionals.length !== 1) {
    console.log(AUDIT_REPORT_HELP);
    return values.help ? 0 : 2;
  }
  const target = positionals[0]!;
  const events = /^postgres(ql)?:\/\//.test(target)
    ? await withPool(target, (pool) => readEvents({ pool, table: values.table ?? 'dancu_audit' }))
    : await readEvents({ directory: target });
  const report = summarise(events);
  const format = values.format ?? 'table';
  const text = format === 'csv' ? reportCsv(report) : format === 'html' ? reportHtml(report) : format === 'table' ? `${reportTable(report)}\n` : undefined;
  if (text === undefined) throw new Error(`--format takes table, csv or html, got "${format}"`);
  if (values.out) await writeFile(values.out, text);
  else process.stdout.write(text);
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    console.log(HELP);
    return command === undefined ? 1 : 0;
  }
  if (command === '--version' || command === '-v') {
    console.log(VERSION);
    return 0;
  }
  if (command === 'demo') {
    const { values } = parseArgs({ args: rest, options: { scenario: { type: 'string' }, scale: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean' } } });
    if (values.help) return console.log(DEMO_HELP), 0;
    const scenarios = values.scenario?.split(',').map((s) => s.trim());
    const unknown = scenarios?.filter((s) => !(SCENARIOS as readonly string[]).includes(s)) ?? [];
    if (unknown.length > 0) throw new Error(`Unknown scenario(s): ${unknown.join(', ')}. Choose from ${SCENARIOS.join(', ')}.`);
    const scale = int(values.scale, 'scale', 1)!;
    if (scale < 1) throw new Error('--scale must be at least 1');
    const report = await runReplays({
      json: values.json ?? false,
      scale,
      progress: process.stderr,
      ...(scenarios ? { scenarios: scenarios as ScenarioId[] } : {}),
    });
    return demoExitCode(report);
  }
  if (command === 'doctor') {
    const { values } = parseArgs({ args: rest, options: { config: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean' } } });
    if (values.help) return console.log(DOCTOR_HELP), 0;
    if (!values.config) {
      console.error(`--config <file> is required.\n\n${DOCTOR_HELP}`);
      return 2;
    }
    const checks = doctor(await loadDeploymentFile(values.config));
    if (values.json) console.log(JSON.stringify({ ok: checks.every((c) => c.level !== 'fail'), checks }, null, 2));
    else for (const line of doctorLines(checks)) console.log(line);
    return checks.some((c) => c.level === 'fail') ? 1 : 0;
  }
  if (command === 'tour') {
    const { values } = parseArgs({ args: rest, options: { threshold: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean' } } });
    if (values.help) return console.log(TOUR_HELP), 0;
    const ok = await runTour({ json: values.json ?? false, threshold: int(values.threshold, 'threshold', 25)! });
    return ok ? 0 : 1;
  }
  if (command === 'sandbox') {
    const { values } = parseArgs({
      args: rest,
      options: {
        port: { type: 'string' }, host: { type: 'string' }, threshold: { type: 'string' }, 'per-minute': { type: 'string' },
        population: { type: 'string' }, seed: { type: 'string' }, latency: { type: 'string' }, help: { type: 'boolean' },
      },
    });
    if (values.help) return console.log(SANDBOX_HELP), 0;
    const perMinute = int(values['per-minute'], 'per-minute', undefined);
    const sandbox = await createSandbox({
      host: values.host ?? '127.0.0.1',
      port: int(values.port, 'port', 4010)!,
      lockThreshold: int(values.threshold, 'threshold', 10_000)!,
      populationSize: int(values.population, 'population', 500)!,
      seed: int(values.seed, 'seed', 2026)!,
      latencyMs: int(values.latency, 'latency', 0)!,
      ...(perMinute === undefined ? {} : { perMinuteLimit: perMinute }),
    });
    console.log(`dancu sandbox listening on ${sandbox.url}`);
    console.log(`  clientId:     ${sandbox.credentials.clientId}`);
    console.log(`  clientSecret: ${sandbox.credentials.clientSecret}   (sandbox-only credentials)`);
    const c = sandbox.population[0]!;
    console.log(`  e.g. citizen: ${c.idNumber} ${c.fullName} ${c.dateOfBirth}`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await sandbox.close();
    console.log(`\nstopped; upstream saw: ${JSON.stringify(sandbox.stats())}`);
    return 0;
  }
  if (command === 'audit') {
    const [sub, ...more] = rest;
    if (sub === 'verify') return auditVerify(more);
    if (sub === 'report') return auditReport(more);
    console.log(AUDIT_VERIFY_HELP);
    return sub === '--help' ? 0 : 2;
  }
  console.error(`Unknown command "${command}".\n\n${HELP}`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 2;
  },
);
