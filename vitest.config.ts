import { defineConfig } from 'vitest/config';

/**
 * Two projects: `unit` (everything that needs no Kubernetes: unit tests, network-namespace
 * captures, gRPC on loopback, the browser) and `cluster` (tests against the real control plane
 * of test/cluster, started once by its global setup). Cluster tests are named *.cluster.test.ts,
 * or live under test/cluster/.
 */
const CLUSTER_TESTS = ['test/cluster/**/*.test.ts', 'test/**/*.cluster.test.ts'];

export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        // test/e2e/system.test.ts has its own control plane and config: npm run test:e2e.
        test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: ['node_modules/**', 'dist/**', 'test/e2e/system.test.ts', ...CLUSTER_TESTS] },
      },
      {
        extends: true,
        test: {
          name: 'cluster',
          include: CLUSTER_TESTS,
          globalSetup: ['test/cluster/globalSetup.ts'],
          testTimeout: 120_000,
          // The tests share one cluster and 2 cores.
          fileParallelism: false,
        },
      },
    ],
  },
});
