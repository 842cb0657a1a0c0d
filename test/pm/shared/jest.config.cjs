// The Jest set-up the README gives. The smoke run adds --json and a fresh cache directory (so that
// the two test files run in workers, not in band).
module.exports = {
  testMatch: ['<rootDir>/jest/**/*.test.cjs'],
  testEnvironment: 'loopcop/jest/environment',
  setupFilesAfterEnv: ['loopcop/jest'],
  reporters: ['default', 'loopcop/jest/reporter'],
}
