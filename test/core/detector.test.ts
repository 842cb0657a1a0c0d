// The detector: one object per process holding all of loopcop's state, under a key that names its
// version; a test (or a tool) can build fresh ones side by side.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { Detector } from '../../src/detector.js'
import { VERSION } from '../../src/version.js'
import { fixtures, root, runNode } from '../helpers/run.js'

describe('a detector', () => {
  test('is built fresh with the defaults, and owns its configuration', () => {
    const one = new Detector({ version: VERSION })
    const two = new Detector({ version: VERSION })
    one.configure({ mode: 'warn', stallMs: 7 })
    expect(one.currentOptions()).toMatchObject({ mode: 'warn', stallMs: 7 })
    expect(two.currentOptions()).toMatchObject({ mode: 'fail', stallMs: 100 })
    one.configure.reset()
    expect(one.currentOptions()).toEqual(two.currentOptions())
  })

  test('owns its scopes: a scope opened by one is not the current scope of another', () => {
    const one = new Detector({ version: VERSION })
    const two = new Detector({ version: VERSION })
    // Interceptors stay out: opening a scope installs them, so these detectors only look.
    one.configure({ stallMs: 0 })
    const scope = one.scopes.open('detect')
    one.runInScope(scope, () => {
      expect(one.currentScope()).toBe(scope)
      expect(two.currentScope()).toBeUndefined()
    })
    expect(one.closeScope(scope)).toEqual([])
    one.uninstall()
  })

  test("is of this copy's version, package.json's", () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }
    expect(VERSION).toBe(pkg.version)
  })
})

test('a process where another version of loopcop runs says so once, and this version keeps its own detector (built package)', async () => {
  const dir = join(fixtures, 'core')
  const run = await runNode(join(dir, 'two-versions.mjs'), [], { cwd: dir })
  expect(run.code).toBe(0)
  const warnings = run.stderr.split('\n').filter((line) => line.includes('two versions of loopcop'))
  expect(warnings).toEqual([
    `loopcop: two versions of loopcop run in this process (${VERSION} and 9.9.9): each checks only the tests of its own integration, and allowBlocking()/configure() of one do not reach the other. Install one version (npm ls loopcop).`,
  ])
  expect(JSON.parse(run.stdout)).toEqual({ same: true, otherUntouched: 'version', findings: ['fs.readFileSync'] })
})
