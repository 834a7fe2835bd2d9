/**
 * mTLS through the undici Agent: the sandbox serves HTTPS and demands a client certificate signed
 * by its CA. Certificates are made per run with the openssl CLI (no key material in the repo).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '../src/testing/index.js';
import { clientFor, ctx, rejection } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'dancu-mtls-'));
const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
const file = (name: string) => readFileSync(join(dir, name), 'utf8');

function issue(name: string, subject: string, ext: string): void {
  ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
  writeFileSync(join(dir, `${name}.ext`), ext);
  ssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-out', `${name}.crt`, '-extfile', `${name}.ext`);
}

let sandbox: Sandbox;
beforeAll(async () => {
  ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=dancu test CA');
  issue('server', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  issue('client', '/CN=mot-cua', 'extendedKeyUsage=clientAuth\n');
  sandbox = await createSandbox({
    populationSize: 10,
    tls: { key: file('server.key'), cert: file('server.crt'), ca: file('ca.crt'), requestCert: true },
  });
});
afterAll(async () => {
  await sandbox?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('mTLS', () => {
  const input = () => {
    const c = sandbox.population[0]!;
    return { idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth };
  };

  it('with the client certificate and the CA: verified over HTTPS', async () => {
    expect(sandbox.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const client = clientFor(sandbox, { tls: { ca: file('ca.crt'), cert: file('client.crt'), key: file('client.key') } });
    try {
      await expect(client.verifyCitizen(input(), ctx)).resolves.toMatchObject({ match: true });
    } finally {
      await client.close();
    }
  });

  it('without a client certificate the handshake is refused: ERR_UPSTREAM_UNREACHABLE, nothing served', async () => {
    const client = clientFor(sandbox, { tls: { ca: file('ca.crt') } });
    try {
      const err = await rejection(client.verifyCitizen(input(), ctx));
      expect(err.code).toBe('ERR_UPSTREAM_UNREACHABLE');
    } finally {
      await client.close();
    }
  });

  it('a gateway certificate from an unknown CA is refused', async () => {
    const client = clientFor(sandbox, { tls: { cert: file('client.crt'), key: file('client.key') } });
    try {
      const err = await rejection(client.verifyCitizen(input(), ctx));
      expect(err.code).toBe('ERR_UPSTREAM_UNREACHABLE');
      expect(sandbox.stats().total).toBe(1); // only the first test's call was served
    } finally {
      await client.close();
    }
  });
});
