#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { VERSION } from '../version.js';
import { runDemo } from './demo.js';
import { createSandbox } from '../testing/index.js';

const HELP = `dancu ${VERSION} — compliant client for the CSDLQG dân cư verification API

Usage: dancu <command> [options]

Commands:
  demo       Run the demo against an embedded sandbox (exit 0 only if every check holds)
  sandbox    Run the sandbox upstream (reference profile) over HTTP on 127.0.0.1

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

Starts the sandbox in process and shows the SDK at work: verifications over HTTP, impossible input
and an unregistered purpose refused with no upstream traffic, a minimised lookup, and the upstream
lock reported as ERR_UPSTREAM_LOCKED. Exits 0 only if every check holds.

Options:
  --threshold <n>    Lock threshold of the demo sandbox (default 25)
  --json             Print the result as JSON
  --help             Show this help`;

function int(value: string | undefined, name: string, fallback: number | undefined): number | undefined {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new Error(`--${name} takes a whole number, got "${value}"`);
  return Number(value);
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
    const { values } = parseArgs({ args: rest, options: { threshold: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean' } } });
    if (values.help) return console.log(DEMO_HELP), 0;
    const ok = await runDemo({ json: values.json ?? false, threshold: int(values.threshold, 'threshold', 25)! });
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
