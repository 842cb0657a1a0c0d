// The Vitest set-up that works under Yarn PnP while package.json's `./vitest` export has a
// `require` branch: Vitest 4 resolves `setupFiles` entries with require.resolve when
// process.versions.pnp is set (local-pkg), which picks loopcop's CommonJS build, and that cannot
// import Vitest. import.meta.resolve picks the ES module build. scripts/pm-smoke.mjs uses this
// file only while the packed package.json still sends `require` to the CommonJS build.
import { fileURLToPath } from 'node:url'

export default {
  test: {
    include: ['vitest/**/*.test.mjs'],
    setupFiles: [fileURLToPath(import.meta.resolve('loopcop/vitest'))],
    reporters: ['default', 'loopcop/vitest/reporter', ['json', { outputFile: 'results/vitest.json' }]],
  },
}
