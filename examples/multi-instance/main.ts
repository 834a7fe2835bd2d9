/**
 * A deployment of several processes sharing one upstream account through Redis.
 *
 *   npx tsx examples/multi-instance/main.ts [--instances 4] [--per-day 200] [--calls 150]
 *
 * Starts the sandbox, then N instances that each try `calls` verifications (N × calls in all,
 * more than the day budget), and prints what the upstream saw: never more than `--per-day`.
 */
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { createSandbox } from '../../src/testing/index.js';

const run = promisify(execFile);

export async function main(argv: string[] = process.argv.slice(2)): Promise<{ upstream: number; perDay: number; instances: unknown[] }> {
  const { values } = parseArgs({ args: argv, options: { instances: { type: 'string' }, 'per-day': { type: 'string' }, calls: { type: 'string' } } });
  const instances = Number(values.instances ?? 4);
  const perDay = Number(values['per-day'] ?? 200);
  const calls = Number(values.calls ?? 150);
  const sandbox = await createSandbox({ populationSize: calls });
  const auditDir = await mkdtemp(join(tmpdir(), 'dancu-multi-instance-'));
  try {
    const env = {
      ...process.env,
      REDIS_URL: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
      SANDBOX_URL: sandbox.url,
      SANDBOX_CLIENT_ID: sandbox.credentials.clientId,
      SANDBOX_CLIENT_SECRET: sandbox.credentials.clientSecret,
      QUOTA_PREFIX: `example-${randomUUID()}`, // one prefix = one deployment's budgets
      // In production: from your secret store, the same in every process (keys the shared guard state).
      DANCU_AUDIT_DIR: process.env['DANCU_AUDIT_DIR'] ?? auditDir,
      DANCU_STATE_SECRET: process.env['DANCU_STATE_SECRET'] ?? randomBytes(32).toString('base64url'),
      PER_DAY: String(perDay),
      QUOTA_STORE_TIMEOUT_MS: process.env['QUOTA_STORE_TIMEOUT_MS'] ?? '1000',
      CITIZENS: JSON.stringify(sandbox.population.map(({ idNumber, fullName, dateOfBirth }) => ({ idNumber, fullName, dateOfBirth }))),
    };
    const script = fileURLToPath(new URL('./instance.ts', import.meta.url));
    const outputs = await Promise.all(
      Array.from({ length: instances }, () => run(process.execPath, ['--import', 'tsx', script], { env })),
    );
    const report = { upstream: sandbox.stats().total, perDay, instances: outputs.map((o) => JSON.parse(o.stdout)) };
    return report;
  } finally {
    await sandbox.close();
    await rm(auditDir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const report = await main();
  console.log(JSON.stringify(report, null, 2));
  console.log(`\nThe upstream saw ${report.upstream} requests for a day budget of ${report.perDay}.`);
  process.exitCode = report.upstream <= report.perDay ? 0 : 1;
}
