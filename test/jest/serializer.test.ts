// A snapshot serializer of the user's choosing (kcd-scripts' jest-serializer-path) that blocks, called
// by Jest's snapshot code inside the test's `toMatchInlineSnapshot`: the test's call, as a custom
// matcher's is, at every `traceDepth`. Before, on the default ten frames (which did not reach the
// test's) it was allowed as Jest's machinery, and at a larger `traceDepth` it was the test's
// (dom-testing-library under `testCode: 'check'`: 38 tests failed at one depth, 95 at another).
import { describe, expect, test } from 'vitest'
import { runJest } from './support.js'

const name = 'matches an inline snapshot through a serializer that blocks'

describe.each([{ traceDepth: '10' }, { traceDepth: '60' }])('traceDepth $traceDepth', ({ traceDepth }) => {
  test("with testCode: 'check' the serializer's call fails the test, called by its package from the test's line", async () => {
    const run = await runJest('serializer', [], { env: { LOOPCOP_TEST_CODE: 'check', FIXTURE_TRACE_DEPTH: traceDepth } })
    expect(run.failed, run.output).toEqual([name])
    expect(run.output).toMatch(/fs\.realpathSync\("[^"]+"\) blocked [\d.]+ ms — use fs\.promises\.realpath/)
    expect(run.output).toContain('called by the package fake-path-serializer from tests/serializer.test.js:3')
  }, 240_000)

  test('by default the test passes, the call allowed as the test\'s own', async () => {
    const run = await runJest('serializer', [], { env: { FIXTURE_TRACE_DEPTH: traceDepth } })
    expect(run.passed, run.output).toEqual([name])
    expect(run.report?.findings.map((f) => [f.operation, f.allowedBy, f.offender?.package])).toEqual([['fs.realpathSync', 'test code', 'fake-path-serializer']])
  }, 240_000)
})
