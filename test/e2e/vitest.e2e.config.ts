// The end-to-end system test (needs root, network namespaces and Debian's prometheus):
//   npx tsc -p tsconfig.json && npx vitest run --config test/e2e/vitest.e2e.config.ts
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..'),
  test: {
    name: 'e2e',
    include: ['test/e2e/system.test.ts'],
    globalSetup: ['test/e2e/globalSetup.ts'],
    env: { NETIDS_E2E: '1' },
    pool: 'forks',
    testTimeout: 300_000,
    hookTimeout: 300_000,
    fileParallelism: false,
  },
});
