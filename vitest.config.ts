import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Examples import 'dancu' as a vendor would; here it is the source.
  resolve: {
    alias: [
      { find: /^dancu\/testing\/msw$/, replacement: fileURLToPath(new URL('./src/testing/msw.ts', import.meta.url)) },
      { find: /^dancu\/testing$/, replacement: fileURLToPath(new URL('./src/testing/index.ts', import.meta.url)) },
      { find: /^dancu\/audit$/, replacement: fileURLToPath(new URL('./src/audit/index.ts', import.meta.url)) },
      { find: /^dancu\/otel$/, replacement: fileURLToPath(new URL('./src/otel.ts', import.meta.url)) },
      { find: /^dancu\/profiles$/, replacement: fileURLToPath(new URL('./src/profiles.ts', import.meta.url)) },
      { find: /^dancu$/, replacement: fileURLToPath(new URL('./src/index.ts', import.meta.url)) },
    ],
  },
  test: {
    include: ['test/**/*.test.ts', 'examples/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    typecheck: {
      enabled: true,
      include: ['test/**/*.test-d.ts'],
      tsconfig: './tsconfig.json',
    },
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      exclude: ['src/cli/index.ts'],
      reporter: ['text-summary', 'json-summary'],
    },
  },
});
