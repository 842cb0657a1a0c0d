import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import { fixtures } from '../helpers/run.js'
import { type JestRun, runJest } from './support.js'

// The `stack-maps` fixture: tests read the stack of an error a dependency threw, whose source map
// (generated, ~6 MB) Jest's source-map support parses the first time a stack shows its file — a
// few hundred ms of CPU, as @babel/parser's took in jscodeshift's tests (160–250 ms), where loopcop
// charged it as a stall to the line that read `.stack`, with a "break the work into chunks" hint
// (before the fix both tests failed so, the first with the formatting and its loop as one stall).
// That time is the runner's: no stall. The first test works on after the read, and that stall is
// its own, found in its loop. `stallMode: 'fail'`.

const readOnly = "reads a parse error's stack"
const readThenWork = "reads a check error's stack, then crunches numbers"

/** The busy loop's lines in the fixture's src/work.js (marked `// stalls: …`). */
function busyLoop(): [number, number] {
  const lines = readFileSync(join(fixtures, 'jest', 'stack-maps', 'src', 'work.js'), 'utf8').split('\n')
  return [lines.findIndex((l) => l.includes('// stalls: busy loop starts')) + 1, lines.findIndex((l) => l.includes('// stalls: busy loop ends')) + 1]
}

describe("a dependency's source map parsed by Jest to format a stack", () => {
  let run: JestRun
  beforeAll(async () => {
    run = await runJest('stack-maps')
  })

  test('reading the stack is no stall; the work after it is one, of the test that did it', () => {
    expect(run.json.numRuntimeErrorTestSuites, run.output).toBe(0)
    expect(run.passed, run.output).toEqual([readOnly])
    expect(run.failed, run.output).toEqual([readThenWork])
    const [message, ...more] = run.test(readThenWork).failureMessages
    expect(more).toEqual([])
    expect(message).toMatch(new RegExp(`^BlockingIOError: 1 event loop stall during "${readThenWork}"\\n {2}1\\) event loop stalled \\d+ ms`))
    // Where the test worked, not where it read the stack.
    expect(message).not.toMatch(/tests\/maps\.test\.js:11:/)
  })

  test('the JSON report holds the one stall, in the busy loop', () => {
    const stalls = run.report?.findings.filter((f) => f.kind === 'stall') ?? []
    expect(stalls.map((f) => [f.test?.name, f.location?.file]), JSON.stringify(stalls)).toEqual([[readThenWork, 'src/work.js']])
    const [first, last] = busyLoop()
    expect(stalls[0]!.location!.line).toBeGreaterThanOrEqual(first)
    expect(stalls[0]!.location!.line).toBeLessThanOrEqual(last)
    expect(run.report?.summary).toMatchObject({ findings: 1, tests: 1, unjudgedStalls: 0 })
  })
})
