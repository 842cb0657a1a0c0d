/** @type {import('jest').Config} */
module.exports = {
  // Every test runs in a loopcop scope: blocking the event loop fails it, with the line.
  testEnvironment: 'loopcop/jest/environment',
  testEnvironmentOptions: {
    loopcop: { allow: [{ operation: 'fs.readFileSync', path: '**/test/fixtures/**' }] },
  },
  // expect(fn).toBlockEventLoop() and its types.
  setupFilesAfterEnv: ['loopcop/jest'],
  // The run summary by call site (for a JSON report: ['loopcop/jest/reporter', { json: 'reports/loopcop.json' }],
  // or LOOPCOP_REPORT=path; GitHub annotations when GITHUB_ACTIONS=true).
  reporters: ['default', 'loopcop/jest/reporter'],
  testMatch: ['<rootDir>/test/**/*.test.js'],
}
