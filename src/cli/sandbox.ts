import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { createSandbox } from '../testing/index.js';

export const SANDBOX_HELP = `Usage: dancu sandbox [options]

Runs the sandbox upstream until interrupted (Ctrl-C). Prints its URL and client credentials.

Options:
  --port <n>           Port to listen on (default 4010; 0 = any free port)
  --host <addr>        Loopback address to bind (default 127.0.0.1)
  --profile <name>     The gateway it plays: reference (default), lgsp-soap or ndxp
  --credentials <file> Keep the client credentials in this JSON file ({ "clientId", "clientSecret" }):
                       read if it exists, else generated and written (mode 0600), so they
                       stay the same across restarts
  --threshold <n>      Daily queries (Vietnam day) before the account is locked (default 10000)
  --per-minute <n>     Queries per minute before 429 + Retry-After (default: no limit)
  --population <n>     Number of citizens (default 500)
  --seed <n>           Seed of the population (default 2026)
  --latency <ms>       Added latency per answer (default 0)
  --help               Show this help`;

const PROFILES = ['reference', 'lgsp-soap', 'ndxp'] as const;
type ProfileName = (typeof PROFILES)[number];

/** What a client in another process passes as `profile` to speak each gateway. */
const CLIENT_PROFILE: Record<ProfileName, string> = {
  reference: 'the default (no profile option)',
  'lgsp-soap': "lgspSoapProfile(SANDBOX_LGSP) (from 'dancu/profiles' and 'dancu/testing')",
  ndxp: "ndxpProfile(SANDBOX_NDXP) (from 'dancu/profiles' and 'dancu/testing')",
};

export function int(value: string | undefined, name: string, fallback: number | undefined): number | undefined {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new Error(`--${name} takes a whole number, got "${value}"`);
  return Number(value);
}

/** The credentials kept in `file`: undefined when there is no such file yet (they are generated, then written). */
async function storedCredentials(file: string): Promise<{ clientId: string; clientSecret: string } | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const c = (() => {
    try {
      return JSON.parse(text) as Record<string, unknown>;
    } catch {
      return undefined;
    }
  })();
  if (typeof c?.['clientId'] !== 'string' || typeof c['clientSecret'] !== 'string' || !c['clientId'] || !c['clientSecret']) {
    throw new Error(`${file} is not a credentials file: expected JSON { "clientId": "…", "clientSecret": "…" } (delete it to have new ones generated)`);
  }
  return { clientId: c['clientId'], clientSecret: c['clientSecret'] };
}

/** `dancu sandbox`: the sandbox upstream over HTTP until SIGINT or SIGTERM. */
export async function sandboxCommand(rest: string[]): Promise<number> {
  const { values } = parseArgs({
    args: rest,
    options: {
      port: { type: 'string' }, host: { type: 'string' }, threshold: { type: 'string' }, 'per-minute': { type: 'string' },
      population: { type: 'string' }, seed: { type: 'string' }, latency: { type: 'string' }, profile: { type: 'string' },
      credentials: { type: 'string' }, help: { type: 'boolean' },
    },
  });
  if (values.help) return console.log(SANDBOX_HELP), 0;
  const profile = (values.profile ?? 'reference') as ProfileName;
  if (!PROFILES.includes(profile)) throw new Error(`--profile takes ${PROFILES.join(', ')}; got "${values.profile}"`);
  const perMinute = int(values['per-minute'], 'per-minute', undefined);
  const kept = values.credentials ? await storedCredentials(values.credentials) : undefined;
  const sandbox = await createSandbox({
    host: values.host ?? '127.0.0.1',
    port: int(values.port, 'port', 4010)!,
    profile,
    lockThreshold: int(values.threshold, 'threshold', 10_000)!,
    populationSize: int(values.population, 'population', 500)!,
    seed: int(values.seed, 'seed', 2026)!,
    latencyMs: int(values.latency, 'latency', 0)!,
    ...(perMinute === undefined ? {} : { perMinuteLimit: perMinute }),
    ...(kept ? { credentials: kept } : {}),
  });
  if (values.credentials && !kept) {
    // `wx`: never overwrite a file another sandbox wrote meanwhile.
    await writeFile(values.credentials, `${JSON.stringify(sandbox.credentials, null, 2)}\n`, { mode: 0o600, flag: 'wx' }).catch(async (err: unknown) => {
      await sandbox.close();
      throw err;
    });
  }
  // Listen for the stop before the banner says the sandbox is up: a stop sent on seeing it is never missed.
  const stopped = new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  console.log(`dancu sandbox listening on ${sandbox.url} (gateway: ${profile})`);
  console.log(`  clientId:     ${sandbox.credentials.clientId}`);
  console.log(`  clientSecret: ${sandbox.credentials.clientSecret}   (sandbox-only credentials${values.credentials ? `, kept in ${values.credentials}` : ''})`);
  console.log(`  client profile: ${CLIENT_PROFILE[profile]}`);
  const c = sandbox.population[0]!;
  console.log(`  e.g. citizen: ${c.idNumber} ${c.fullName} ${c.dateOfBirth}`);
  await stopped;
  await sandbox.close();
  console.log(`\nstopped; upstream saw: ${JSON.stringify(sandbox.stats())}`);
  return 0;
}
