import { beforeAll, describe, expect, test } from 'vitest'
import { serversFile, serversLine } from '../helpers/lost-context.js'
import { type JestRun, runJest } from './support.js'

// Node runs some code with no async context of the test that made it run: an HTTP server made in a
// `beforeAll` hook handles a test's request in the hook's context (no test's), and a TCP server's
// accepted socket gets its data in no context at all. A blocking call there, while one test runs,
// is charged to that test; while none runs (`afterAll`), or while concurrent tests run, to no one.
describe('Jest: blocking calls Node runs outside the test’s async context', () => {
  let run: JestRun
  beforeAll(async () => {
    run = await runJest('lost-context', [], { env: { LOOPCOP_STALL_MS: '0' } })
  }, 240_000)

  test('the test running when a server made in a beforeAll hook blocks fails with the call, at its line', () => {
    const t = run.test('an HTTP server made in a beforeAll hook blocks in the handler of its request')
    expect(t.status).toBe('failed')
    expect(t.failureMessages.join('\n')).toMatch(/fs\.statSync\(".*servers\.cjs"\) blocked [\d.]+ ms/)
  })

  test("the test whose TCP server gets data on a socket it accepted fails with the data handler's call", () => {
    const t = run.test('a TCP server made in the test blocks in the data handler of the socket it accepted')
    expect(t.status).toBe('failed')
    expect(t.failureMessages.join('\n')).toMatch(/fs\.existsSync\(".*servers\.cjs"\) blocked/)
  })

  test('concurrent tests are charged none of it, whichever ends first; the afterAll hook’s request is no one’s', () => {
    expect(run.failed).toEqual(['a TCP server made in the test blocks in the data handler of the socket it accepted', 'an HTTP server made in a beforeAll hook blocks in the handler of its request'])
    expect(run.passed).toEqual([
      'an HTTP server made in a beforeAll hook makes no request (clean)',
      'an HTTP server made in a beforeAll hook requests it concurrently, first (clean)',
      'an HTTP server made in a beforeAll hook requests it concurrently, second (clean)',
    ])
    const found = (run.report?.findings ?? []).map((f) => ({ test: f.test?.name, operation: f.operation, line: f.location?.line, file: f.location?.file, calls: f.calls, leak: f.leak }))
    expect(found).toEqual([
      { test: 'an HTTP server made in a beforeAll hook blocks in the handler of its request', operation: 'fs.statSync', line: serversLine('request'), file: serversFile, calls: 1, leak: false },
      { test: 'a TCP server made in the test blocks in the data handler of the socket it accepted', operation: 'fs.existsSync', line: serversLine('data'), file: serversFile, calls: 1, leak: false },
    ])
    expect(run.code).toBe(1)
  })
})
