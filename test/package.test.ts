/**
 * The packed tarball, installed into a fresh consumer project, works the way a vendor uses it:
 * `import` and `require` of `dancu` and `dancu/testing`, a type-check under `strict` for both
 * module systems, and a real call against the sandbox from the packed code.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = new URL('..', import.meta.url).pathname;
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
let dir = '';

beforeAll(async () => {
  await mkdir(join(root, '.tmp'), { recursive: true });
  dir = await mkdtemp(join(root, '.tmp', 'consumer-'));
  // `npm pack` runs `prepack` (the build), so the tarball holds what a publish would.
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', dir], { cwd: root, maxBuffer: 32 * 1024 * 1024 });
  // stdout also carries the prepack build's output; the JSON report is the array that starts a line.
  const start = stdout.search(/^\[\s*\{/m);
  const packed = JSON.parse(stdout.slice(start)) as Array<{ filename: string }>;
  const filename = packed[0]!.filename;
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, version: '1.0.0' }));
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts', `./${filename}`], { cwd: dir });
}, 180_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the packed package in a consumer project', () => {
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

  it('type-checks under strict, as ESM (nodenext) and as CJS', async () => {
    const use = `
      import { createClient, type VerifyResult, type DancuClientOptions } from 'dancu';
      import { createSandbox, type Sandbox } from 'dancu/testing';
      export async function f(options: DancuClientOptions): Promise<VerifyResult> {
        const sandbox: Sandbox = await createSandbox();
        const client = createClient({ ...options, baseUrl: sandbox.url });
        return client.verifyCitizen({ idNumber: '1', fullName: 'x', dateOfBirth: '1990' },
          { purpose: { code: 'A' }, operator: { id: 'o', ip: '1.1.1.1' } });
      }
      // @ts-expect-error purpose and operator are required
      export const bad = (c: ReturnType<typeof createClient>) => c.verifyCitizen({ idNumber: '1', fullName: 'x', dateOfBirth: '1' }, {});
    `;
    await writeFile(join(dir, 'use.mts'), use);
    await writeFile(join(dir, 'use.cts'), use);
    const common = ['--strict', '--noEmit', '--skipLibCheck', 'false', '--types', 'node', '--target', 'es2022'];
    await run('node', [tsc, ...common, '--module', 'nodenext', '--moduleResolution', 'nodenext', 'use.mts', 'use.cts'], { cwd: dir });
    // Older setups: CommonJS with node10 resolution reach `dancu/testing` through typesVersions.
    await writeFile(join(dir, 'legacy.ts'), use);
    await run('node', [tsc, ...common, '--module', 'commonjs', '--moduleResolution', 'node10', '--ignoreDeprecations', '5.0', 'legacy.ts'], { cwd: dir });
  });
});
