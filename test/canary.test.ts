/**
 * The canary scan: canary secrets and canary ID numbers are pushed through configuration, errors,
 * upstream bodies that echo the request, stack traces, URLs, results, alerts and the audit trail;
 * every output is collected and scanned. Expected occurrences of each canary: 0.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createClient, type DancuClientOptions, type FetchLike } from '../src/index.js';
import { authHash, lgspAccessToken, ndxpSignature } from '../src/profiles.js';
import { createSandbox, SANDBOX_LGSP, SANDBOX_NDXP, SANDBOX_PURPOSES } from '../src/testing/index.js';

const CANARY_SECRET = 'Canary-Secret-7f3c!Zq9';
/** The client id: for the LGSP profile it is the AccessKey, a credential too. */
const CANARY_ACCESS_KEY = 'canary-access-key-5e0b9d';
const CANARY_CACHE_SECRET = 'canary-cache-secret-6c1d0e55aa0b4c2e9f1d';
const CANARY_AUDIT_SECRET = 'canary-audit-secret-2b8e4f9a07c31d5e6a2f';
/** An officer's own key at the LGSP (its base64 is the AuthHash header). */
const CANARY_KEY_PASS = 'canary-officer-keypass-91ad';
const CANARIES = [CANARY_SECRET, CANARY_ACCESS_KEY, CANARY_CACHE_SECRET, CANARY_AUDIT_SECRET, CANARY_KEY_PASS];

const outputs: string[] = [];
/** Every way a value can leave: message, stack, inspect (hidden, deep), JSON, String, causes. */
function collect(value: unknown): void {
  outputs.push(inspect(value, { depth: Infinity, showHidden: true, getters: true }));
  try {
    outputs.push(JSON.stringify(value) ?? '');
  } catch {
    /* circular: inspect covered it */
  }
  if (value instanceof Error) {
    outputs.push(String(value), value.message, String(value.stack));
    if (value.cause !== undefined) collect(value.cause);
  }
}

async function attempt(p: Promise<unknown> | (() => unknown)): Promise<void> {
  try {
    collect(await (typeof p === 'function' ? p() : p));
  } catch (err) {
    collect(err);
  }
}

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

