import { readFileSync } from 'node:fs'
import { expect, test } from 'vitest'
import { Guard } from '../../src/runtime/guard.js'
import { Stacks } from '../../src/stack/capture.js'
import { Watchdog, commonJsScript } from '../../src/stall/watchdog.js'

// The watchdog's worker starts as a CommonJS script (no ES module loader in the worker).
test("the watchdog's worker becomes a CommonJS script: its imports of Node's modules made requires", () => {
  const script = commonJsScript(readFileSync(new URL('../../src/stall/watchdog-worker.mjs', import.meta.url), 'utf8'))
  expect(script).toBeDefined()
  expect(script).toContain("const inspector = require('node:inspector')")
  expect(script).toContain("const { parentPort, workerData } = require('node:worker_threads')")
  expect(script).not.toMatch(/^import /m)
  expect(() => new Function('require', script!)).not.toThrow(SyntaxError)
})

test('a worker with anything else only a module may hold starts from its file', () => {
  expect(commonJsScript("import x from './x.js'\nx()")).toBeUndefined()
  expect(commonJsScript("import inspector from 'node:inspector'\nconsole.log(import.meta.url)")).toBeUndefined()
  expect(commonJsScript("import inspector from 'node:inspector'\nexport const y = 1")).toBeUndefined()
})

// A probe landing in a module's loading (or a blocking call) answers "again"; when the stall ends
// before the next probe (a watchdog short of CPU), the scope it landed in still owns the stall
// (StallMonitor's `againIn`): the Node 20 CI run lost "imports a slow CommonJS module amid its own
// work" that way once its test had ended.
test('a probe that answers "again" keeps the scope it landed in, for the stall monitor to take once', () => {
  const guard = new Guard()
  let loading = true
  const watchdog = new Watchdog<string>({ stacks: new Stacks(guard), guard, cpuMs: () => 0, currentScope: () => 'the test', inModuleLoading: () => loading, root: undefined, internalError: (error) => { throw error } })
  const realm: Record<symbol, unknown> = {}
  watchdog.installProbe(realm)
  const probe = realm[Symbol.for('loopcop.stallProbe')] as () => string
  expect(probe()).toBe('again')
  expect(watchdog.probes).toEqual([])
  expect(watchdog.takeAgainScope()).toBe('the test')
  expect(watchdog.takeAgainScope()).toBeUndefined()
  loading = false
  expect(probe()).toBe('ok')
  expect(watchdog.probes.map((p) => p.scope)).toEqual(['the test'])
  expect(watchdog.takeAgainScope()).toBeUndefined()
})
