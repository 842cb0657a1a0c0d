import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Vitest 5 needs Node 22: `npm run test:vitest5` (vitest.node22.config.ts).
    exclude: ['**/node_modules/**', 'test/fixtures/**', 'test/vitest/vitest5.node22.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    globalSetup: ['test/global-setup.ts'],
  },
})
