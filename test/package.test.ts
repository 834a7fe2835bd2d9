/**
 * The packed tarball, installed into a fresh consumer project in the system temp directory (outside
 * the repository, so a dependency missing from package.json fails here), works the way a vendor uses
 * it: `import` and `require` of every entry, a type-check under the strictest options for both module
 * systems, with and without msw, and a real call against the sandbox from the packed code.
 */
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = new URL('..', import.meta.url).pathname;
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
let dir = '';

beforeAll(async () => {
  // Outside the repository: nothing of ours is on the resolution path, so a runtime dependency
  // missing from package.json fails to install or to load here, as it would for a vendor.
  dir = await mkdtemp(join(tmpdir(), 'dancu-consumer-'));
  // `npm pack` runs `prepack` (the build), so the tarball holds what a publish would.
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', dir], { cwd: root, maxBuffer: 32 * 1024 * 1024 });
  // stdout also carries the prepack build's output; the JSON report is the array that starts a line.
  const start = stdout.search(/^\[\s*\{/m);
  const packed = JSON.parse(stdout.slice(start)) as Array<{ filename: string }>;
  const filename = packed[0]!.filename;
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, version: '1.0.0' }));
  // The optional peers (ioredis, redis, pg, msw) are not installed: the package must work without them.
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts', `./${filename}`, '@types/node@20'], { cwd: dir, maxBuffer: 32 * 1024 * 1024 });
}, 300_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

