// The detector: one object per process holding all of loopcop's state, under a key that names its
// version; a test (or a tool) can build fresh ones side by side.
import fs, { readFileSync } from 'node:fs'
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
  test('tells its task once the first scope has ended and the task that ended it is done, outside every scope, as loopcop’s own work; a later task at once', async () => {
    const detector = new Detector({ version: VERSION })
    detector.configure({ stallMs: 0 })
    const seen: { warmth: string; scope: unknown; guarded: boolean }[] = []
    const task = (warmth: string): void => {
      seen.push({ warmth, scope: detector.currentScope(), guarded: detector.guard.depth > 0 })
    }
    detector.whenWarm(task)
    expect(seen).toEqual([])
    // A test faking timers cannot hold it back: loopcop's setImmediate is the real one.
    const real = globalThis.setImmediate
    const held: unknown[] = []
    globalThis.setImmediate = ((callback: unknown) => held.push(callback)) as unknown as typeof setImmediate
    try {
      const scope = detector.openScope('detect')
      detector.runInScope(scope, () => {
        detector.closeScope(scope)
      })
    } finally {
      globalThis.setImmediate = real
    }
    // Not at the scope's close: what ends a test runs on after it (marking its findings, printing
    // its warnings), and the code cache written by the task should hold that code too.
    expect(seen).toEqual([])
    // A task given meanwhile waits for the same turn.
    detector.whenWarm(task)
    expect(seen).toEqual([])
    await new Promise((resolve) => setImmediate(resolve))
    expect(held).toEqual([])
    // The scope judged no call: the code has run a test, not judged one.
    expect(seen).toEqual([
      { warmth: 'ran', scope: undefined, guarded: true },
      { warmth: 'ran', scope: undefined, guarded: true },
    ])
    // Its time is loopcop's own: a stall watched meanwhile (a concurrent test) leaves it out.
    const own = detector.guard.ownMs
    detector.whenWarm(() => {
      const until = performance.now() + 5
      while (performance.now() < until);
    })
    expect(detector.guard.ownMs - own).toBeGreaterThanOrEqual(4)
    detector.uninstall()
  })

  test('tells its task again, once, after the first scope that judged a call; never a third time', async () => {
    const detector = new Detector({ version: VERSION })
    detector.configure({ stallMs: 0 })
    const seen: string[] = []
    detector.whenWarm((warmth) => seen.push(warmth))
    const clean = detector.openScope('detect')
    detector.closeScope(clean)
    await new Promise((resolve) => setImmediate(resolve))
    expect(seen).toEqual(['ran'])
    // Another clean scope: nothing new to tell.
    detector.closeScope(detector.openScope('detect'))
    await new Promise((resolve) => setImmediate(resolve))
    expect(seen).toEqual(['ran'])
    // A scope with a blocking call: its judging code has run now.
    const judged = detector.openScope('detect')
    detector.runInScope(judged, () => fs.existsSync(import.meta.dirname))
    expect(detector.closeScope(judged).map((f) => (f.kind === 'sync-io' ? f.operation : f.kind))).toEqual(['fs.existsSync'])
    expect(seen).toEqual(['ran'])
    await new Promise((resolve) => setImmediate(resolve))
    expect(seen).toEqual(['ran', 'judged'])
    const again = detector.openScope('detect')
    detector.runInScope(again, () => fs.existsSync(import.meta.dirname))
    detector.closeScope(again)
    await new Promise((resolve) => setImmediate(resolve))
    expect(seen).toEqual(['ran', 'judged'])
    // A task given now is told at once how warm the code is, and only then.
    const late: string[] = []
    detector.whenWarm((warmth) => late.push(warmth))
    expect(late).toEqual(['judged'])
    detector.closeScope(detector.openScope('detect'))
    await new Promise((resolve) => setImmediate(resolve))
    expect(late).toEqual(['judged'])
    detector.uninstall()
  })

  test('a first scope that judged a call tells its task once, as judged', async () => {
    const detector = new Detector({ version: VERSION })
    detector.configure({ stallMs: 0 })
    const seen: string[] = []
    detector.whenWarm((warmth) => seen.push(warmth))
    const scope = detector.openScope('detect')
    detector.runInScope(scope, () => fs.statSync(import.meta.dirname))
    detector.closeScope(scope)
    // A task given before that turn is told in it, once.
    detector.whenWarm((warmth) => seen.push(`meanwhile: ${warmth}`))
    expect(seen).toEqual([])
    await new Promise((resolve) => setImmediate(resolve))
    detector.closeScope(detector.openScope('detect'))
    await new Promise((resolve) => setImmediate(resolve))
    expect(seen).toEqual(['judged', 'meanwhile: judged'])
    detector.uninstall()
  })

  test('drops a task that throws: the scope still ends with its findings, and the next task runs', async () => {
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
    await new Promise((resolve) => setImmediate(resolve))
    expect(ran).toBe(true)
    detector.uninstall()
  })
})
