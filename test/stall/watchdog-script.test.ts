import { readFileSync } from 'node:fs'
import { expect, test } from 'vitest'
import { commonJsScript } from '../../src/stall/watchdog.js'

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
