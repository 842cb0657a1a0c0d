import { beforeAll, describe, expect, test } from 'vitest'
import { essentials, type JestRun, runJest } from './support.js'

// The `esm` fixture: `"type": "module"`, no transform, run with `node --experimental-vm-modules`
// as Jest documents for native ES modules. Test files import `loopcop` and `@jest/globals`.
describe('ES module test files', () => {
  let run: JestRun
  beforeAll(async () => {
    run = await runJest('esm', ['--maxWorkers=1'], { nodeArgs: ['--experimental-vm-modules'] })
  })

  test('default and named imports of node:fs are both seen; async code and allowBlocking(fn) pass', () => {
    expect(run.json.numRuntimeErrorTestSuites).toBe(0)
    expect(run.failed).toEqual(['esm: default import of node:fs', 'esm: named import of node:fs'])
    expect(run.passed).toEqual(['esm: allowBlocking(fn)', 'esm: async is clean', 'esm: dynamic import inside the test', 'esm: matchers'])
  })

  test('failures point at the line in the ES module', () => {
    expect(run.test('esm: default import of node:fs').failureMessages[0]).toMatch(/fs\.readFileSync\(".*package\.json"\) blocked [\d.]+ ms[^\n]*\n\s+in nameViaDefault \(src\/config\.js:7:24\)/)
    expect(run.test('esm: named import of node:fs').failureMessages[0]).toMatch(/\n\s+in nameViaNamed \(src\/config\.js:11:21\)/)
    expect(essentials(run.report)).toEqual([
      'tests/config.test.js | esm: allowBlocking(fn) | fs.readFileSync | - | allowed by allowBlocking(fn) |  | ×1',
      'tests/config.test.js | esm: default import of node:fs | fs.readFileSync | src/config.js:7 | blocking |  | ×1',
      'tests/config.test.js | esm: matchers | fs.readFileSync | src/config.js:11 | assertion |  | ×1',
      'tests/config.test.js | esm: named import of node:fs | fs.readFileSync | src/config.js:11 | blocking |  | ×1',
    ])
  })
})
