/**
 * `dancu sandbox` as a separate process, as an integrator runs it: `--credentials` keeps the client
 * credentials across restarts, `--profile` picks the gateway, and a client in this process speaks
 * to it over HTTP with the profile the command prints.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createClient, MemoryAuditSink } from '../src/index.js';
import { lgspSoapProfile } from '../src/profiles.js';
import { SANDBOX_LGSP, SANDBOX_PURPOSES } from '../src/testing/index.js';

const CLI = new URL('../src/cli/index.ts', import.meta.url).pathname;
const dir = await mkdtemp(join(tmpdir(), 'dancu-cli-sandbox-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Start `dancu sandbox`, wait for its banner; `stop()` sends SIGTERM and waits for the exit. */
async function startSandbox(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'sandbox', '--port', '0', '--population', '20', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner in 15 s: ${out}${err}`)), 15_000);
    child.stdout.on('data', (d) => {
      out += d;
      if (/e\.g\. citizen: .+\n/.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then((code) => reject(new Error(`exited ${code}: ${err}`)));
  });
  const field = (name: string) => new RegExp(`${name}:\\s+(\\S+)`).exec(out)![1]!;
  const citizen = /e\.g\. citizen: (\d{12}) (.+) (\d{4}-\d{2}-\d{2})\n/.exec(out)!;
  return {
    out,
    url: /listening on (\S+)/.exec(out)![1]!,
    credentials: { clientId: field('clientId'), clientSecret: field('clientSecret') },
    citizen: { idNumber: citizen[1]!, fullName: citizen[2]!, dateOfBirth: citizen[3]! },
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

describe('dancu sandbox', () => {
  it('--credentials: generated and written (0600) on the first start, the same on the next; --profile lgsp-soap answers the printed profile', async () => {
    const file = join(dir, 'creds.json');
    const first = await startSandbox(['--credentials', file, '--profile', 'lgsp-soap']);
    expect(await first.stop()).toBe(0);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(first.credentials);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(first.out).toContain('client profile: lgspSoapProfile(SANDBOX_LGSP)');

    const second = await startSandbox(['--credentials', file, '--profile', 'lgsp-soap']);
    try {
      expect(second.credentials).toEqual(first.credentials);
      const client = createClient({
        baseUrl: second.url, credentials: first.credentials, profile: lgspSoapProfile(SANDBOX_LGSP),
        system: { id: 'cli-test', unitCode: 'UBND-X', version: '1' }, purposes: SANDBOX_PURPOSES, audit: { sink: new MemoryAuditSink() },
      });
      const r = await client.verifyCitizen(second.citizen, { purpose: { code: 'HT-KHAISINH' }, operator: { id: 'o', ip: '10.0.0.1' } });
      expect(r.match).toBe(true);
      await client.close();
    } finally {
      expect(await second.stop()).toBe(0);
    }
  }, 60_000);

  it('a file that is not a credentials file, or an unknown profile, is one line with the fix', async () => {
    const file = join(dir, 'bad.json');
    await writeFile(file, '{"clientId": 1}');
    const bad = await startSandbox(['--credentials', file]).catch((e: Error) => e.message);
    expect(bad).toContain(`dancu sandbox: ${file} is not a credentials file: expected JSON { "clientId": "…", "clientSecret": "…" } (delete it to have new ones generated)`);
    const profile = await startSandbox(['--profile', 'soap']).catch((e: Error) => e.message);
    expect(profile).toContain('dancu sandbox: --profile takes reference, lgsp-soap, ndxp; got "soap"');
  }, 60_000);
});
