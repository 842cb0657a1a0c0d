import fs from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, test } from 'vitest'
import { configure, detect, type Finding } from '../../src/index.js'
import { type TestOutcome, type TestSink, openTest } from '../../src/integration.js'
import { Configuration } from '../../src/accounting/settings.js'
import { TestFiles } from '../../src/accounting/test-code.js'
import { isUnjudged } from '../../src/model/finding.js'
import { defaultsWithoutStalls, syncIo, tempDir } from './support.js'

defaultsWithoutStalls()
const require = createRequire(import.meta.url)
const thisFile = fileURLToPath(import.meta.url)
const dir = tempDir()
const file = join(dir, 'a.json')
fs.writeFileSync(file, '{}')
// The code under test: the user's own library (not a dependency), which blocks.
const { libraryRead } = require('../fixtures/core/library.cjs') as { libraryRead(path: string): Buffer }

const sink: TestSink = { record: () => {}, print: () => {}, leak: () => {} }

/** Runs `body` as a test of `testFile` (this file unless given) and ends it. */
async function asTest(body: () => unknown, testFile = thisFile): Promise<TestOutcome> {
  const run = openTest({ name: 'a test', file: testFile }, {}, sink)
  await run.run(async () => {
    await body()
  })
  return run.end(false)!
}

const verdicts = (findings: readonly Finding[]) => syncIo(findings).map((f) => [f.operation, f.allowedBy ?? (isUnjudged(f) ? 'not judged' : 'violation'), f.testCode === true])

// A runner's own package blocking deep inside itself (the built-in "mocha" rule allows it from its
// first frames: a module load, say), which a test may do many times over.
fs.mkdirSync(join(dir, 'node_modules/mocha'), { recursive: true })
fs.writeFileSync(join(dir, 'node_modules/mocha/index.cjs'), "const fs = require('node:fs')\nfunction down(n, path) { return n === 0 ? fs.existsSync(path) : down(n - 1, path) }\nexports.exists = (path) => down(12, path)\n")
const runner = require(join(dir, 'node_modules/mocha/index.cjs')) as { exists(path: string): boolean }

describe('testCode (default allow): the tests’ own blocking calls', () => {
  // fastify: a test that require()d 110 modules, then read a file itself; the loads used up the
  // calls fs.readFileSync keeps a stack for, and its own read was listed allowed without a place.
  test('calls a built-in rule allows do not use up the calls an operation keeps a stack for: the test’s own call after 110 of them keeps its place', async () => {
    const outcome = await asTest(() => {
      for (let i = 0; i < 110; i++) runner.exists(file)
      fs.existsSync(file)
    })
    const own = syncIo(outcome.findings).filter((f) => f.allowedBy === 'test code')
    expect(own.map((f) => [f.operation, f.unstacked, f.location?.file])).toEqual([['fs.existsSync', false, thisFile]])
  })

  test('nor do module loads, whose loader frames lie above the test’s own: the test’s read after 110 require()s keeps its place', async () => {
    for (let i = 0; i < 110; i++) fs.writeFileSync(join(dir, `loaded-${i}.cjs`), `module.exports = ${i}\n`)
    const outcome = await asTest(() => {
      for (let i = 0; i < 110; i++) require(join(dir, `loaded-${i}.cjs`))
      fs.readFileSync(file)
    })
    const reads = syncIo(outcome.findings).filter((f) => f.operation === 'fs.readFileSync')
    expect(reads.map((f) => [f.allowedBy, f.unstacked, f.location?.file])).toEqual([['test code', false, thisFile]])
  })

  test('a call the test file makes is allowed by "test code", the library call in the same test still fails', async () => {
    const outcome = await asTest(() => {
      fs.statSync(file)
      libraryRead(file)
    })
    expect(verdicts(outcome.findings).sort()).toEqual([
      ['fs.readFileSync', 'violation', false],
      ['fs.statSync', 'test code', true],
    ])
    expect(outcome.error?.message).toContain('fs.readFileSync')
    expect(outcome.error?.message).not.toContain('fs.statSync')
  })

  test('only the running test’s file (or a registered one) is test code', async () => {
    const outcome = await asTest(() => fs.statSync(file), join(dir, 'other.test.ts'))
    expect(verdicts(outcome.findings)).toEqual([['fs.statSync', 'violation', false]])
  })

  test("testCode: 'check' counts them, listed after the code under test", async () => {
    configure({ testCode: 'check' })
    const outcome = await asTest(() => {
      fs.statSync(file)
      libraryRead(file)
    })
    expect(verdicts(outcome.findings).sort()).toEqual([
      ['fs.readFileSync', 'violation', false],
      ['fs.statSync', 'violation', true],
    ])
    const message = outcome.error?.message ?? ''
    expect(message.indexOf('fs.readFileSync')).toBeLessThan(message.indexOf('fs.statSync'))
    expect(message).toContain('(in test code)')
  })

  test('detect() takes no testCode: everything counts there', async () => {
    await expect(detect(() => 1, { testCode: 'allow' } as object)).rejects.toThrow(/Unknown option `testCode` in detect\(\) options/)
  })

  test('inside an explicit detect() scope everything counts', async () => {
    let inner: readonly Finding[] = []
    await asTest(async () => {
      inner = (await detect(() => fs.statSync(file))).blocking
    })
    expect(verdicts(inner)).toEqual([['fs.statSync', 'violation', true]])
  })
})

