import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import { type MochaRun, mochaFixtures, runMocha } from './support.js'

// Mocha shows one error a test. In `throw` mode a test whose code caught one refused call and let
// the next through failed with the second's error alone: the first was only in the run summary.
const spec = join(mochaFixtures, 'refusals', 'test', 'refusals.spec.js')

/** `test/refusals.spec.js:<line>` of the line marked `// <mark>`. */
function marked(mark: string): string {
  const i = readFileSync(spec, 'utf8').split('\n').findIndex((l) => l.includes(`// ${mark}`))
  if (i < 0) throw new Error(`no line marked "// ${mark}"`)
  return `test/refusals.spec.js:${i + 1}:`
}

describe.each([
  { label: 'Mocha 12', mocha11: false },
  { label: 'Mocha 11', mocha11: true },
])('$label', ({ label, mocha11 }) => {
  let run: MochaRun
  beforeAll(async () => {
    run = await runMocha('refusals', [], { name: `refusals-${label.replace(/\W+/g, '-')}`, mocha11, env: { LOOPCOP_MODE: 'throw' } })
  }, 240_000)

  test.each([
    ['catches one, throws the next', 'thrown'],
    ['catches one, rejects with the next', 'rejected'],
    ['catches one, passes the next to done', 'done'],
  ])('a test that %s fails naming both refused calls, the caught one first', (title, how) => {
    const message = run.message(`refusals ${title}`)
    expect(message).toContain(`2 blocking operations on the event loop during "refusals ${title}"`)
    const first = message.indexOf(`fs.readFileSync("${spec}") — refused before it ran (mode: throw)`)
    const second = message.indexOf(`fs.statSync("${spec}") — refused before it ran (mode: throw)`)
    expect(first).toBeGreaterThan(-1)
    expect(second).toBeGreaterThan(first)
    expect(message).toContain(marked(`first: ${how}`))
    expect(message).toContain(marked(`second: ${how}`))
  })

  test('a test that fails with its own error keeps it; the caught refusal is printed beside it and is in the run report', () => {
    expect(run.message('refusals catches one, fails with its own error')).toBe('its own failure')
    // Mocha shows one error a test: what loopcop found is said apart, as Vitest and Jest show it as a second error.
    const said = run.stderr.indexOf('loopcop: "refusals catches one, fails with its own error" failed with an error of its own, which the runner shows alone; what loopcop found in it is in the run summary, and here:\n')
    expect(said, run.stderr).toBeGreaterThan(-1)
    expect(run.stderr.slice(said).split('\n').slice(0, 3).join('\n')).toContain(`fs.readFileSync("${spec}") — refused before it ran (mode: throw)`)
    const findings = run.report?.findings.filter((f) => f.test?.name === 'refusals catches one, fails with its own error') ?? []
    expect(findings.map((f) => [f.operation, f.mode])).toEqual([['fs.readFileSync', 'throw']])
  })

  test('a test that never finished (a timeout) fails with its timeout; the refusal its code caught is printed when Mocha reports it', () => {
    const title = 'refusals catches one, then never calls done'
    expect(run.message(title)).toMatch(/^Timeout of 500ms exceeded/)
    const said = run.stderr.indexOf(`loopcop: "${title}" timed out, so this is not in its failure; it is in the run summary:\n1 blocking operation on the event loop during "${title}"\n`)
    expect(said, run.stderr).toBeGreaterThan(-1)
    expect(run.stderr.slice(said)).toContain(`fs.readFileSync("${spec}") — refused before it ran (mode: throw)`)
    expect(run.stderr.slice(said)).toContain(marked('first: hung'))
  })

  // stylus, archiver: a refusal thrown in a callback fails the test as Mocha's uncaught error; loopcop
  // printed it again, saying the test "did not finish … (a timeout, or a hook that failed)".
  test('a refusal thrown in a callback is the test\'s failure, not said again; one the code caught before it is printed beside it', () => {
    const alone = 'refusals is refused in a callback, uncaught'
    expect(run.message(alone)).toContain(`1 blocking operation on the event loop during "${alone}"`)
    expect(run.stderr).not.toContain(`loopcop: "${alone}"`)
    const both = 'refusals catches one, then is refused in a callback, uncaught'
    const message = run.message(both)
    expect(message).toContain(`fs.statSync("${spec}") — refused before it ran (mode: throw)`)
    expect(message).toContain(marked('second: uncaught'))
    const said = run.stderr.indexOf(`loopcop: "${both}" failed with an uncaught error (thrown in a callback, or a promise nothing awaited), which the runner shows alone, so this is not in its failure; it is in the run summary:\n1 blocking operation on the event loop during "${both}"\n`)
    expect(said, run.stderr).toBeGreaterThan(-1)
    const printed = run.stderr.slice(said).split('\n').slice(0, 4).join('\n')
    expect(printed).toContain(`fs.readFileSync("${spec}") — refused before it ran (mode: throw)`)
    expect(printed).toContain(marked('first: uncaught'))
    expect(printed).not.toContain('fs.statSync')
  })

  test('every refused call is in the run report once', () => {
    expect(run.failed).toHaveLength(7)
    expect(run.report?.summary).toMatchObject({ calls: 11, tests: 7 })
  })
})
