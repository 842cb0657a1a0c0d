import { beforeAll, describe, expect, test } from 'vitest'
import { serversFile, serversLine } from '../helpers/lost-context.js'
import { missing, nodes } from '../node-test/support.js'
import { type MochaRun, runMocha } from './support.js'

// Node runs some code with no async context of the test that made it run: an HTTP server made in a
// `before` hook handles a test's request in the hook's context (no test's), and a TCP server's
// accepted socket gets its data in no context at all. A blocking call there, while one test runs,
// is charged to that test (it was never seen before); while none runs (an `after` hook), to no one.
describe.each(nodes.filter((n) => n.major === 20 || n.major === 24))('Node $major', ({ major, bin }) => {
  let run: MochaRun
  beforeAll(async () => {
    if (bin === undefined) throw new Error(missing(major))
    run = await runMocha('lost-context', [], { name: `lost-context-${major}`, node: bin })
  }, 240_000)

  test('the test running when a server made in a before hook blocks fails with the call, at its line', () => {
    const title = 'an HTTP server made in a before hook blocks in the handler of its request'
    expect(run.failed).toContain(title)
    expect(run.message(title)).toContain('1 blocking operation on the event loop')
    expect(run.message(title)).toMatch(/fs\.statSync\(".*servers\.cjs"\) blocked [\d.]+ ms/)
  })

  test("the test whose TCP server gets data on a socket it accepted fails with the data handler's call", () => {
    const title = 'a TCP server made in the test blocks in the data handler of the socket it accepted'
    expect(run.failed).toContain(title)
    expect(run.message(title)).toMatch(/fs\.existsSync\(".*servers\.cjs"\) blocked/)
  })

  // Node 20 and 22 run it with no context (a stray call, charged to the one test running), Node 24 in the test's.
  test('the test whose HTTP server gets an upgrade request fails with the upgrade handler’s call, on every Node', () => {
    const title = 'an HTTP server made in the test blocks in the upgrade handler of its request'
    expect(run.failed).toContain(title)
    expect(run.message(title)).toMatch(/fs\.lstatSync\(".*servers\.cjs"\) blocked/)
  })

  test('nothing else fails, and the run report holds each call once, at its line, charged to its test; the after hook’s request is no one’s', () => {
    expect(run.failed).toEqual([
      'a TCP server made in the test blocks in the data handler of the socket it accepted',
      'an HTTP server made in a before hook blocks in the handler of its request',
      'an HTTP server made in the test blocks in the upgrade handler of its request',
    ])
    expect(run.json.stats).toMatchObject({ tests: 4, passes: 1, failures: 3 })
    const found = (run.report?.findings ?? []).map((f) => ({ test: f.test?.name, operation: f.operation, line: f.location?.line, file: f.location?.file, calls: f.calls, leak: f.leak }))
    expect(found).toEqual([
      { test: 'an HTTP server made in a before hook blocks in the handler of its request', operation: 'fs.statSync', line: serversLine('request'), file: serversFile, calls: 1, leak: false },
      { test: 'an HTTP server made in the test blocks in the upgrade handler of its request', operation: 'fs.lstatSync', line: serversLine('upgrade'), file: serversFile, calls: 1, leak: false },
      { test: 'a TCP server made in the test blocks in the data handler of the socket it accepted', operation: 'fs.existsSync', line: serversLine('data'), file: serversFile, calls: 1, leak: false },
    ])
    expect(run.code).toBe(3)
  })
})