describe('calls past the first 100 of an operation in a test', () => {
  test('are judged while every call so far is allowed (test code here), and "not judged" — never violations — once one is not', async () => {
    const allowed = await asTest(() => {
      for (let i = 0; i < 150; i++) fs.statSync(file)
    })
    expect(allowed.error).toBeUndefined()
    // The first 100 keep their stacks (one site), later ones are judged one by one and counted by rule.
    expect(syncIo(allowed.findings).map((f) => [f.allowedBy, f.calls, f.unstacked])).toEqual([
      ['test code', 100, false],
      ['test code', 50, true],
    ])

    const mixed = await asTest(() => {
      libraryRead(file)
      for (let i = 0; i < 150; i++) fs.readFileSync(file)
    })
    const byVerdict = Object.fromEntries(syncIo(mixed.findings).map((f) => [f.allowedBy ?? (isUnjudged(f) ? 'not judged' : 'violation'), f.calls]))
    expect(byVerdict).toEqual({ violation: 1, 'test code': 99, 'not judged': 51 })
    expect(mixed.error?.message).toMatch(/^1 blocking operation on the event loop/)
    expect(mixed.error?.message).toContain('fs.readFileSync ×51 more calls, not judged')
  })
})

describe('the rule lists of test files (TestFiles.rulesFor)', () => {
  test('registered test files share one list; a file not registered gets its own, which counts it as a test file', () => {
    const settings = new Configuration().settingsFor()
    const files = new TestFiles()
    files.add(['/p/test/a.spec.js', '/p/test/b.spec.js'])
    const a = files.rulesFor(settings, '/p/test/a.spec.js')
    expect(files.rulesFor(settings, '/p/test/b.spec.js')).toBe(a)
    expect(files.rulesFor(settings, undefined)).toBe(a)
    const c = files.rulesFor(settings, '/p/test/c.spec.js')
    expect(c).not.toBe(a)
    const rule = (rules: typeof a): ((file: string) => boolean) => rules.at(-1)?.caller as (file: string) => boolean
    expect([rule(a)('/p/test/a.spec.js'), rule(a)('/p/test/c.spec.js'), rule(a)('/p/src/x.js')]).toEqual([true, false, false])
    expect([rule(c)('/p/test/a.spec.js'), rule(c)('/p/test/c.spec.js'), rule(c)('/p/src/x.js')]).toEqual([true, true, false])
  })
})
