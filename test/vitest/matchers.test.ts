// expect(fn).toBlockEventLoop() / .not in a real Vitest run, and its types under Vitest 4 and 5.
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { fixtures, root, runNode } from '../helpers/run.js'
import { type FixtureRun, appLine, cleanRuns, marked, names, outcome, runFixture } from './support.js'

afterAll(cleanRuns)

describe('toBlockEventLoop', () => {
  let run: FixtureRun
  beforeAll(async () => {
    run = await runFixture(['test/matchers.test.ts'], { report: true })
  }, 240_000)

  test('passes and fails exactly where it should, sync and async, and charges nothing to the test', () => {
    // The [clean] tests include `expect(() => blocking()).toBlockEventLoop()` in enforced tests:
    // what the matcher's fn blocks on is its subject, not the test's.
    expect(names(run, 'passed')).toEqual(marked(run, 'clean'))
    expect(names(run, 'failed')).toEqual(marked(run, 'blocks'))
  })

  test('.not fails for blocking code with a readable message listing each finding', () => {
    for (const name of ['[blocks] .not fails for blocking sync code', '[blocks] .not fails for blocking async code']) {
      const failure = outcome(run, name).failure
      expect(failure, name).toContain('expect(fn).not.toBlockEventLoop()')
      expect(failure, name).toContain('Expected fn not to block the event loop, but it did:')
      expect(failure, name).toMatch(/ {2}1\) fs\.readFileSync\(".*config\.json"\) blocked .* — use fs\.promises\.readFile/)
      expect(failure, name).toContain(`at loadConfigSync (src/app.ts:${appLine('readFileSync')}:21)`)
    }
  })

  test('what the matchers found is in the run report, marked as theirs; the summary says so', () => {
    const asserted = (run.report?.findings ?? []).filter((f) => f.scope === 'assertion' && !f.allowed)
    expect([...new Set(asserted.map((f) => f.test?.name))].sort()).toEqual([
      '[blocks] .not fails for blocking async code',
      '[blocks] .not fails for blocking sync code',
      '[clean] passes for blocking async code, which is not charged to the test',
      '[clean] passes for blocking sync code, which is not charged to the test',
    ])
    expect(run.report?.summary).toMatchObject({ findings: 0, assertions: asserted.length })
    expect(run.result.output).toContain('loopcop: no blocking of the event loop found outside assertions')
    expect(run.result.output).toContain('found by assertions (toBlockEventLoop, assertNoBlocking, blockEventLoop, doesNotBlock)')
  })

  test('fails for clean code, saying it made no blocking call', () => {
    const failure = outcome(run, '[blocks] fails for clean code').failure
    expect(failure).toContain('expect(fn).toBlockEventLoop()')
    expect(failure).toContain('Expected fn to block the event loop, but it made no blocking call.')
  })
})

test('loopcop/vitest/matchers registers the matchers without checking every test', async () => {
  const run = await runFixture(['test/matchers.test.ts', 'test/blocking.test.ts'], { args: ['--config=vitest.matchers.config.ts'] })
  const inMatchers = run.tests.filter((t) => t.file === 'test/matchers.test.ts')
  // The matchers behave the same …
  expect(names(run, 'failed')).toEqual(inMatchers.filter((t) => t.name.includes('[blocks]')).map((t) => t.name).sort())
  // … and the blocking tests of blocking.test.ts pass: nothing checks them.
  expect(run.tests.filter((t) => t.file === 'test/blocking.test.ts' && t.status === 'passed')).toHaveLength(7)
}, 240_000)

describe('types', () => {
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
  test.each([
    ['Vitest 4', join(fixtures, 'vitest', 'types', 'tsconfig.v4.json')],
    ['the fixture project', join(fixtures, 'vitest', 'app', 'tsconfig.json')],
  ])('the matcher type-checks with %s', async (_, project) => {
    const result = await runNode(tsc, ['-p', project], { cwd: root, timeoutMs: 240_000 })
    expect(result.output.trim()).toBe('')
    expect(result.code).toBe(0)
  }, 240_000)
})
