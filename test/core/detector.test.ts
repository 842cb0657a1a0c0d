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

describe('whenWarm', () => {
  test('runs its task once the first scope has ended, outside every scope, as loopcop’s own work; later tasks at once', () => {
    const detector = new Detector({ version: VERSION })
    detector.configure({ stallMs: 0 })
    const seen: { scope: unknown; guarded: boolean }[] = []
    const task = (): void => {
      seen.push({ scope: detector.currentScope(), guarded: detector.guard.depth > 0 })
    }
    detector.whenWarm(task)
    expect(seen).toEqual([])
    const scope = detector.openScope('detect')
    detector.runInScope(scope, () => {
      detector.closeScope(scope)
    })
    expect(seen).toEqual([{ scope: undefined, guarded: true }])
    // Its time is loopcop's own: a stall watched meanwhile (a concurrent test) leaves it out.
    const own = detector.guard.ownMs
    detector.whenWarm(() => {
      const until = performance.now() + 5
      while (performance.now() < until);
    })
    expect(detector.guard.ownMs - own).toBeGreaterThanOrEqual(4)
    // Once: a second scope's end does not run it again; a task given after the first end runs at once.
    const again = detector.openScope('detect')
    detector.closeScope(again)
    expect(seen).toHaveLength(1)
    detector.whenWarm(task)
    expect(seen).toHaveLength(2)
    detector.uninstall()
  })

  test('drops a task that throws: the scope still ends with its findings, and the next task runs', () => {
    const detector = new Detector({ version: VERSION })
    detector.configure({ stallMs: 0 })
    let ran = false
    detector.whenWarm(() => {
      throw new Error('no room for the cache')
    })
    detector.whenWarm(() => {
      ran = true
    })
    const scope = detector.openScope('detect')
    expect(detector.closeScope(scope)).toEqual([])
    expect(ran).toBe(true)
    detector.uninstall()
  })
})
