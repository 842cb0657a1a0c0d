import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import { fixtures } from '../helpers/run.js'
import { type JestRun, runJest } from './support.js'

const widget = join(fixtures, 'jest', 'jsdom', 'src', 'widget.js')
const blockingLine = readFileSync(widget, 'utf8').split('\n').findIndex((l) => l.includes('// blocks: readFileSync')) + 1

// The `jsdom` fixture: `testEnvironment` is jest-environment-jsdom wrapped with `withLoopcop`, as the
// README shows for any environment other than Node's.
describe('withLoopcop(jsdom environment)', () => {
  let run: JestRun
  beforeAll(async () => {
    run = await runJest('jsdom', ['--maxWorkers=1'])
  })

  test('the tests run in jsdom and exactly the blocking one fails, at the blocking line', () => {
    expect(run.json.numRuntimeErrorTestSuites).toBe(0)
    expect(run.failed).toEqual(['jsdom: rendering reads the template synchronously'])
    expect(run.passed).toEqual(['jsdom: allowBlocking() for fixture set-up', 'jsdom: rendering stays async', "jsdom: the DOM is jsdom's", 'jsdom: the matcher'])
    const [message] = run.test('jsdom: rendering reads the template synchronously').failureMessages
    expect(message).toMatch(/^BlockingIOError: 1 blocking operation on the event loop during "jsdom: rendering reads the template synchronously"(?: \(and [^)]* not judged\))?\n {2}1\) fs\.readFileSync\(/)
    expect(message).toContain(`src/widget.js:${blockingLine}:`)
  })

  test('the run report holds the blocking call; no warning about a missing environment', () => {
    expect((run.report?.findings ?? []).map((f) => [f.test?.name, f.operation, f.allowed, f.location?.line, f.scope])).toEqual([
      // In the order the tests ran (the file's order).
      ['jsdom: rendering reads the template synchronously', 'fs.readFileSync', false, blockingLine, undefined],
      ['jsdom: allowBlocking() for fixture set-up', 'fs.readFileSync', true, undefined, undefined],
      ['jsdom: the matcher', 'fs.readFileSync', false, blockingLine, 'assertion'],
    ])
    expect(run.output).not.toContain('per-test checking is off')
  })
})
