import { defineConfig } from 'vitest/config'

/** The Vitest 5 runs (they need a Node 22 binary in LOOPCOP_TEST_NODE22): `npm run test:vitest5`. */
export default defineConfig({
  test: {
    include: ['test/vitest/vitest5.node22.test.ts'],
    testTimeout: 240_000,
    globalSetup: ['test/global-setup.ts'],
  },
})
