// A pass-through spy (vi.spyOn, vi.fn(original)) puts @vitest/spy frames above the test's own: the
// built-in rule for Vitest's machinery must not take them for the runner's call.
import { afterAll, expect, test } from 'vitest'
import { cleanRuns, marked, names, outcome, runFixture } from './support.js'

afterAll(cleanRuns)

test('calls through pass-through spies fail their tests, at the test line', async () => {
  const run = await runFixture(['test/spies.test.ts'], { report: true })
  expect(names(run, 'failed')).toEqual(marked(run, 'blocks'))
  expect(names(run, 'passed')).toEqual(marked(run, 'clean'))
  expect(outcome(run, '[blocks] a call through vi.spyOn(fs, …) that passes it through').failure).toMatch(/1\) fs\.existsSync\("\/"\) blocked/)
  // The spy passed the call through: it is not the package that made it (nor a baseline key's package).
  expect(outcome(run, '[blocks] a call through vi.spyOn(fs, …) that passes it through').failure).not.toMatch(/called by the package/)
  // Nor a frame worth showing in the message Vitest prints: the frame under each call is the test's own line.
  const output = run.result.output
  expect(output).not.toMatch(/\d\) fs\.\w+\([^\n]*\n\s+at [^\n]*(@vitest[\\/]spy|tinyspy|vitest[\\/]dist[\\/]chunks[\\/]spy\.)/)
  expect(output.match(/\d\) fs\.\w+\([^\n]*\n\s+at test\/spies\.test\.ts:\d+:\d+\n/g)).toHaveLength(marked(run, 'blocks').length)
  expect(run.report?.findings.map((f) => [f.operation, f.allowed, f.location?.file, f.offender?.package]).sort()).toEqual([
    ['fs.existsSync', false, 'test/spies.test.ts', undefined],
    ['fs.readFileSync', false, 'test/spies.test.ts', undefined],
  ])
}, 240_000)

// A mock's implementation in the test file that passes the call on to the blocking API was the
// caller frame: the "test code" rule allowed what the code under test called (cross-spawn's tests).
test('a call passed on by a mock of the blocking API is the caller’s; a mock of another API reading a fixture stays test code', async () => {
  const run = await runFixture(['test/pass-through.test.ts'], { report: true })
  expect(names(run, 'failed')).toEqual(marked(run, 'blocks'))
  expect(names(run, 'passed')).toEqual(marked(run, 'clean'))
  expect(outcome(run, '[blocks] the code under test calls fs.statSync through a pass-through mock').failure).toMatch(/1\) fs\.statSync\("[^"]*through\.ts"\) blocked/)
  const found = (run.report?.findings ?? []).map((f) => [f.test?.name, f.operation, f.allowed, f.rule, f.location?.file, f.location?.line]).sort()
  expect(found).toEqual([
    ['[blocks] the code under test calls fs.statSync through a pass-through mock', 'fs.statSync', false, undefined, 'src/through.ts', 8],
    ["[clean] a mock of an async API reads a fixture in its implementation: the test's own call", 'fs.readFileSync', true, 'test code', 'test/pass-through.test.ts', 25],
    ['[clean] the test itself calls fs.statSync through the same mock: test code', 'fs.statSync', true, 'test code', 'test/pass-through.test.ts', 21],
  ])
}, 240_000)

// pdfkit: jest-image-snapshot's `spawnSync` inside `toMatchImageSnapshot`, which Vitest's `expect`
// called, was taken for the runner's machinery and dropped: not even in the report.
test("a package's matcher that expect.extend registered makes its own blocking calls: the test that called it fails for them", async () => {
  const run = await runFixture(['test/package-matcher.test.ts'], { report: true })
  expect(names(run, 'failed')).toEqual(marked(run, 'blocks'))
  expect(names(run, 'passed')).toEqual(marked(run, 'clean'))
  expect(outcome(run, '[blocks] a package’s matcher that blocks, called by expect').failure).toMatch(/1\) fs\.statSync\("config\.json"\) blocked/)
  expect((run.report?.findings ?? []).map((f) => [f.operation, f.allowed, f.offender?.package, f.location?.file])).toEqual([['fs.statSync', false, 'fakepkg', 'test/package-matcher.test.ts']])
}, 240_000)
