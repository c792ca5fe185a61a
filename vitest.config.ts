import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 30_000,
    // Socket-heavy tests share 2 cores; a few files at once keeps them from starving each other.
    maxWorkers: 2,
  },
});
