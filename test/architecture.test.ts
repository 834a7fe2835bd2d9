/**
 * The module rules of docs/architecture.md, checked on the source: no import cycle (runtime
 * imports: `import type` vanishes at build time), no file over 400 lines, `client.ts` under 250,
 * and the layers import only downwards.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(new URL('../src', import.meta.url).pathname);

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const all = files(SRC);
const rel = (p: string) => relative(SRC, p).replaceAll('\\', '/');

/** Runtime imports of a file (`import`/`export … from`, dynamic `import()`), resolved to source files; type-only ones left out. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  const re = /^\s*(import|export)\s+(type\s+)?([^;]*?)\s+from\s+'(\.[^']+)'|import\('(\.[^']+)'\)/gm;
  for (const m of text.matchAll(re)) {
    if (m[2]) continue; // import type / export type
    const spec = m[4] ?? m[5]!;
    if (m[3] && /^\{[^}]*\}$/.test(m[3].trim()) && m[3].replace(/[{}\s]/g, '').split(',').filter(Boolean).every((x) => x.startsWith('type '))) continue; // { type A, type B }
    out.push(rel(resolve(dirname(file), spec.replace(/\.js$/, '.ts'))));
  }
  return out;
}

const graph = new Map(all.map((f) => [rel(f), importsOf(f)]));
// A parser that found nothing would pass every rule: it must see the edges we know exist.
const edges = [...graph.values()].reduce((n, d) => n + d.length, 0);

describe('architecture', () => {
  it('reads the import graph (known edges are there)', () => {
    expect(edges).toBeGreaterThan(150);
    expect(graph.get('client.ts')).toEqual(expect.arrayContaining(['pipeline/attempts.ts', 'pipeline/plan.ts', 'audit/events.ts']));
    expect(graph.get('pipeline/attempts.ts')).toEqual(expect.arrayContaining(['errors.ts', 'transport/retry.ts']));
  });

  it('has no import cycle', () => {
    const cycles: string[][] = [];
    const state = new Map<string, 'active' | 'done'>();
    const stack: string[] = [];
    const visit = (n: string) => {
      state.set(n, 'active');
      stack.push(n);
      for (const m of graph.get(n) ?? []) {
        if (state.get(m) === 'active') cycles.push([...stack.slice(stack.indexOf(m)), m]);
        else if (!state.has(m)) visit(m);
      }
      stack.pop();
      state.set(n, 'done');
    };
    for (const n of graph.keys()) if (!state.has(n)) visit(n);
    expect(cycles.map((c) => c.join(' → '))).toEqual([]);
  });

  it('keeps every file under 400 lines and client.ts under 250', () => {
    const long = all.map((f) => [rel(f), readFileSync(f, 'utf8').split('\n').length] as const).filter(([, n]) => n > 400);
    expect(long).toEqual([]);
    expect(readFileSync(join(SRC, 'client.ts'), 'utf8').split('\n').length).toBeLessThan(250);
  });

  // [importer prefix, imported prefixes it must not use, why]
  const rules: Array<[string, string[], string]> = [
    ['transport/', ['quota/', 'audit/', 'cache/', 'guard/', 'pipeline/', 'client.ts', 'config.ts'], 'the transport sends one attempt; quota, audit and dedup are the pipeline’s'],
    ['quota/', ['audit/', 'cache/', 'guard/', 'pipeline/', 'client.ts', 'transport/'], 'a store keeps budgets, nothing else'],
    ['cache/', ['audit/', 'quota/', 'guard/', 'pipeline/', 'client.ts', 'transport/upstream.ts'], 'the cache keeps answers, nothing else'],
    ['guard/', ['audit/', 'quota/', 'cache/', 'pipeline/', 'client.ts', 'transport/'], 'guards decide, the pipeline records'],
    ['audit/', ['quota/', 'cache/', 'pipeline/', 'client.ts', 'transport/upstream.ts'], 'the trail records what it is given'],
    ['citizen/', ['audit/', 'quota/', 'cache/', 'guard/', 'pipeline/', 'client.ts', 'transport/'], 'domain rules are pure'],
    ['internal/', ['audit/', 'quota/', 'cache/', 'guard/', 'pipeline/', 'client.ts', 'transport/', 'citizen/'], 'helpers know no feature'],
    ['otel', ['audit/', 'quota/', 'cache/', 'guard/', 'pipeline/', 'client.ts', 'transport/', 'citizen/', 'internal/', 'config'], 'dancu/otel reads the channels and the public API, nothing inside'],
    ['errors', ['audit/', 'quota/', 'cache/', 'guard/', 'pipeline/', 'client.ts', 'transport/', 'citizen/', 'internal/'], 'errors are the bottom layer'],
  ];
  it.each(rules)('%s imports none of %j (%s)', (from, forbidden) => {
    const bad = [...graph].filter(([f]) => f.startsWith(from)).flatMap(([f, deps]) => deps.filter((d) => forbidden.some((x) => d.startsWith(x))).map((d) => `${f} → ${d}`));
    expect(bad).toEqual([]);
  });

  it('library code never imports the CLI or the testing kit', () => {
    const bad = [...graph]
      .filter(([f]) => !f.startsWith('cli/') && !f.startsWith('testing/'))
      .flatMap(([f, deps]) => deps.filter((d) => d.startsWith('cli/') || d.startsWith('testing/')).map((d) => `${f} → ${d}`));
    expect(bad).toEqual([]);
  });

  it('maps every public entry to its source for the type-check, the tests and the build', async () => {
    // A clean checkout has no dist/: an entry missing from tsconfig's paths resolves only through
    // the built package, so the type-check passes here and fails in CI (it did, for dancu/otel).
    const root = resolve(SRC, '..');
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
    const tsconfig = JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8')) as { compilerOptions: { paths: Record<string, string[]> } };
    const { default: vitestConfig } = (await import('../vitest.config.js')) as { default: { resolve: { alias: { find: RegExp; replacement: string }[] } } };
    const tsup = readFileSync(join(root, 'tsup.config.ts'), 'utf8');
    const entries = Object.keys(pkg.exports).filter((k) => k !== './package.json');
    expect(entries.length).toBeGreaterThanOrEqual(6);
    for (const key of entries) {
      const name = key === '.' ? 'dancu' : `dancu/${key.slice(2)}`;
      const mapped = tsconfig.compilerOptions.paths[name]?.[0];
      expect(mapped, `tsconfig paths has ${name}`).toBeDefined();
      const source = resolve(root, mapped!);
      expect(statSync(source).isFile(), `${mapped} exists`).toBe(true);
      const alias = vitestConfig.resolve.alias.find((a) => a.find.test(name));
      expect(alias?.replacement, `vitest alias for ${name}`).toBe(source);
      expect(tsup, `tsup builds ${mapped}`).toContain(`'${relative(root, source).replaceAll('\\', '/')}'`);
    }
  });
});
