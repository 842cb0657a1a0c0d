// Blocking calls Node runs outside the test's async context (a server made in a `beforeAll` hook, a
// TCP server's accepted socket), as the real Vitest reports them, in each pool.
import { afterAll, describe, expect, test } from 'vitest'
import { serversFile, serversLine } from '../helpers/lost-context.js'
import { cleanRuns, marked, names, outcome, runFixture } from './support.js'

afterAll(cleanRuns)

describe.each(['forks', 'threads', 'vmThreads'] as const)('pool %s', (pool) => {
  test('the one test running is charged with them, at their line; afterAll and concurrent tests with none', async () => {
    const run = await runFixture(['test/lost-context.test.ts'], { pool, report: true, env: { LOOPCOP_STALL_MS: '0' } })
    expect(names(run, 'failed')).toEqual(marked(run, 'blocks'))
    expect(names(run, 'passed')).toEqual(marked(run, 'clean'))
    expect(marked(run, 'blocks')).toHaveLength(2)
    expect(marked(run, 'clean')).toHaveLength(3)
    expect(outcome(run, 'an HTTP server made in a beforeAll hook > [blocks] blocks in the handler of its request').failure).toMatch(/fs\.statSync\(".*servers\.cjs"\) blocked [\d.]+ ms/)
    expect(outcome(run, 'a TCP server made in the test > [blocks] blocks in the data handler of the socket it accepted').failure).toMatch(/fs\.existsSync\(".*servers\.cjs"\) blocked/)
    const found = (run.report?.findings ?? []).map((f) => ({ test: f.test?.name, operation: f.operation, line: f.location?.line, file: f.location?.file, leak: f.leak }))
    expect(found).toEqual([
      { test: 'an HTTP server made in a beforeAll hook > [blocks] blocks in the handler of its request', operation: 'fs.statSync', line: serversLine('request'), file: serversFile, leak: false },
      { test: 'a TCP server made in the test > [blocks] blocks in the data handler of the socket it accepted', operation: 'fs.existsSync', line: serversLine('data'), file: serversFile, leak: false },
    ])
    expect(run.result.code).toBe(1)
  }, 240_000)
})
