import { createClient, MemoryAuditSink, type DancuClient, type DancuClientOptions } from '../src/index.js';
import { createSandbox, SANDBOX_PURPOSES, type Sandbox, type SandboxOptions } from '../src/testing/index.js';

export const ctx = {
  purpose: { code: 'HT-KHAISINH', dossierId: 'HS-TEST-1' },
  operator: { id: 'cb.test', ip: '10.0.0.7' },
} as const;

export const lookupCtx = {
  purpose: { code: 'DD-CAPGCN', dossierId: 'HS-TEST-2' },
  operator: { id: 'cb.test', ip: '10.0.0.7' },
} as const;

/** The verification input of a sandbox citizen (its other fields are not part of the input). */
export const verifyInput = (c: { idNumber: string; fullName: string; dateOfBirth: string }) => ({
  idNumber: c.idNumber,
  fullName: c.fullName,
  dateOfBirth: c.dateOfBirth,
});

/**
 * A client for the sandbox. The dedup cache is OFF unless the test passes `cache`: most tests are
 * about what reaches the upstream per call (transport, quota), which a cache hit would hide. The
 * cache has its own tests (test/cache/).
 */
export function clientFor(sandbox: Sandbox, extra: Partial<DancuClientOptions> = {}): DancuClient {
  return createClient({
    baseUrl: sandbox.url,
    credentials: sandbox.credentials,
    system: { id: 'test-system', unitCode: 'TEST-UNIT', version: '0.0.0' },
    purposes: SANDBOX_PURPOSES,
    cache: { enabled: false },
    audit: { sink: new MemoryAuditSink() }, // audit tests use the JSONL sink in a temp directory
    ...extra,
  });
}

/** A sandbox over real HTTP and a client for it; `close()` stops both. */
export async function setup(
  sandboxOptions: SandboxOptions = {},
  clientOptions: Partial<DancuClientOptions> = {},
): Promise<{ sandbox: Sandbox; client: DancuClient; close: () => Promise<void> }> {
  const sandbox = await createSandbox({ populationSize: 100, ...sandboxOptions });
  const client = clientFor(sandbox, clientOptions);
  return {
    sandbox,
    client,
    close: async () => {
      await client.close();
      await sandbox.close();
    },
  };
}

/** The error a promise rejects with (fails the test if it resolves). */
export async function rejection(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the promise to reject');
}
