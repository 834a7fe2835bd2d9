/** `dancu doctor`: the deployment checklist, on the example config (passes) and a bad one (every problem listed). */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { generateAuditKeyPair } from '../src/audit/index.js';
import { doctor, doctorLines, loadDeploymentFile } from '../src/cli/doctor.js';
import { doctorLive } from '../src/cli/doctor-live.js';

const run = promisify(execFile);
const NOW = Date.parse('2026-11-23T03:00:00Z');
const env = {
  DANCU_CLIENT_SECRET: 'Rotated-Strong-Secret-42!',
  DANCU_SECRET_ISSUED_AT: '2026-10-01',
  REDIS_URL: 'redis://10.0.0.2:6379',
  DANCU_CACHE_SECRET: randomBytes(32).toString('hex'),
  AUDIT_DATABASE_URL: 'postgres://audit@10.0.0.3/dancu',
  DANCU_AUDIT_SECRET: randomBytes(32).toString('hex'),
  DANCU_AUDIT_SIGNING_KEY: generateAuditKeyPair().privateKey,
  DANCU_WITNESS_TOKEN: randomBytes(24).toString('hex'),
};

describe('dancu doctor', () => {
  it('the example deployment passes every check it can make offline, and prints no secret', async () => {
    const checks = doctor(await loadDeploymentFile('examples/deployment/dancu.config.json'), env, NOW);
    // What only a live check can prove is never a PASS offline.
    expect(checks.filter((c) => c.level !== 'pass').map((c) => [c.level, c.check])).toEqual([['warn', 'audit checkpoints signed with a public key'], ['warn', 'audit witness']]);
    expect(checks.length).toBeGreaterThanOrEqual(15);
    const text = doctorLines(checks).join('\n');
    expect(text).toMatch(/^OK: every check passes \(2 warnings\)\.$/m);
    for (const v of Object.values(env)) if (v.length > 12) expect(text).not.toContain(v);
  });

  it('live: opens the sink with the signing key, reads the checkpoint back, and finds it at the witness', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dancu-doctor-'));
    try {
      const file = JSON.parse(await readFile('examples/deployment/dancu.config.json', 'utf8')) as Record<string, Record<string, unknown>>;
      file['audit'] = { ...file['audit'], sink: { jsonl: { directory: join(dir, 'trail') } }, witness: { directory: join(dir, 'witness') } };
      const checks = await doctorLive(file, env, NOW);
      expect(checks.filter((c) => c.level !== 'pass')).toEqual([]);
      expect(checks.find((c) => c.check === 'audit checkpoints signed with a public key')!.reason).toMatch(/wrote and read back a close checkpoint of doctor-.* signed by key [0-9a-f]{32}/);
      expect(checks.find((c) => c.check === 'audit witness')!.reason).toMatch(/holds the checkpoint just written/);
      // The trail holds a day older than the maximum: seal and prune, says the doctor.
      await mkdir(join(dir, 'trail', 'old-instance'), { recursive: true });
      await writeFile(join(dir, 'trail', 'old-instance', '2019-01-01.jsonl'), '');
      const stale = await doctorLive(file, env, NOW);
      expect(stale.find((c) => c.check === 'log retention has a maximum')).toMatchObject({ level: 'fail', reason: expect.stringContaining('dancu audit seal --before') });
      await rm(join(dir, 'trail', 'old-instance'), { recursive: true });
      // Run again: the chain doctor-<host> is continued (resume, close), and still checks out.
      expect((await doctorLive(file, env, NOW)).filter((c) => c.level !== 'pass')).toEqual([]);
      // A key that is not Ed25519, and a witness that cannot be reached, fail.
      const bad = await doctorLive({ ...file, audit: { ...file['audit'], signingKey: '${BAD_KEY}', witness: { url: 'http://127.0.0.1:9/' } } }, { ...env, BAD_KEY: 'not a key' }, NOW);
      expect(bad.filter((c) => c.level === 'fail').map((c) => c.check)).toEqual(['audit checkpoints signed with a public key', 'audit witness']);
      const unreachable = await doctorLive({ ...file, audit: { ...file['audit'], witness: { url: 'http://127.0.0.1:9/' } } }, env, NOW);
      expect(unreachable.find((c) => c.check === 'audit witness')).toMatchObject({ level: 'fail', reason: expect.stringContaining('could not be reached') });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a bad deployment: every problem is listed with its reason', async () => {
    const checks = doctor(await loadDeploymentFile('test/fixtures/bad.config.json'), {}, NOW);
    const failed = (check: RegExp, reason?: RegExp) =>
      expect(checks.some((c) => c.level === 'fail' && check.test(c.check) && (!reason || reason.test(c.reason))), `${check} ${reason ?? ''}`).toBe(true);
    failed(/secret credentials\.clientSecret from the environment/, /literal secret/);
    failed(/credentials: no weak or default secret/, /known default password/);
    failed(/credentials: age/, /ERR_CREDENTIALS_EXPIRED/);
    failed(/option \(root\)/, /unknown option\(s\): retries/);
    failed(/option cache\.ttlMs\.match/, /received string/);
    failed(/purposes registered with a legal basis/, /TRA-CUU-CHUNG/);
    failed(/audit trail fails closed/);
    failed(/audit sink durable/, /memory/);
    failed(/audit checkpoints signed/);
    failed(/log retention set/);
    failed(/shared stores for 3 instances/, /quota\.store.*cache\.store/);
    failed(/TLS to the gateway/);
    failed(/enumeration guard on/);
    expect(checks.filter((c) => c.level === 'warn').map((c) => c.check)).toEqual(['log retention has a maximum', 'operator velocity guard', 'operator IP allowlist']);
    failed(/audit witness/, /no audit.witness/);
    const text = doctorLines(checks).join('\n');
    expect(text).toMatch(/^\d+ problems to fix\.$/m);
    expect(text).not.toContain('Admin@123');
  });

  it('a missing environment variable is a failure, not a guess', async () => {
    const { DANCU_AUDIT_SECRET: _, ...partial } = env;
    const checks = doctor(await loadDeploymentFile('examples/deployment/dancu.config.json'), partial, NOW);
    expect(checks).toContainEqual({ level: 'fail', check: 'environment variable DANCU_AUDIT_SECRET set', reason: 'not set; used by audit.secret' });
    expect(checks.filter((c) => c.level === 'fail')).toHaveLength(1);
  });

  it('with no variable set, each is reported once (with every option using it) and nothing that follows from it', async () => {
    const checks = await doctorLive(await loadDeploymentFile('examples/deployment/dancu.config.json'), {}, NOW);
    const fails = checks.filter((c) => c.level === 'fail');
    expect(fails.map((c) => c.check)).toEqual(Object.keys(env).map((name) => `environment variable ${name} set`));
    expect(fails.find((c) => c.check.includes('REDIS_URL'))?.reason).toBe('not set; used by quota.store.redis, cache.store.redis');
    // The signing key is unset: the live checks say so instead of "not checked offline".
    expect(checks.find((c) => c.check === 'audit witness')).toMatchObject({ level: 'warn', reason: expect.stringContaining('unset') });
  });
});

