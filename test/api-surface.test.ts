/**
 * The public surface, entry by entry: every exported name and its kind. A change of the surface
 * must be deliberate: update test/fixtures/api-surface.json in the same commit (run this file with
 * DANCU_UPDATE_API=1 to rewrite it) and say so in CHANGELOG.md.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;
const ENTRIES = {
  dancu: 'src/index.ts',
  'dancu/audit': 'src/audit/index.ts',
  'dancu/profiles': 'src/profiles.ts',
  'dancu/otel': 'src/otel.ts',
  'dancu/testing': 'src/testing/index.ts',
  'dancu/testing/msw': 'src/testing/msw.ts',
} as const;

function kindOf(symbol: ts.Symbol, checker: ts.TypeChecker): string {
  const s = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
  const f = s.flags;
  if (f & ts.SymbolFlags.Class) return 'class';
  if (f & ts.SymbolFlags.Function) return 'function';
  if (f & ts.SymbolFlags.Interface) return 'interface';
  if (f & ts.SymbolFlags.TypeAlias) return 'type';
  if (f & ts.SymbolFlags.Enum) return 'enum';
  if (f & ts.SymbolFlags.Variable) return 'const';
  return 'other';
}

function surface(): Record<string, Record<string, string>> {
  const program = ts.createProgram(Object.values(ENTRIES).map((f) => root + f), {
    module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, strict: true, skipLibCheck: true, types: ['node'],
  });
  const checker = program.getTypeChecker();
  const out: Record<string, Record<string, string>> = {};
  for (const [entry, file] of Object.entries(ENTRIES)) {
    const source = program.getSourceFile(root + file)!;
    const moduleSymbol = checker.getSymbolAtLocation(source)!;
    const names = checker.getExportsOfModule(moduleSymbol).map((s) => [s.getName(), kindOf(s, checker)] as const);
    out[entry] = Object.fromEntries(names.sort(([a], [b]) => a.localeCompare(b)));
  }
  return out;
}

describe('the public surface', () => {
  const current = surface();
  const file = `${root}test/fixtures/api-surface.json`;
  if (process.env['DANCU_UPDATE_API'] === '1') writeFileSync(file, `${JSON.stringify(current, null, 2)}\n`);
  const recorded = JSON.parse(readFileSync(file, 'utf8')) as typeof current;

  it('is the recorded one, entry by entry (names and kinds)', () => {
    expect(current).toEqual(recorded);
  });

  it('keeps internals internal: no chain machinery, zod schema or msw in the main entry', () => {
    for (const internal of ['Chain', 'GENESIS', 'hashOf', 'AuditEventSchema', 'AuditEventBodySchema', 'optionsSchema', 'Upstream', 'Dedup']) {
      expect(Object.keys(current['dancu']!), internal).not.toContain(internal);
    }
    expect(Object.keys(current['dancu']!).length).toBeLessThan(130);
  });
});
