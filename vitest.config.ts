import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'rules/**/*.test.ts', 'scripts/**/*.test.ts'],
    environment: 'node',
    // Every test's temporary files go to one directory per run, removed when the run ends.
    globalSetup: ['scripts/test-scratch.vitest.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