// Every test here starts processes (node, tsc, the CLI); on a loaded 2-core CI machine that takes
// several times what it takes alone, so they get more than the suite's default 20 s.
describe('the packed package in a consumer project', { timeout: 60_000 }, () => {
  it('can be imported (ESM) and makes a real call against the packed sandbox', async () => {
    await writeFile(
      join(dir, 'esm.mjs'),
      `import { createClient, isDancuError, DancuError } from 'dancu';
       import { createSandbox, SANDBOX_PURPOSES } from 'dancu/testing';
       const sandbox = await createSandbox({ populationSize: 10 });
       const client = createClient({ baseUrl: sandbox.url, credentials: sandbox.credentials,
         system: { id: 's', unitCode: 'u', version: '1' }, purposes: SANDBOX_PURPOSES });
       const p = sandbox.population[0];
       const r = await client.verifyCitizen({ idNumber: p.idNumber, fullName: p.fullName, dateOfBirth: p.dateOfBirth },
         { purpose: { code: 'HT-KHAISINH' }, operator: { id: 'o', ip: '10.0.0.1' } });
       const e = await client.verifyCitizen({ idNumber: p.idNumber, fullName: p.fullName, dateOfBirth: p.dateOfBirth },
         { purpose: { code: 'NOPE' }, operator: { id: 'o', ip: '10.0.0.1' } }).catch((x) => x);
       await client.close(); await sandbox.close();
       console.log(JSON.stringify({ match: r.match, code: e.code, brand: isDancuError(e) && e instanceof DancuError, total: sandbox.stats().total }));`,
    );
    const { stdout } = await run('node', ['esm.mjs'], { cwd: dir });
    expect(JSON.parse(stdout)).toEqual({ match: true, code: 'ERR_PURPOSE_NOT_REGISTERED', brand: true, total: 1 });
  });

  it('createClientFromConfig without the optional peers: a memory deployment runs; the shipped example names the package it needs', async () => {
    await writeFile(
      join(dir, 'from-config.mjs'),
      `import { createClientFromConfig } from 'dancu';
       import { createSandbox, SANDBOX_PURPOSES } from 'dancu/testing';
       const sandbox = await createSandbox({ populationSize: 5 });
       const client = await createClientFromConfig({ baseUrl: sandbox.url, credentials: { clientId: sandbox.credentials.clientId, clientSecret: '\${SECRET}' },
         system: { id: 's', unitCode: 'u', version: '1' }, purposes: SANDBOX_PURPOSES, audit: { sink: { memory: {} } } }, { env: { SECRET: sandbox.credentials.clientSecret } });
       const p = sandbox.population[0];
       const r = await client.verifyCitizen({ idNumber: p.idNumber, fullName: p.fullName, dateOfBirth: p.dateOfBirth }, { purpose: { code: 'HT-KHAISINH' }, operator: { id: 'o', ip: '10.0.0.1' } });
       await client.close(); await sandbox.close();
       const env = Object.fromEntries(['DANCU_CLIENT_SECRET', 'DANCU_SECRET_ISSUED_AT', 'REDIS_URL', 'DANCU_CACHE_SECRET', 'AUDIT_DATABASE_URL', 'DANCU_AUDIT_SECRET', 'DANCU_AUDIT_SIGNING_KEY', 'DANCU_WITNESS_TOKEN']
         .map((k) => [k, k === 'DANCU_SECRET_ISSUED_AT' ? new Date().toISOString() : k.endsWith('URL') ? 'redis://127.0.0.1:1' : 'Xk9#mQ2v!Lp7zR4tW8nB3cJ6hY1sD5fG-' + k]));
       const e = await createClientFromConfig('node_modules/dancu/examples/deployment/dancu.config.json', { env }).catch((x) => x);
       console.log(JSON.stringify({ match: r.match, code: e.code, issues: e.issues?.map((i) => i.fix) }));`,
    );
    const { stdout } = await run('node', ['from-config.mjs'], { cwd: dir });
    const out = JSON.parse(stdout) as { match: boolean; code: string; issues: string[] };
    expect(out.match).toBe(true);
    expect(out.code).toBe('ERR_CONFIG_INVALID');
    expect(out.issues).toContain('npm install ioredis');
  });

  it('can be required (CJS), and errors from the ESM and CJS builds recognise each other', async () => {
    await writeFile(
      join(dir, 'cjs.cjs'),
      `const { createClient, isDancuError, RateLimitedError } = require('dancu');
       const { createSandbox, generateCitizens } = require('dancu/testing');
       import('dancu').then((esm) => {
         const fromEsm = new esm.RateLimitedError(5);
         console.log(JSON.stringify({
           createClient: typeof createClient, createSandbox: typeof createSandbox,
           citizens: generateCitizens(3).length,
           cross: isDancuError(fromEsm) && fromEsm instanceof RateLimitedError,
         }));
       });`,
    );
    const { stdout } = await run('node', ['cjs.cjs'], { cwd: dir });
    expect(JSON.parse(stdout)).toEqual({ createClient: 'function', createSandbox: 'function', citizens: 3, cross: true });
  });

  /** The optional peers a vendor adds for tests and for a deployment (the docs' snippets use them too); once. */
  let peers: Promise<unknown> | undefined;
  const installPeers = () => (peers ??= run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts', 'msw@2', 'ioredis@5', 'pg@8', '@types/pg@8'], { cwd: dir, maxBuffer: 32 * 1024 * 1024 }));

  /** tsc over the consumer's files with the strictest options a vendor may use, dependencies' declarations included. */
  const STRICT = ['--strict', '--noUncheckedIndexedAccess', '--exactOptionalPropertyTypes', '--noEmit', '--skipLibCheck', 'false', '--types', 'node', '--target', 'es2022'];
  const typecheck = (module: string[], files: string[]) => run('node', [tsc, ...STRICT, ...module, ...files], { cwd: dir, maxBuffer: 8 * 1024 * 1024 })
    .catch((e: { stdout: string }) => { throw new Error(`tsc failed:\n${e.stdout}`); });

  const USE = `
    import { createClient, isDancuError, type VerifyResult, type DancuClientOptions } from 'dancu';
    import { verifyDirectory, parseAuditEvent, type AuditEvent } from 'dancu/audit';
    import { lgspSoapProfile, upstreamError, type WireProfile } from 'dancu/profiles';
    import { createSandbox, type Sandbox } from 'dancu/testing';
    import { instrumentDancu, type InstrumentDancuOptions } from 'dancu/otel'; // its types need no @opentelemetry/api
    export const otel: (o?: InstrumentDancuOptions) => { disable(): void } = instrumentDancu;
    export async function f(options: DancuClientOptions): Promise<VerifyResult> {
      const sandbox: Sandbox = await createSandbox();
      const client = createClient({ ...options, baseUrl: sandbox.url });
      return client.verifyCitizen({ idNumber: '1', fullName: 'x', dateOfBirth: '1990' },
        { purpose: { code: 'A' }, operator: { id: 'o', ip: '1.1.1.1' } });
    }
    export function g(err: unknown, line: unknown): string {
      if (isDancuError(err) && err.code === 'ERR_INPUT_INVALID') return err.path + err.reason;
      const e: AuditEvent = parseAuditEvent(line);
      return e.type;
    }
    export const h: [typeof verifyDirectory, WireProfile, typeof upstreamError] = [verifyDirectory, lgspSoapProfile({ appName: 'A', partnerCode: 'P', integrationCode: 'I' }), upstreamError];
    // @ts-expect-error purpose and operator are required
    export const bad = (c: ReturnType<typeof createClient>) => c.verifyCitizen({ idNumber: '1', fullName: 'x', dateOfBirth: '1' }, {});
  `;

  it('type-checks under strict + noUncheckedIndexedAccess + exactOptionalPropertyTypes, skipLibCheck off, ESM and CJS, without msw installed', async () => {
    await writeFile(join(dir, 'use.mts'), USE);
    await writeFile(join(dir, 'use.cts'), USE);
    await typecheck(['--module', 'nodenext', '--moduleResolution', 'nodenext'], ['use.mts', 'use.cts']);
    // Older setups: CommonJS with node10 resolution reach the subpaths through typesVersions, and
    // need no esModuleInterop (no third-party declaration is behind dancu's own).
    await writeFile(join(dir, 'legacy.ts'), USE);
    await typecheck(['--module', 'commonjs', '--moduleResolution', 'node10', '--ignoreDeprecations', '5.0'], ['legacy.ts']);
    // Type-checks with `skipLibCheck: false` read our declarations and every dependency's: slow on a
    // loaded 2-core machine. This is a check of the package, not of speed.
  }, 180_000);

  it('no zod, msw or undici type in the declarations, but for dancu/testing/msw (msw)', async () => {
    const root = join(dir, 'node_modules', 'dancu', 'dist');
    const found: string[] = [];
    const walk = async (d: string): Promise<void> => {
      for (const e of await readdir(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        if (e.isDirectory()) await walk(p);
        else if (/\.d\.c?ts$/.test(e.name) && !/testing[\\/]msw\.d\.c?ts$/.test(p)) {
          const text = await readFile(p, 'utf8');
          for (const m of text.matchAll(/(?:from|import\()\s*['"](zod|msw|undici)(?:\/[^'"]*)?['"]/g)) found.push(`${p.slice(root.length)}: ${m[1]}`);
        }
      }
    };
    await walk(root);
    expect(found).toEqual([]);
    expect(await readFile(join(root, 'testing', 'msw.d.ts'), 'utf8')).toMatch(/from ['"]msw['"]/);
  });

  it('dancu/testing/msw type-checks once msw is installed (and only its declarations need msw)', async () => {
    await installPeers();
    await writeFile(join(dir, 'msw.mts'), `
      import { setupServer } from 'msw/node';
      import { createSandbox } from 'dancu/testing';
      import { sandboxHandlers } from 'dancu/testing/msw';
      const sandbox = await createSandbox({ listen: false });
      export const server = setupServer(...sandboxHandlers(sandbox));
    `);
    await typecheck(['--module', 'nodenext', '--moduleResolution', 'nodenext'], ['msw.mts']);
  }, 300_000);
  it('every TypeScript block of README.md and docs/**/*.md compiles as written against the package', async () => {
    await installPeers();
    const docs = ['README.md', ...(await readdir(join(root, 'docs'))).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`),
      ...(await readdir(join(root, 'docs', 'vi'))).filter((f) => f.endsWith('.md')).map((f) => `docs/vi/${f}`)];
    const blocks: Array<{ where: string; code: string }> = [];
    for (const doc of docs) {
      const text = await readFile(join(root, doc), 'utf8');
      for (const m of text.matchAll(/```ts\n([\s\S]*?)```/g)) blocks.push({ where: `${doc}:${text.slice(0, m.index).split('\n').length}`, code: m[1]! });
    }
    expect(blocks.length).toBeGreaterThanOrEqual(20);
    // What a snippet takes from the text around it, declared only where the snippet does not define it.
    const context: Array<[string, string]> = [
      ['base', "declare const base: import('dancu').DancuClientOptions;"],
      ['client', "declare const client: import('dancu').DancuClient;"],
      ['input', "declare const input: import('dancu').VerifyCitizenInput;"],
      ['ctx', "declare const ctx: import('dancu').CallContext;"],
      ['purposes', "declare const purposes: readonly import('dancu').PurposeDefinition[];"],
      ['dossierId', 'declare const dossierId: string;'],
      ['req', 'declare const req: { ip: string; user: { id: string }; headers: Record<string, string | undefined> };'],
      ['pager', 'declare const pager: { send(text: string): void };'],
      ['showFormError', 'declare function showFormError(path: string, reason: string): void;'],
      ['askTheCitizen', 'declare function askTheCitizen(): void;'],
      ['retryLater', 'declare function retryLater(ms: number | undefined): void;'],
      ['alertOnCall', 'declare function alertOnCall(until: string | undefined): void;'],
      ['pageTheOnCallOfficer', 'declare function pageTheOnCallOfficer(until: string | undefined): void;'],
    ];
    const files: string[] = [];
    for (const [i, b] of blocks.entries()) {
      const defined = (name: string) =>
        new RegExp(`\\b(const|let|var|function|class)\\s+${name}\\b|import\\s+(type\\s+)?\\{[^}]*\\b${name}\\b[^}]*\\}|import\\s+${name}\\b`).test(b.code);
      const prelude = context.filter(([name]) => new RegExp(`\\b${name}\\b`).test(b.code) && !defined(name)).map(([, d]) => d);
      const file = `doc-${i}.mts`;
      await writeFile(join(dir, file), `// ${b.where}\n${prelude.join('\n')}\n${b.code}\nexport {};\n`);
      files.push(file);
    }
    // The msw guide's test uses vitest's globals; their shape is all it needs here.
    await writeFile(join(dir, 'vitest-shim.d.ts'), `declare module 'vitest' {
      type Fn = () => unknown; export const it: (name: string, fn: Fn) => void; export const beforeAll: (fn: Fn) => void;
      export const afterAll: (fn: Fn) => void; export const afterEach: (fn: Fn) => void; export const beforeEach: (fn: Fn) => void;
      export const expect: (v: unknown) => { toBe(x: unknown): void; toContain(x: unknown): void };
    }`);
    await typecheck(['--module', 'nodenext', '--moduleResolution', 'nodenext', '--noUnusedLocals', 'false'], ['vitest-shim.d.ts', ...files]).catch((err: Error) => {
      // Name the doc and line of each failing block.
      const where = new Map(files.map((f, i) => [f, blocks[i]!.where]));
      throw new Error(err.message.replace(/doc-\d+\.mts/g, (f) => `${f} (${where.get(f)})`));
    });
  }, 300_000);
});

describe('the installed `dancu` binary', { timeout: 60_000 }, () => {
  const bin = () => join(dir, 'node_modules', '.bin', 'dancu');

  it('audit verify and audit report read the trail the ESM test wrote (./dancu-audit, the default)', async () => {
    // No signing key or secret in that test: no checkpoint, so verify needs --allow-unsigned to pass.
    const strict = await run(bin(), ['audit', 'verify', 'dancu-audit'], { cwd: dir }).catch((e: { code: number; stdout: string }) => e);
    expect(strict).toMatchObject({ code: 1, stdout: expect.stringMatching(/unsigned — the chain is not vouched for/) });
    const verify = await run(bin(), ['audit', 'verify', 'dancu-audit', '--allow-unsigned'], { cwd: dir });
    expect(verify.stdout).toMatch(/^OK  \S+: \d+ events/m);
    const csv = await run(bin(), ['audit', 'report', 'dancu-audit', '--format', 'csv'], { cwd: dir });
    expect(csv.stdout.split('\n')[0]).toBe('dimension,key,upstream,cached,denied,failed,count,login,logout');
    expect(csv.stdout).toMatch(/^purpose,HT-KHAISINH,1,0,0,0,,,$/m);
    expect(csv.stdout).toMatch(/^purpose,NOPE,0,0,1,0,,,$/m);
  });

  it('--help and --version', async () => {
    const help = await run(bin(), ['--help'], { cwd: dir });
    expect(help.stdout).toMatch(/Commands:\n\s+demo[\s\S]+sandbox/);
    const version = await run(bin(), ['--version'], { cwd: dir });
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const unknown = await run(bin(), ['nope'], { cwd: dir }).catch((e: { code: number; stderr: string }) => e);
    expect(unknown).toMatchObject({ code: 2, stderr: expect.stringContaining('Unknown command') });
  });

  it('doctor --config: the example passes (exit 0); a bad config lists its problems (exit 1); --help', async () => {
    const env = {
      ...process.env,
      DANCU_CLIENT_SECRET: 'Rotated-Strong-Secret-42!', DANCU_SECRET_ISSUED_AT: new Date(Date.now() - 10 * 86_400_000).toISOString(),
      REDIS_URL: 'redis://10.0.0.2:6379', DANCU_CACHE_SECRET: 'c'.repeat(64), AUDIT_DATABASE_URL: 'postgres://a@10.0.0.3/d', DANCU_AUDIT_SECRET: 'a'.repeat(64),
      DANCU_AUDIT_SIGNING_KEY: generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), DANCU_WITNESS_TOKEN: 'w'.repeat(40),
    };
    // --offline: the example's database and witness are not on this machine (the live checks are in test/doctor.test.ts).
    // The example the help text names, as shipped in the package.
    const good = await run(bin(), ['doctor', '--offline', '--config', 'node_modules/dancu/examples/deployment/dancu.config.json'], { cwd: dir, env });
    expect(good.stdout).toMatch(/^OK: every check passes \(2 warnings\)\.$/m);
    expect(good.stdout).toMatch(/^WARN  audit witness — declared; not checked offline/m);
    const bad = await run(bin(), ['doctor', '--offline', '--config', join(process.cwd(), 'test/fixtures/bad.config.json')], { cwd: dir }).catch((e: { code: number; stdout: string }) => e);
    expect(bad).toMatchObject({ code: 1, stdout: expect.stringMatching(/^FAIL  audit trail fails closed/m) });
    const help = await run(bin(), ['doctor', '--help'], { cwd: dir });
    expect(help.stdout).toMatch(/regulators' *\n? *checklist/);
    expect(help.stdout).toContain('node_modules/dancu/examples/');
  });

  it('audit keygen, witness, verify --public-key --witness, subject: the auditor\'s commands from the installed package', async () => {
    const { spawn } = await import('node:child_process');
    const { writeFile } = await import('node:fs/promises');
    const keys = join(dir, 'audit-keys');
    const kg = await run(bin(), ['audit', 'keygen', '--out', keys], { cwd: dir });
    expect(kg.stdout).toMatch(/key id [0-9a-f]{32}/);
    await writeFile(join(dir, 'witness-token'), 'token-of-the-auditor-0123456789');
    const child = spawn(bin(), ['audit', 'witness', '--dir', join(dir, 'witness'), '--port', '0', '--public-key', `${keys}.pub`, '--token-file', join(dir, 'witness-token')], { cwd: dir });
    try {
      let out = '';
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no URL in: ${out}`)), 10_000);
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /witness on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        });
      });
      const { createClient } = await import('../src/index.js');
      const { HttpWitness } = await import('../src/audit/index.js');
      const { createSandbox, SANDBOX_PURPOSES } = await import('../src/testing/index.js');
      const { readFile } = await import('node:fs/promises');
      const sandbox = await createSandbox({ populationSize: 5 });
      const secret = 's'.repeat(40);
      const client = createClient({
        baseUrl: sandbox.url, credentials: sandbox.credentials, system: { id: 's', unitCode: 'u', version: '1' }, purposes: SANDBOX_PURPOSES,
        audit: { directory: join(dir, 'signed-trail'), instance: 'p1', secret, signingKey: await readFile(`${keys}.key`, 'utf8'), witness: new HttpWitness({ url, token: 'token-of-the-auditor-0123456789' }) },
      });
      const c = sandbox.population[0]!;
      await client.verifyCitizen({ idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth }, { purpose: { code: 'HT-KHAISINH', dossierId: 'HS-9' }, operator: { id: 'o', ip: '10.0.0.1' } });
      await client.close();
      await sandbox.close();
      const ok = await run(bin(), ['audit', 'verify', join(dir, 'signed-trail'), '--public-key', `${keys}.pub`, '--witness', url], { cwd: dir });
      expect(ok.stdout).toMatch(/^OK {2}p1: 3 events, last seq 3, 2 checkpoints, 2 witnessed$/m); // genesis and close
      const unsigned = await run(bin(), ['audit', 'verify', join(dir, 'signed-trail')], { cwd: dir }).catch((e: { code: number; stdout: string }) => e);
      expect(unsigned).toMatchObject({ code: 1, stdout: expect.stringContaining('unsigned') });
      await writeFile(join(dir, 'audit-secret'), secret);
      const subject = await run(bin(), ['audit', 'subject', join(dir, 'signed-trail'), '--id', c.idNumber, '--secret-file', join(dir, 'audit-secret'), '--format', 'json'], { cwd: dir });
      expect(JSON.parse(subject.stdout)).toMatchObject({ lookups: [{ purpose: 'HT-KHAISINH', dossierId: 'HS-9', source: 'upstream', outcome: 'match' }] });
    } finally {
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });

  it('tour --json: every check holds, exit 0', async () => {
    const { stdout } = await run(bin(), ['tour', '--json'], { cwd: dir });
    const report = JSON.parse(stdout);
    expect(report.ok).toBe(true);
    expect(report.checks.length).toBeGreaterThanOrEqual(5);
    expect(report.upstream.locked).toBe(true);
  });

  it('demo --scenario long-an,dong-nai --json: naive runs reproduce the incidents, dancu runs prevent them, exit 0', async () => {
    const { stdout } = await run(bin(), ['demo', '--scenario', 'long-an,dong-nai', '--json'], { cwd: dir });
    const report = JSON.parse(stdout);
    expect(report.ok).toBe(true);
    expect(report.runs.map((r: { scenario: string; client: string }) => `${r.scenario}/${r.client}`)).toEqual(['long-an/naive', 'long-an/dancu', 'dong-nai/naive', 'dong-nai/dancu']);
    const bad = await run(bin(), ['demo', '--scenario', 'nope'], { cwd: dir }).catch((e: { code: number; stderr: string }) => e);
    expect(bad).toMatchObject({ code: 2, stderr: expect.stringContaining('Unknown scenario') });
  });

  it('sandbox --port 0 --threshold 3: serves, locks past the threshold, stops on SIGTERM', async () => {
    const { spawn } = await import('node:child_process');
    const child = spawn(bin(), ['sandbox', '--port', '0', '--threshold', '3', '--population', '5'], { cwd: dir });
    try {
      let out = '';
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no URL in: ${out}`)), 10_000);
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
          if (m && /e\.g\. citizen: .+\n/.test(out)) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        });
      });
      const [clientId, clientSecret] = [...out.matchAll(/client(?:Id|Secret):\s+(\S+)/g)].map((m) => m[1]);
      const [, idNumber, fullName, dateOfBirth] = /e\.g\. citizen: (\d{12}) (.+) (\d{4}-\d{2}-\d{2})\n/.exec(out)!;
      const { createClient } = await import('../src/index.js');
      const { SANDBOX_PURPOSES } = await import('../src/testing/index.js');
      const client = createClient({
        baseUrl: url, credentials: { clientId: clientId!, clientSecret: clientSecret! },
        system: { id: 's', unitCode: 'u', version: '1' }, purposes: SANDBOX_PURPOSES,
        cache: { enabled: false }, // the same citizen four times must reach the upstream four times
        audit: { directory: join(dir, 'sandbox-trail') },
      });
      const ctx = { purpose: { code: 'HT-KHAISINH' }, operator: { id: 'o', ip: '10.0.0.1' } };
      const codes: string[] = [];
      for (let i = 0; i < 4; i++) {
        codes.push(await client.verifyCitizen({ idNumber: idNumber!, fullName: fullName!, dateOfBirth: dateOfBirth! }, ctx)
          .then((r) => String(r.match), (e: { code: string }) => e.code));
      }
      await client.close();
      expect(codes).toEqual(['true', 'true', 'true', 'ERR_UPSTREAM_LOCKED']);
    } finally {
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });
});
