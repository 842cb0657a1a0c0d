import { describe, expect, test } from 'vitest'
import { serversFile, serversLine } from '../helpers/lost-context.js'
import { missing, nodes, runNodeTest } from './support.js'

// Node runs some code with no async context of the test that made it run (an HTTP server made in a
// `before` hook, a TCP server's accepted socket): a blocking call there, while one test runs, is
// charged to that test; while none runs (an `after` hook), or while a test and its subtest are both
// open, to no one.
describe.each(nodes)('Node $major', ({ major, bin }) => {
  test('the one test running is charged with them, at their line; an after hook and a test with its subtest with none', async () => {
    if (bin === undefined) throw new Error(missing(major))
    const run = await runNodeTest('lost-context', { name: `lost-context-${major}`, node: major })
    const request = 'an HTTP server made in a before hook > blocks in the handler of its request'
    const data = 'a TCP server made in the test blocks in the data handler of the socket it accepted'
    expect(run.failed).toEqual([data, request].sort())
    expect(run.passed).toEqual([
      'an HTTP server made in a before hook > makes no request (clean)',
      'an HTTP server made in a before hook > requests it from a subtest (clean)',
      'an HTTP server made in a before hook > requests it from a subtest (clean) > the subtest (clean)',
    ])
    expect(run.error(request).message).toMatch(/fs\.statSync\(".*servers\.cjs"\) blocked [\d.]+ ms/)
    expect(run.error(data).message).toMatch(/fs\.existsSync\(".*servers\.cjs"\) blocked/)
    const found = (run.report?.findings ?? []).map((f) => ({ test: f.test?.name, operation: f.operation, line: f.location?.line, file: f.location?.file, leak: f.leak })).sort((a, b) => (a.operation ?? '').localeCompare(b.operation ?? ''))
    expect(found).toEqual([
      { test: data, operation: 'fs.existsSync', line: serversLine('data'), file: serversFile, leak: false },
      { test: request, operation: 'fs.statSync', line: serversLine('request'), file: serversFile, leak: false },
    ])
    expect(run.code).toBe(1)
  }, 240_000)
})
