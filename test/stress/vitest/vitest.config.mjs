import { defineConfig } from 'vitest/config'

// STRESS_LOOPCOP=1: loopcop checks every test; otherwise the same run without it (the baseline).
const withLoopcop = process.env.STRESS_LOOPCOP === '1'

export default defineConfig({
  test: {
    include: ['test/**/*.test.mjs'],
    setupFiles: withLoopcop ? ['loopcop/vitest'] : [],
    reporters: withLoopcop ? ['default', 'loopcop/vitest/reporter'] : ['default'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
})
