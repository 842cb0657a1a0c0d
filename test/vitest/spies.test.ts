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
