import { defineConfig } from 'tsup';

export default defineConfig([
  {
    // The library: ESM + CJS + types for each public entry.
    entry: {
      index: 'src/index.ts',
      'audit/index': 'src/audit/index.ts',
      profiles: 'src/profiles.ts',
      otel: 'src/otel.ts',
      'testing/index': 'src/testing/index.ts',
      'testing/msw': 'src/testing/msw.ts',
    },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    splitting: true,
    treeshake: true,
    // Every third-party module stays an import of the package it comes from, so a dependency missing
    // from package.json breaks the packed-package test instead of being silently bundled.
    skipNodeModulesBundle: true,
  },
  {
    // The CLI: ESM only, one file; the hashbang makes tsup mark it executable.
    entry: { 'cli/index': 'src/cli/index.ts' },
    format: ['esm'],
    dts: false,
    sourcemap: true,
    clean: false,
    target: 'node20',
  },
]);
