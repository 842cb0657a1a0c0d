import { describe, expect, test } from 'vitest'
import { runMocha } from './support.js'

// The modes fixture: a test that blocks, one that swallows what a blocking call threw, a clean one.
describe('modes (LOOPCOP_MODE)', () => {
  test("fail (the default): the blocking tests fail at their end, the clean one passes", async () => {
    const run = await runMocha('modes', [], { name: 'modes-fail' })
    expect(run.failed).toEqual(['modes blocks', 'modes swallows what the blocking call threw'])
    expect(run.json.stats).toMatchObject({ passes: 1, failures: 2 })
    expect(run.message('modes blocks')).toMatch(/fs\.readFileSync\(".*package\.json"\) blocked [\d.]+ ms — use fs\.promises\.readFile\n\s+at readName \(src\/app\.js:7:/)
  })

  test('warn: every test passes, each blocking test is printed with its line, and the run report still lists them', async () => {
    const run = await runMocha('modes', [], { name: 'modes-warn', env: { LOOPCOP_MODE: 'warn' } })
    expect(run.failed).toEqual([])
    expect(run.json.stats).toMatchObject({ passes: 3, failures: 0 })
    expect(run.code).toBe(0)
    expect(run.stderr).toContain('loopcop (warn): 1 blocking operation on the event loop during "modes blocks"')
    expect(run.stderr).toContain('loopcop (warn): 1 blocking operation on the event loop during "modes swallows what the blocking call threw"')
    expect(run.stderr).toContain('at readName (src/app.js:7:')
    expect(run.report?.summary).toMatchObject({ findings: 2, tests: 2 })
  })

  test('throw: the blocking call throws before it runs; a test that swallows it still fails', async () => {
    const run = await runMocha('modes', [], { name: 'modes-throw', env: { LOOPCOP_MODE: 'throw' } })
    expect(run.failed).toEqual(['modes blocks', 'modes swallows what the blocking call threw'])
    expect(run.json.stats).toMatchObject({ passes: 1, failures: 2 })
    for (const title of run.failed) {
      expect(run.message(title)).toContain('refused before it ran (mode: throw)')
      expect(run.message(title)).toContain('at readName (src/app.js:7:')
    }
    // The raised call is reported once, not again at the end of the test that failed with it.
    expect(run.report?.summary).toMatchObject({ findings: 2, tests: 2, calls: 2 })
  })

  test('off: nothing is checked', async () => {
    const run = await runMocha('modes', [], { name: 'modes-off', env: { LOOPCOP_MODE: 'off' } })
    expect(run.json.stats).toMatchObject({ passes: 3, failures: 0 })
    expect(run.stderr).toContain('loopcop: no blocking of the event loop found')
  })
})
