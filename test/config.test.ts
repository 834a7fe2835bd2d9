import { inspect } from 'node:util';
import { describe, expect, it, vi } from 'vitest';
import { ConfigError, createClient, type DancuClientOptions } from '../src/index.js';
import { SANDBOX_PURPOSES } from '../src/testing/index.js';

const SECRET = 'Canary-Secret-7f3a!Q';
const base: DancuClientOptions = {
  baseUrl: 'https://gateway.example.gov.vn/dancu',
  credentials: { clientId: 'he-thong-a', clientSecret: SECRET },
  system: { id: 'mot-cua', unitCode: 'H29', version: '1.0.0' },
  purposes: SANDBOX_PURPOSES,
};

function configError(options: unknown): ConfigError {
  try {
    createClient(options as DancuClientOptions);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected ERR_CONFIG_INVALID');
}

describe('options are validated once, with a path, a type and a fix', () => {
  it('accepts a valid configuration', async () => {
    const c = createClient(base);
    expect(c.purposes.map((p) => p.code)).toEqual(['HT-KHAISINH', 'DD-CAPGCN']);
    expect(c.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    await c.close();
  });

  it.each([
    ['missing baseUrl', { ...base, baseUrl: undefined }, 'baseUrl', 'undefined'],
    ['http to a public host', { ...base, baseUrl: 'http://gateway.example.gov.vn' }, 'baseUrl', 'string'],
    ['credentials in the URL', { ...base, baseUrl: 'https://u:p@gateway.example.gov.vn' }, 'baseUrl', 'string'],
    ['ftp URL', { ...base, baseUrl: 'ftp://gateway.example.gov.vn' }, 'baseUrl', 'string'],
    ['secret as a number', { ...base, credentials: { clientId: 'a', clientSecret: 42 } }, 'credentials.clientSecret', 'number'],
    ['no purposes', { ...base, purposes: [] }, 'purposes', 'array'],
    ['bad operation', { ...base, purposes: [{ ...SANDBOX_PURPOSES[0]!, operations: ['delete'] }] }, 'purposes.0.operations.0', 'string'],
    ['lookup without fields', { ...base, purposes: [{ code: 'X', title: 'x', legalBasis: 'y', operations: ['lookup'] }] }, 'purposes.0.fields', 'undefined'],
    ['duplicate codes', { ...base, purposes: [SANDBOX_PURPOSES[0], SANDBOX_PURPOSES[0]] }, 'purposes', 'array'],
    ['typo in an option', { ...base, timeout: 5 }, '', 'object'],
    ['negative timeout', { ...base, timeoutMs: -1 }, 'timeoutMs', 'number'],
    ['cert without key', { ...base, tls: { cert: 'PEM' } }, 'tls.key', 'undefined'],
    ['tls over http', { ...base, baseUrl: 'http://127.0.0.1:1', tls: { ca: 'PEM' } }, 'baseUrl', 'string'],
    ['unknown quota option', { ...base, quota: { perDy: 10 } }, 'quota', 'object'],
    ['safety margin out of range', { ...base, quota: { safetyMargin: 2 } }, 'quota.safetyMargin', 'number'],
    ['day cap above the lock minus the margin', { ...base, quota: { perDay: 9_500 } }, 'quota.perDay', 'number'],
    ['not a quota store', { ...base, quota: { store: { get: () => 1 } } }, 'quota.store', 'object'],
    ['too many retry attempts', { ...base, retry: { attempts: 9 } }, 'retry.attempts', 'number'],
    ['short cache secret', { ...base, cache: { secret: 'short' } }, 'cache.secret', 'string'],
    ['shared cache store without a secret', { ...base, cache: { store: { get() {}, set() {}, invalidateSubject() {}, size() {}, acquire() {} } } }, 'cache.secret', 'undefined'],
    ['negative TTL', { ...base, cache: { ttlMs: { match: -1 } } }, 'cache.ttlMs.match', 'number'],
  ])('%s', (_name, options, path, received) => {
    const err = configError(options);
    expect(err.code).toBe('ERR_CONFIG_INVALID');
    const issue = err.issues.find((i) => i.path === path);
    expect(issue, JSON.stringify(err.issues)).toBeDefined();
    expect(issue!.received).toBe(received);
    expect(issue!.fix.length).toBeGreaterThan(10);
    expect(err.message).toContain(issue!.fix);
    expect(err.message).not.toContain(SECRET);
  });

  it('http is allowed for loopback hosts only (the sandbox)', async () => {
    for (const url of ['http://127.0.0.1:4010', 'http://localhost:4010/', 'http://[::1]:4010', 'http://127.8.9.10']) {
      const c = createClient({ ...base, baseUrl: url });
      await c.close();
    }
  });

  it('never echoes option values (they may be secrets)', () => {
    const err = configError({ ...base, credentials: { clientId: SECRET, clientSecret: 7 } });
    expect(JSON.stringify(err)).not.toContain(SECRET);
    expect(inspect(err)).not.toContain(SECRET);
  });

  it('every option is enforced: no "validated but not enforced" warning is left', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      const c = createClient({
        ...base,
        quota: { perDay: 100 },
        cache: { ttlMs: { match: 60_000 } },
        audit: { directory: 'dancu-audit-unused' },
        guards: { velocity: { perMinute: 20 }, ip: { allow: ['10.0.0.0/8'] } },
      });
      expect(warn).not.toHaveBeenCalled();
      await c.close();
    } finally {
      warn.mockRestore();
    }
  });

  it('the fingerprint changes with purposes and not with secrets', async () => {
    const a = createClient(base);
    const b = createClient({ ...base, credentials: { clientId: 'he-thong-a', clientSecret: 'Other-7f3c!Zq9-xK2p' } });
    const c = createClient({ ...base, purposes: SANDBOX_PURPOSES.slice(0, 1) });
    expect(a.fingerprint).toBe(b.fingerprint);
    expect(a.fingerprint).not.toBe(c.fingerprint);
    await Promise.all([a.close(), b.close(), c.close()]);
  });

  it('util.inspect and JSON.stringify of a client never show credentials', async () => {
    const c = createClient(base);
    expect(inspect(c, { depth: 10, showHidden: true })).not.toContain(SECRET);
    expect(JSON.stringify(c)).not.toContain(SECRET);
    expect(inspect(c)).toContain('HT-KHAISINH');
    await c.close();
  });
});
