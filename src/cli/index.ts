#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { auditCommand } from './audit.js';
import { VERSION } from '../version.js';
import { runTour } from './tour.js';
import { doctor, doctorLines, loadDeploymentFile } from './doctor.js';
import { connectCheck, doctorLive } from './doctor-live.js';
import { cliErrorMessage } from './errors.js';
import { demoExitCode, runReplays, SCENARIOS, type ScenarioId } from './replays.js';
import { int, sandboxCommand } from './sandbox.js';

const HELP = `dancu ${VERSION} — compliant client for the CSDLQG dân cư verification API

Usage: dancu <command> [options]

Commands:
  demo           Replay the incidents (Hải Dương, Quảng Trị, Long An, Đồng Nai/Bình Thuận) against an
                 embedded sandbox, naive vs dancu (exit 0 only if every verdict holds)
  tour           A short tour of the SDK's guarantees against the sandbox (exit 0 only if every check holds)
  sandbox        Run the sandbox upstream (reference profile) over HTTP on 127.0.0.1
  doctor         Check a deployment config against the regulators' checklist
  audit keygen   Make the Ed25519 key pair that signs checkpoints (private key for the writer, public key for auditors)
  audit verify   Verify a trail (hash chain, sequence, signed checkpoints, the witness's copy)
  audit witness  Serve an append-only checkpoint witness over HTTP (what an auditor runs)
  audit report   Summarise a trail by day, operator, purpose and outcome (table, CSV or HTML)
  audit subject  Every lookup of one citizen (their right to know who processed their data)
  audit seal     Retention: sign the chain heads before a date (then audit prune deletes what they cover)

Run "dancu <command> --help" for the options of a command.`;

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
TLS, and the guards. Each line is PASS, WARN or FAIL with the reason; no secret is printed. Then,
live: it opens the audit sink with audit.signingKey (chain "doctor-<host>"), reads the checkpoint
back and checks its signature with the public key, and asks audit.witness ({ "directory" },
{ "url", "token" } or { "postgres" }) for it. Exit 1 if any check fails.
See examples/deployment/dancu.config.json (in the package: node_modules/dancu/examples/).

Options:
  --config <file>    The deployment file (JSON)
  --offline          Connect nowhere: what only a live check proves is a WARN
  --connect          Also start a client from the file as the application would and run
                     client.ready({ token: true }): stores, audit trail and credentials
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
    const { values } = parseArgs({ args: rest, options: { config: { type: 'string' }, json: { type: 'boolean' }, offline: { type: 'boolean' }, connect: { type: 'boolean' }, help: { type: 'boolean' } } });
    if (values.help) return console.log(DOCTOR_HELP), 0;
    if (!values.config) {
      console.error(`--config <file> is required.\n\n${DOCTOR_HELP}`);
      return 2;
    }
    const file = await loadDeploymentFile(values.config);
    if (values.offline && values.connect) throw new Error('--offline and --connect contradict each other: pick one');
    const checks = values.offline ? doctor(file) : await doctorLive(file);
    if (values.connect) checks.push(await connectCheck(file));
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
  if (command === 'sandbox') return sandboxCommand(rest);
  if (command === 'audit') {
    const [sub, ...more] = rest;
    return auditCommand(sub, more);
  }
  console.error(`Unknown command "${command}".\n\n${HELP}`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(cliErrorMessage(err, process.argv.slice(2)));
    process.exitCode = 2;
  },
);
