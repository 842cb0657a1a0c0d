import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import { type MochaRun, mochaFixtures, runMocha } from './support.js'

// Mocha makes some errors itself inside the `done` it gives a test or hook (`done() called
// multiple times`, a timeout found when `done` comes late, `done() invoked with non-Error`), below
// loopcop's wrapper of that `done`: their stacks, as the reporter prints them, held loopcop's frames
// and Node's `AsyncLocalStorage` frames of loopcop's scope between Mocha's and the test's.
const spec = join(mochaFixtures, 'done-errors', 'test', 'done.spec.js')

/** `test/done.spec.js:<line>` of the line marked `// <mark>`. */
function marked(mark: string): string {
  const i = readFileSync(spec, 'utf8').split('\n').findIndex((l) => l.includes(`// ${mark}`))
  if (i < 0) throw new Error(`no line marked "// ${mark}"`)
  return `test/done.spec.js:${i + 1}:`
}

describe.each([{ mocha11: false }, { mocha11: true }])('Mocha $mocha11 (true: 11)', ({ mocha11 }) => {
  let run: MochaRun
  beforeAll(async () => {
    run = await runMocha('done-errors', [], { name: `done-errors-${mocha11 ? 11 : 12}`, mocha11 })
  }, 240_000)

  const failure = (title: string): { readonly message?: string; readonly stack?: string } => {
    const found = run.json.failures.find((f) => f.fullTitle === title)
    if (found === undefined) throw new Error(`"${title}" did not fail:\n${run.output}`)
    return found.err
  }

  test.each([
    ['done errors done twice', 'twice', /done\(\) called multiple times in test/],
    ['done errors done twice, later', 'later', /done\(\) called multiple times in test/],
    ['done errors done after the timeout', 'overdue', /Timeout of 20ms exceeded/],
    ['done errors done with a string', 'string', /done\(\) invoked with non-Error: not an error/],
    ['a hook "before each" hook in "a hook"', 'hook', /done\(\) called multiple times in hook/],
  ])('%s: Mocha’s error, its stack from the line that called done, nothing of loopcop’s', (title, mark, message) => {
    const err = failure(title)
    expect(err.message).toMatch(message)
    const stack = err.stack ?? ''
    expect(stack).toContain(marked(mark))
    expect(stack).not.toMatch(/loopcop/)
    expect(stack).not.toMatch(/AsyncLocalStorage\.(run|exit)/)
    // The line that called done is the first frame after Mocha's own (which Mocha's filter takes out
    // of a stack under `node_modules/mocha/`, not under the suite's second install `mocha11/`).
    const frames = stack.split('\n').filter((line) => /^\s+at /.test(line) && !/node_modules\/mocha(11)?\//.test(line))
    expect(frames[0]).toContain(marked(mark))
  })

  test('loopcop changes no outcome: the same failures as Mocha reports them', () => {
    expect(run.json.stats.failures).toBe(5)
    expect(run.report?.findings ?? []).toEqual([])
  })
})
