import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { main } from '../examples/quickstart.js';

it('the README quickstart runs and shows a local refusal', async () => {
  const lines: string[] = [];
  // The quickstart writes its trail to ./dancu-audit, as the README says: here, in a directory of its own.
  const cwd = process.cwd();
  const dir = await mkdtemp(join(tmpdir(), 'dancu-quickstart-'));
  process.chdir(dir);
  try {
    await main((l) => lines.push(l));
  } finally {
    process.chdir(cwd);
    await rm(dir, { recursive: true, force: true });
  }
  expect(lines[0]).toMatch(/^match=true fields=\{"fullName":true,"dateOfBirth":true\} subject=\d{3}\*{7}\d{2}$/);
  expect(lines[1]).toBe('refused locally: ERR_PURPOSE_NOT_REGISTERED; upstream saw 1 request(s)');
});

it.skipIf(!(await (await import('./services.js')).redisAvailable()))(
  'examples/multi-instance: 4 processes, 600 attempts, the upstream sees exactly the day budget of 200',
  async () => {
    const { main } = await import('../examples/multi-instance/main.js');
    // The suite runs many processes on two cores: exactness must not depend on Redis answering within 1 s.
    const before = process.env['QUOTA_STORE_TIMEOUT_MS'];
    process.env['QUOTA_STORE_TIMEOUT_MS'] = '5000';
    const report = await main(['--instances', '4', '--per-day', '200', '--calls', '150']).finally(() => {
      if (before === undefined) delete process.env['QUOTA_STORE_TIMEOUT_MS'];
      else process.env['QUOTA_STORE_TIMEOUT_MS'] = before;
    });
    expect(report.upstream).toBe(200);
    const ok = report.instances.reduce((n: number, i: any) => n + (i.counts.ok ?? 0), 0);
    const refused = report.instances.reduce((n: number, i: any) => n + (i.counts.ERR_QUOTA_EXCEEDED ?? 0), 0);
    expect([ok, refused], JSON.stringify(report.instances)).toEqual([200, 400]);
  },
  60_000,
);