describe('the CLI on a path it cannot read: one line and the fix, never a raw errno', () => {
  const cli = (...args: string[]) =>
    run(process.execPath, ['--import', 'tsx', new URL('../src/cli/index.ts', import.meta.url).pathname, ...args]).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
    );
  it.each([
    [['doctor', '--config', '/no/such/dancu.config.json'], 'dancu doctor: cannot read /no/such/dancu.config.json: no such file or directory.\n  Fix: check the path given to --config (an example ships in node_modules/dancu/examples/deployment/dancu.config.json).\n'],
    [['doctor', '--config', tmpdir()], `dancu doctor: cannot read ${tmpdir()}: it is a directory, where a file was expected.\n  Fix: check the path given to --config (an example ships in node_modules/dancu/examples/deployment/dancu.config.json).\n`],
    [['audit', 'verify', '/no/such/trail'], 'dancu audit verify: no audit trail directory at "/no/such/trail".\n  Fix: pass the directory that holds the trail (the client\'s audit.directory, default ./dancu-audit).\n'],
    [['audit', 'prune', '/no/such/trail', '--before', '2026-01-01'], 'dancu audit prune: no audit trail directory at "/no/such/trail".\n  Fix: pass the directory that holds the trail (the client\'s audit.directory, default ./dancu-audit).\n'],
    [['audit', 'seal', tmpdir(), '--before', '2026-01-01', '--signing-key-file', '/no/such.pem'], 'dancu audit seal: cannot read /no/such.pem: no such file or directory.\n  Fix: check the path given to --signing-key-file.\n'],
  ])('dancu %s', async (args, expected) => {
    expect(await cli(...args)).toEqual({ code: 2, stderr: expected });
  });
});
