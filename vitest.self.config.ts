import { defineConfig } from 'vitest/config'
import base from './vitest.config.js'

/**
 * `npm run test:self`: the project's own suite with loopcop on itself (scripts/self-check.mjs runs
 * it and judges the report). Every test runs in a `loopcop/vitest` scope, with blocking calls not
 * enforced (the suite blocks on purpose all the time) and stalls failing the test; the reporter
 * writes every finding to .loopcop/self-report.json.
 */
export default defineConfig({
  test: {
    ...base.test,
    // test/self/setup.ts first: its aroundEach then wraps loopcop's (see there).
    setupFiles: ['test/self/setup.ts', 'loopcop/vitest'],
    reporters: ['default', ['json', { outputFile: '.loopcop/self-results.json' }], ['loopcop/vitest/reporter', { json: '.loopcop/self-report.json' }]],
  },
})
