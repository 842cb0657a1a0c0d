// loopcop's options in the Vitest config (`test.provide.loopcop`): what a setup file calling
// `configure()` does, with no setup file. A setup file costs every test file a round trip to
// Vitest's main process, and its `import … from 'loopcop'` another (Vite resolves the bare import
// there): ~4 ms a test file under `threads` (bench/README.md, eighth pass), where options
// `provide`d by the config reach every worker with the config itself.
import * as vitest from 'vitest'
import { type UserOptions, configureFrom } from '../../src/integration.js'
import { PROVIDE_KEY, WHERE, wrongOptions } from './provide-check.js'

/**
 * loopcop's options in `test.provide.loopcop`: what `configure()` takes, but `onFinding` (`provide`
 * values cross to the workers as data). A setup file's `configure()` adds to them.
 */
export type ProvidedOptions = Omit<UserOptions, 'onFinding'>

declare module 'vitest' {
  interface ProvidedContext {
    /**
     * loopcop's options (see `ProvidedOptions`). In a TypeScript config file, `import type {} from
     * 'loopcop/vitest'` makes this key known.
     * @example export default defineConfig({ test: { setupFiles: ['loopcop/vitest'], provide: { loopcop: { mode: 'warn' } } } })
     */
    loopcop?: ProvidedOptions
  }
}

/**
 * Applies the options of `test.provide.loopcop`, if the config gives any: validated as
 * `configure()` validates them, a wrong one failing the test file with the option named.
 */
export function configureFromProvide(): void {
  // `inject` reads the worker's copy of the config's `provide` (Vitest 3 and later).
  const inject = (vitest as { inject?: (key: string) => unknown }).inject
  if (typeof inject !== 'function') return
  const options = inject(PROVIDE_KEY)
  if (options === undefined) return
  try {
    configureFrom(options, WHERE)
  } catch (error) {
    throw wrongOptions(error)
  }
}
