import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import { type MochaRun, mochaFixtures, runMocha } from './support.js'

// A test's body and hooks run inside loopcop's scope, an `AsyncLocalStorage.run` that loopcop's
// own code calls: Node's frame of it sat in every finding's stack between the test's function and
// Mocha's (the JSON report, and in `throw` mode the stack Mocha prints). The user's own storage
// keeps its frame.
const spec = join(mochaFixtures, 'scope-frames', 'test', 'frames.spec.js')
const storageRun = /AsyncLocalStorage\.run/

/** `test/frames.spec.js:<line>` of the line marked `// <mark>`. */
function marked(mark: string): string {
  const i = readFileSync(spec, 'utf8').split('\n').findIndex((l) => l.includes(`// ${mark}`))
  if (i < 0) throw new Error(`no line marked "// ${mark}"`)
  return `test/frames.spec.js:${i + 1}:`
}

describe.each([{ mode: 'warn' }, { mode: 'throw' }])('$mode mode', ({ mode }) => {
  let run: MochaRun
  beforeAll(async () => {
    run = await runMocha('scope-frames', [], { name: `scope-frames-${mode}`, env: { LOOPCOP_MODE: mode } })
  }, 240_000)

  const stackOf = (operation: string): readonly string[] => run.report?.findings.find((f) => f.operation === operation)?.stack ?? []

  test.each([
    ['fs.statSync', 'hook'],
    ['fs.readFileSync', 'body'],
    ['fs.existsSync', 'continuation'],
  ])('%s (%s): its stack holds the test’s frames and no AsyncLocalStorage.run', (operation, mark) => {
    const stack = stackOf(operation)
    expect(stack.join('\n')).toContain(marked(mark))
    expect(stack.filter((frame) => storageRun.test(frame))).toEqual([])
  })

  test('a call inside the user’s own AsyncLocalStorage keeps that storage’s frame, right below the call', () => {
    const stack = stackOf('fs.lstatSync')
    const at = stack.findIndex((frame) => frame.includes(marked('storage')))
    expect(at).toBeGreaterThan(-1)
    expect(stack[at + 1]).toMatch(storageRun)
    expect(stack.filter((frame) => storageRun.test(frame))).toHaveLength(1)
  })

  if (mode === 'throw') {
    test('the stack Mocha prints for a refused call ends with the test’s own frame', () => {
      const stack = run.json.failures.find((f) => f.fullTitle === 'frames in the body')?.err.stack ?? ''
      expect(stack).toContain(marked('body'))
      expect(stack).not.toMatch(storageRun)
    })
  }
})
