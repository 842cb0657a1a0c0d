/**
 * `loopcop/vitest/preload`: installs loopcop's interceptors when a Vitest worker starts, before
 * Vitest loads any module. Needed by the `vmThreads` pool, which copies `node:fs` and friends into
 * each test file's context before `setupFiles` run (so a later patch would miss ESM named imports):
 * @example export default defineConfig({ test: { pool: 'vmThreads', setupFiles: ['loopcop/vitest'], execArgv: ['--require', 'loopcop/vitest/preload'] } })
 * @module
 */
import { install } from '../../src/integration.js'

install()
