import { defineConfig } from 'vitest/config'

// Two cores here: forks keep native drivers isolated, two at a time.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
})
