// STRESS_LOOPCOP=1: loopcop checks every test; otherwise the same run without it (the baseline).
const withLoopcop = process.env.STRESS_LOOPCOP === '1'

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: withLoopcop ? 'loopcop/jest/environment' : 'node',
  reporters: withLoopcop ? ['default', 'loopcop/jest/reporter'] : ['default'],
  testMatch: ['**/tests/**/*.test.cjs'],
  transformIgnorePatterns: ['/node_modules/', '/dist/'],
  testTimeout: 60_000,
}
