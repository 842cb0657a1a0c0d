import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    // Every test that blocks the event loop fails, with the line and the time it blocked.
    setupFiles: ['loopcop/vitest'],
    // The run summary by call site (and the JSON report when LOOPCOP_REPORT is set).
    reporters: ['default', 'loopcop/vitest/reporter'],
    // With `pool: 'vmThreads'`, add: execArgv: ['--require', 'loopcop/vitest/preload'],
  },
})
