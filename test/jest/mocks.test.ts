// A mock's implementation written in a test file that passes a blocking call on
// (`jest.spyOn(fs, 'statSync').mockImplementation((...a) => real(...a))`) was the caller frame, so
// the "test code" rule allowed what the code under test called (cross-spawn's tests, spawnSync).
import { expect, test } from 'vitest'
import { runJest } from './support.js'

test('a call passed on by a mock of the blocking API is the caller’s; a mock of another API reading a fixture stays test code', async () => {
  const run = await runJest('mocks')
  expect(run.failed, run.output).toEqual(['[blocks] the code under test calls fs.statSync through a pass-through mock'])
  expect(run.passed).toEqual([
    "[clean] a mock of an async API reads a fixture in its implementation: the test's own call",
    '[clean] the test itself calls fs.statSync through the same mock: test code',
  ])
  const [message] = run.test('[blocks] the code under test calls fs.statSync through a pass-through mock').failureMessages
  expect(message).toMatch(/1\) fs\.statSync\("[^"]*store\.js"\) blocked [\d.]+ ms/)
  expect(message).toContain('src/store.js:7:')
  // The frames listed start where the code under test called the mock, as its stack does (lint-staged).
  expect(message).toMatch(/blocked [\d.]+ ms — use fs\.promises\.stat\n\s+in configSize \(src\/store\.js:7:\d+\)\n/)
  expect(message).not.toContain('called by the package')
  // The error's stack starts at the line that called the mock: Jest's code frame shows it, not the mock's implementation (simple-git).
  expect(message).toMatch(/\n {4}at configSize \([^)]*src\/store\.js:7:\d+\)\n/)
  expect(run.output).toMatch(/> +7 \| {3}return fs\.statSync\(__filename\)\.size/)
  const found = (run.report?.findings ?? []).map((f) => [f.test?.name, f.operation, f.allowed, f.allowedBy, f.location?.file, f.location?.line]).sort()
  expect(found).toEqual([
    ['[blocks] the code under test calls fs.statSync through a pass-through mock', 'fs.statSync', false, undefined, 'src/store.js', 7],
    ["[clean] a mock of an async API reads a fixture in its implementation: the test's own call", 'fs.readFileSync', true, 'test code', 'tests/mocks.test.js', 24],
    ['[clean] the test itself calls fs.statSync through the same mock: test code', 'fs.statSync', true, 'test code', 'tests/mocks.test.js', 20],
  ])
}, 240_000)
