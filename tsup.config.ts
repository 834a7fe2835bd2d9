import { defineConfig } from 'tsup';

export default defineConfig([
  {
    // The library: ESM + CJS + types for `.` and `./testing`.
    entry: { index: 'src/index.ts', 'testing/index': 'src/testing/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    splitting: true,
    treeshake: true,
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