for (const profile of ['reference', 'lgsp-soap', 'ndxp'] as const) describe(`canary scan (${profile} profile)`, () => {
  it('canary secrets, their encodings (Basic, lgspAccessToken, AuthHash, NDXP signatures) and ID numbers appear in no output', async () => {
    const started = Math.floor(Date.now() / 1000) - 1;
    outputs.length = 0;
    const stdout = vi.spyOn(process.stdout, 'write');
    const stderr = vi.spyOn(process.stderr, 'write');
    const warnings = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const officerKey = { keyName: 'cb.canary', keyPass: CANARY_KEY_PASS };
    const sandbox = await createSandbox({ profile, populationSize: 50, credentials: { clientId: CANARY_ACCESS_KEY, clientSecret: CANARY_SECRET }, ...(profile === 'lgsp-soap' ? { operatorKeys: { 'cb.canary': officerKey } } : {}) });
    // Encoded forms of the secret are the secret: the Basic header and the LGSP token header/field.
    const encoded = [
      Buffer.from(`${CANARY_ACCESS_KEY}:${CANARY_SECRET}`).toString('base64'),
      lgspAccessToken({ clientId: CANARY_ACCESS_KEY, clientSecret: CANARY_SECRET }, SANDBOX_LGSP),
      authHash(officerKey),
    ];
    const dir = await mkdtemp(join(tmpdir(), 'dancu-canary-'));
    dirs.push(dir);
    const ids = sandbox.population.slice(0, 6).map((c) => c.idNumber);
    const CANARY_IDS = [...ids, '079190099999', '0791900123456', '381234567'];
    try {
      // 1. Configuration errors and URLs carrying canaries.
      const base: DancuClientOptions = {
        baseUrl: sandbox.url,
        credentials: { clientId: CANARY_ACCESS_KEY, clientSecret: CANARY_SECRET, issuedAt: new Date(Date.now() - 86 * 86_400_000) },
        system: { id: 'he-thong-kt', unitCode: 'U1', version: '1' },
        purposes: SANDBOX_PURPOSES,
        profile: sandbox.profile,
        audit: { directory: dir, secret: CANARY_AUDIT_SECRET, instance: 'canary' },
        cache: { secret: CANARY_CACHE_SECRET },
        guards: { onAlert: (a) => collect(a), enumeration: { maxDistinct: 1 } },
      };
      await attempt(() => createClient({ ...base, baseUrl: `http://user:${CANARY_SECRET}@127.0.0.1:1/` }));
      await attempt(() => createClient({ ...base, baseUrl: `http://127.0.0.1:1/?key=${CANARY_SECRET}` }));
      await attempt(() => createClient({ ...base, baseUrl: CANARY_SECRET }));
      await attempt(() => createClient({ ...base, cache: { secret: CANARY_SECRET } })); // too short
      await attempt(() => createClient({ ...base, credentials: { clientId: 'x', clientSecret: `${CANARY_SECRET}`.toLowerCase() } }));
      await attempt(() => createClient({ ...base, credentials: { clientId: 'x', clientSecret: CANARY_SECRET, issuedAt: '2001-01-01' } }));
      await attempt(() => createClient({ ...base, timeoutMs: CANARY_SECRET as unknown as number }));

      // 2. A working client (its secret is 4 days from expiry: the warning must not carry it).
      const client = createClient(base);
      collect(client);
      const ctx = { purpose: { code: 'HT-KHAISINH', dossierId: 'HS-1' }, operator: { id: 'cb.canary', ip: '10.0.0.1' } };
      const people = sandbox.population;
      await attempt(client.verifyCitizen({ idNumber: people[0]!.idNumber, fullName: people[0]!.fullName, dateOfBirth: people[0]!.dateOfBirth }, ctx));
      await attempt(client.verifyCitizen({ idNumber: people[0]!.idNumber, fullName: people[0]!.fullName, dateOfBirth: people[0]!.dateOfBirth }, ctx)); // cache hit
      await attempt(client.verifyCitizen({ idNumber: people[0]!.idNumber, fullName: 'Wrong Name', dateOfBirth: people[0]!.dateOfBirth }, ctx)); // enumeration
      await attempt(client.verifyCitizen({ idNumber: '079190099999', fullName: 'Không Có', dateOfBirth: '1990' }, ctx)); // not found
      await attempt(client.verifyCitizen({ idNumber: '0791900123456', fullName: 'Sai Độ Dài', dateOfBirth: '1990' }, ctx)); // invalid
      await attempt(client.verifyCitizen({ idNumber: '381234567', fullName: 'A', dateOfBirth: '1990' }, { ...ctx, purpose: { code: 'NOT-REGISTERED' } }));
      await attempt(client.lookupCitizen({ idNumber: people[1]!.idNumber }, { ...ctx, purpose: { code: 'DD-CAPGCN' }, fields: ['fullName', 'permanentAddress'] }));
      await attempt(client.cache.invalidate({ idNumber: people[0]!.idNumber }));
      await attempt(client.cache.stats());
      await attempt(client.quota.status());
      for (const kind of ['malformed', 'invalid-schema', '500', 'redirect'] as const) {
        sandbox.inject(kind, 3);
        await attempt(client.verifyCitizen({ idNumber: people[2]!.idNumber, fullName: people[2]!.fullName, dateOfBirth: people[2]!.dateOfBirth }, ctx));
      }
      const session = client.session({ operatorId: 'cb.canary', ip: '10.0.0.2' });
      await attempt(session.verifyCitizen({ idNumber: people[3]!.idNumber, fullName: people[3]!.fullName, dateOfBirth: people[3]!.dateOfBirth }, { purpose: { code: 'HT-KHAISINH' }, ip: '10.0.0.3' }));
      await session.end();
      await client.close();

      // 3. A hostile upstream that echoes the whole request — headers (Authorization) and body (ID,
      //    name) — into error bodies, a malformed body and a body of the wrong schema.
      for (const mode of ['400', '500', 'malformed', 'schema', 'token-echo'] as const) {
        const echo: FetchLike = async (input, init) => {
          const url = String(input);
          const h = Object.fromEntries(new Headers(init?.headers).entries());
          const echoed = JSON.stringify({ url, headers: h, body: String(init?.body ?? '') });
          if (url.endsWith('/token') && mode !== 'token-echo') return fetch(input, init);
          if (mode === 'token-echo') return new Response(JSON.stringify({ error: 'invalid_client', error_description: echoed }), { status: 401 });
          if (mode === 'malformed') return new Response(`{"MaYeuCau": ${echoed}`, { status: 200 });
          if (mode === 'schema') return new Response(JSON.stringify({ MaYeuCau: 1, Echo: echoed }), { status: 200 });
          return new Response(JSON.stringify({ MaLoi: '999', MoTa: echoed }), { status: Number(mode) });
        };
        const hostile = createClient({ ...base, fetch: echo, retry: { attempts: 1 }, audit: { directory: dir, secret: CANARY_AUDIT_SECRET, instance: `hostile-${mode}` } });
        await attempt(hostile.verifyCitizen({ idNumber: people[4]!.idNumber, fullName: people[4]!.fullName, dateOfBirth: people[4]!.dateOfBirth }, ctx));
        await attempt(hostile.lookupCitizen({ idNumber: people[5]!.idNumber }, { ...ctx, purpose: { code: 'DD-CAPGCN' }, fields: ['fullName'] }));
        await hostile.close();
      }

      // 4. Everything written: the audit trail files, stdout, stderr, warnings.
      let trailFiles = 0;
      for (const f of await readdir(dir, { recursive: true })) {
        if (f.endsWith('.jsonl') || f.endsWith('.json')) {
          outputs.push(await readFile(join(dir, f), 'utf8'));
          trailFiles++;
        }
      }
      expect(trailFiles).toBeGreaterThanOrEqual(6);
      outputs.push(...stdout.mock.calls.map((c) => String(c[0])), ...stderr.mock.calls.map((c) => String(c[0])));
      outputs.push(...warnings.mock.calls.map((c) => inspect(c, { depth: Infinity })));
      expect(warnings.mock.calls.some((c) => (c[1] as { code?: string })?.code === 'DANCU_CREDENTIALS_EXPIRING')).toBe(true);
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
      warnings.mockRestore();
      await sandbox.close();
    }
    // The NDXP password of every second the test ran, and its Basic header: each is the secret's stand-in.
    for (let t = started; t <= Math.floor(Date.now() / 1000) + 1; t++) {
      const sig = ndxpSignature(SANDBOX_NDXP.serviceUrl, CANARY_ACCESS_KEY, String(t), CANARY_SECRET);
      encoded.push(sig, Buffer.from(`${CANARY_ACCESS_KEY}:${sig}`).toString('base64'));
    }
    const all = outputs.join('\n');
    expect(all.length).toBeGreaterThan(50_000); // the scan really saw the outputs
    expect(all).toContain('ERR_UPSTREAM_RESPONSE');
    expect(all).toContain('"type":"lookup.outcome"'); // the trail files were read
    expect(all).toContain('"type":"guard.alert"');
    expect(all).toContain(`${ids[0]!.slice(0, 3)}*******${ids[0]!.slice(-2)}`); // the IDs went through, masked
    const found = [...CANARIES, ...encoded, ...CANARY_IDS].map((c) => [c, all.split(c).length - 1] as const).filter(([, n]) => n > 0);
    expect(found).toEqual([]);
  }, 60_000);
});
