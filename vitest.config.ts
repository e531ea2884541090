import { defineConfig } from 'vitest/config';

// e2e tests run real containers and a real Docker engine: they are slow, touch shared
// system state (mounts, the engine), and so run one file at a time.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    globalSetup: ['test/global-setup.ts'],
    fileParallelism: true,
    maxWorkers: 2,
  },
});
