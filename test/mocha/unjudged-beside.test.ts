import { describe, expect, test } from 'vitest'
import { runMocha } from './support.js'

// The unjudged-beside fixture: one test stats a file from src/ and then stalls in a callback run
// outside every test's context (as a native addon's are), a stall no probe can judge; another
// stalls so and does nothing else. A stall not judged never fails a test; it is said with what its
// test's message says, whatever the two modes are (simple-git: under the default `stallMode:
// 'warn'`, one in a test that failed over its calls went unsaid until the run summary).

const both = 'stats and stalls outside its context'
const alone = 'stalls outside its context only'

// runMocha turns stall detection off unless asked (LOOPCOP_STALL_MS=0): an empty variable is no override.
const stallsOn = { LOOPCOP_STALL_MS: '' }

const unjudgedWarning = (title: string): RegExp => new RegExp(`^loopcop \\(warn\\): 1 event loop stall, not judged, during "${title}"\\n {2}1\\) event loop stalled \\d+ ms[^\\n]*\\n {7}\\(not judged: `, 'm')

describe('a stall not judged, beside a test’s blocking call', () => {
  test("mode 'fail', stallMode 'warn' (the defaults): the test fails over its call, and the stall is printed as a warning as the test ends", async () => {
    const run = await runMocha('unjudged-beside', [], { name: 'beside-defaults', env: stallsOn })
    expect(run.failed).toEqual([both])
    expect(run.message(both)).toMatch(/^1 blocking operation on the event loop during "stats and stalls outside its context"\n {7}1\) fs\.statSync\("\."\) blocked/)
    // The stall does not fail the test: its message names the call alone.
    expect(run.message(both)).not.toContain('event loop stalled')
    expect(run.stderr).toMatch(unjudgedWarning(both))
    // Alone, a stall not judged is left to the run summary, as before.
    expect(run.stderr).not.toContain(`during "${alone}"`)
    expect(run.stderr).toContain('2 stalls not judged')
  })

  test("mode 'warn', stallMode 'fail': the test passes; the stall, not judged, is printed beside the call's warning", async () => {
    const run = await runMocha('unjudged-beside', [], { name: 'beside-stall-fail', env: { ...stallsOn, LOOPCOP_MODE: 'warn', LOOPCOP_STALL_MODE: 'fail' } })
    expect(run.failed).toEqual([])
    expect(run.stderr).toMatch(/^loopcop \(warn\): new call site src\/work\.js:19:\d+ fs\.statSync\("\."\) blocked/m)
    expect(run.stderr).toMatch(unjudgedWarning(both))
    expect(run.stderr).not.toContain(`during "${alone}"`)
  })
})
