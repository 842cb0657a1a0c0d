// The Vitest set-up the README gives, plus the smoke run's JSON results.
export default {
  test: {
    include: ['vitest/**/*.test.mjs'],
    setupFiles: ['loopcop/vitest'],
    reporters: ['default', 'loopcop/vitest/reporter', ['json', { outputFile: 'results/vitest.json' }]],
  },
}
