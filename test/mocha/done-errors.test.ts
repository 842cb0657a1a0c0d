import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import { fixtures } from '../helpers/run.js'
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

// `inside`: Mocha runs in the folder that holds the installed `node_modules/loopcop`, as in a user's
// project, where Mocha's stack filter has made loopcop's frames relative (`node_modules/loopcop/…`)
// by the time its reporter records the error: loopcop took them for someone else's and left them in.
describe.each([
  { mocha11: false, inside: false },
  { mocha11: true, inside: false },
  { mocha11: false, inside: true },
  { mocha11: true, inside: true },
])('Mocha $mocha11 (true: 11), run in the folder of the install: $inside', ({ mocha11, inside }) => {
  let run: MochaRun
  beforeAll(async () => {
    const name = `done-errors-${mocha11 ? 11 : 12}${inside ? '-inside' : ''}`
    // From the install's folder: the fixture's configuration and spec file named from there.
    const args = inside ? ['--config', join(mochaFixtures, 'done-errors', '.mocharc.json'), spec] : []
    run = await runMocha('done-errors', args, { name, mocha11, ...(inside && { cwd: fixtures }) })
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
    // No frame of loopcop's package (by its path, absolute or made relative by Mocha's filter) nor
    // of its wrappers (`loopcopDone`, `loopcopHook`). Not any text "loopcop": the repository's own
    // folder is named so in a clone, and frames of the suite's `mocha11` install hold its path.
    const atLines = stack.split('\n').filter((line) => /^\s+at /.test(line))
    expect(atLines.filter((line) => /node_modules\/loopcop\/|\bloopcop[A-Z]/.test(line))).toEqual([])
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
