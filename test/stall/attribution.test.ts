import { describe, expect, test } from 'vitest'
import type { Frame } from '../../src/model/finding.js'
import { belowStackFormatter, isModuleLoading } from '../../src/stall/attribution.js'

const frame = (file: string, fn?: string): Frame => ({ fn, file, line: 1, column: 1 })

// Which frames make a stall a module's loading, not a stall (unless `moduleLoading`).
describe('isModuleLoading', () => {
  test("Node's own loaders, and vm.SourceTextModule's linking and evaluation (Jest's ES module loader, where no jest-runtime frame is on the stack)", () => {
    expect(isModuleLoading(frame('node:internal/modules/cjs/loader', 'Module._load'))).toBe(true)
    expect(isModuleLoading(frame('node:internal/modules/esm/module_job', 'ModuleJob.run'))).toBe(true)
    expect(isModuleLoading(frame('node:internal/vm/module', 'SourceTextModule.[kLink]'))).toBe(true)
    expect(isModuleLoading(frame('/app/node_modules/jest-runtime/build/index.js', 'Runtime.loadEsmModule'))).toBe(true)
    // Jest's resolver, in the continuation of an ES module's asynchronous resolution, where no
    // jest-runtime frame is on the stack either (prettier's plugins: a probe read as the test's own code).
    expect(isModuleLoading(frame('/app/node_modules/jest-resolve/build/index.js', 'Resolver.findNodeModuleAsync'))).toBe(true)
  })

  test("not vm.Script or runInContext (what a test's own sandbox runs), async hooks, nor the user's code", () => {
    expect(isModuleLoading(frame('node:vm', 'Script.runInContext'))).toBe(false)
    expect(isModuleLoading(frame('node:internal/vm', 'compileFunction'))).toBe(false)
    expect(isModuleLoading(frame('node:internal/async_local_storage/async_hooks', 'AsyncHook.init'))).toBe(false)
    expect(isModuleLoading(frame('/app/src/format.js', 'format'))).toBe(false)
  })
})

// svelte: a stall in code that reads `new Error().stack` again and again, probed inside the runner's
// formatter (Vite's module runner's), is the code's that asked for the stack, not the formatter's.
describe('belowStackFormatter', () => {
  const formatter = [frame('/app/node_modules/vite/dist/node/module-runner.js', 'wrapCallSite'), frame('/app/node_modules/vite/dist/node/module-runner.js', 'Function.prepareStackTrace')]
  const asked = [frame('/app/src/dev.js', 'get_stack'), frame('/app/test/a.test.ts')]

  test("leaves out the frames above Node's call of the formatter", () => {
    expect(belowStackFormatter([...formatter, frame('node:internal/errors', 'prepareStackTraceCallback'), ...asked])).toEqual(asked)
  })

  test('below the deepest such call when a formatter asked for a stack in turn; as it is without one', () => {
    const nested = [...formatter, frame('node:internal/errors', 'prepareStackTraceCallback'), frame('/app/node_modules/source-map-support/index.js', 'prepare'), frame('node:internal/errors', 'prepareStackTrace'), ...asked]
    expect(belowStackFormatter(nested)).toEqual(asked)
    expect(belowStackFormatter(asked)).toBe(asked)
  })
})
