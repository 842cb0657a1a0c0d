import { beforeAll, describe, expect, test } from 'vitest'
import { type MochaRun, runMocha } from './support.js'

// Mocha runs a root hook with the root suite's context, the prototype of every suite's context, and
// writes the test about to run on it at each run of a `beforeEach`/`afterEach` hook: loopcop runs
// no such hook of its own (test.ts), so that V8 keeps what it cached about every suite's context
// (bench/README.md, "Thirty-seventh pass"). The fixture also tells where the stall watchdog's
// thread runs, and since when.
const userHook = ['--require', './root-hooks.cjs']
const runs = [
  { label: 'Mocha 12, serial', args: [], mocha11: false },
  { label: 'Mocha 12, --parallel', args: ['--parallel', '--jobs', '2'], mocha11: false },
  { label: 'Mocha 11, serial', args: [], mocha11: true },
  { label: 'Mocha 12, serial, a root hook of the user’s', args: userHook, mocha11: false },
  { label: 'Mocha 12, --parallel, a root hook of the user’s', args: [...userHook, '--parallel', '--jobs', '2'], mocha11: false },
]

describe.each(runs)('$label', ({ label, args, mocha11 }) => {
  let run: MochaRun
  beforeAll(async () => {
    // Stall detection on, as by default (runMocha turns it off): the watchdog's thread is asked about.
    const env = { CONTEXTS_USER_ROOT_HOOK: args.includes('./root-hooks.cjs') ? '1' : '0', LOOPCOP_STALL_MS: '100' }
    run = await runMocha('contexts', args, { name: `contexts-${label.replace(/\W+/g, '-')}`, mocha11, env })
  }, 240_000)

  test('loopcop’s root hooks leave the root suite’s context alone; the tests’ and a user’s root hook’s contexts are as Mocha makes them', () => {
    expect(run.failed).toEqual([])
    expect(run.json.stats).toMatchObject({ tests: 4, passes: 4, failures: 0 })
    expect(run.code).toBe(0)
  })

  // Started while Mocha loads the spec files (a thread still starting at exit holds the exit), and
  // only where tests run: `--parallel`'s main process hands out files.
  test('the stall watchdog starts before the spec files load, never in --parallel’s main process', () => {
    expect(run.stderr).toContain(`watchdog in the main process: ${!args.includes('--parallel')}`)
  })
})
