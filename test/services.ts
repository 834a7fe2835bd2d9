/**
 * Real Redis (and later PostgreSQL) for the distributed parts. On a laptop without them the tests
 * that need them are skipped with a visible message; with DANCU_REQUIRE_SERVICES=1 (CI sets it)
 * they fail instead, so a missing service can never pass as green.
 */
import { Socket } from 'node:net';

export const REDIS_URL = process.env['DANCU_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const required = process.env['DANCU_REQUIRE_SERVICES'] === '1';

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(1000, () => done(false));
    s.once('error', () => done(false));
    s.connect(port, host, () => done(true));
  });
}

export const PG_URL = process.env['DANCU_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Whether tests needing PostgreSQL should run. Throws in CI when it is missing. */
export async function postgresAvailable(): Promise<boolean> {
  const url = new URL(PG_URL);
  if (await reachable(url.hostname, Number(url.port || 5432))) return true;
  const message = `PostgreSQL is not reachable at ${url.host}`;
  if (required) throw new Error(`${message}, and DANCU_REQUIRE_SERVICES=1: the PostgreSQL tests must run.`);
  console.warn(`\n⚠ ${message}: SKIPPING the PostgreSQL tests. Start PostgreSQL (or set DANCU_TEST_PG_URL) to run them.\n`);
  return false;
}

/** Whether tests needing Redis should run. Throws in CI when Redis is missing. */
export async function redisAvailable(): Promise<boolean> {
  const url = new URL(REDIS_URL);
  const ok = await reachable(url.hostname, Number(url.port || 6379));
  if (ok) return true;
  const message = `Redis is not reachable at ${REDIS_URL}`;
  if (required) throw new Error(`${message}, and DANCU_REQUIRE_SERVICES=1: the Redis tests must run.`);
  console.warn(`\n⚠ ${message}: SKIPPING the Redis tests. Start redis-server (or set DANCU_TEST_REDIS_URL) to run them.\n`);
  return false;
}
