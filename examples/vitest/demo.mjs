// Runs Vitest on this example (two handlers block the event loop, so two tests fail on purpose).
// Never throws on test failures: the exit code of the run is only reported.
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const vitest = join(dirname(createRequire(join(here, 'package.json')).resolve('vitest/package.json')), 'vitest.mjs')
const run = spawnSync(process.execPath, [vitest, 'run'], { cwd: here, stdio: 'inherit' })
console.log(`\n(vitest exited with code ${run.status ?? run.signal}: the two blocking handlers fail their tests, as intended)`)
