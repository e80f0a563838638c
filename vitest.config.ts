import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['node_modules', 'dist'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Tests that build network namespaces or a control plane must not run in parallel with each
    // other: they share the host's network stack and a 2-core budget.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
