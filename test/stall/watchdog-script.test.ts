import { readFileSync } from 'node:fs'
import { expect, test } from 'vitest'
import { monotonicNow } from '../../src/runtime/clock.js'
import { Guard, LAST_BEAT, RUNNER_WORK_MS } from '../../src/runtime/guard.js'
import { Stacks } from '../../src/stack/capture.js'
import { Watchdog, type WatchdogTools, commonJsScript } from '../../src/stall/watchdog.js'

// The watchdog's worker starts as a CommonJS script (no ES module loader in the worker).
test("the watchdog's worker becomes a CommonJS script: its imports of Node's modules made requires", () => {
  const script = commonJsScript(readFileSync(new URL('../../src/stall/watchdog-worker.mjs', import.meta.url), 'utf8'))
  expect(script).toBeDefined()
  expect(script).toContain("const inspector = require('node:inspector')")
  expect(script).toContain("const { parentPort, workerData } = require('node:worker_threads')")
  expect(script).not.toMatch(/^import /m)
  expect(() => new Function('require', script!)).not.toThrow(SyntaxError)
})

test('a worker with anything else only a module may hold starts from its file', () => {
  expect(commonJsScript("import x from './x.js'\nx()")).toBeUndefined()
  expect(commonJsScript("import inspector from 'node:inspector'\nconsole.log(import.meta.url)")).toBeUndefined()
  expect(commonJsScript("import inspector from 'node:inspector'\nexport const y = 1")).toBeUndefined()
})

// A probe landing in a module's loading (or a blocking call) answers "again"; when the stall ends
// before the next probe (a watchdog short of CPU), the scope it landed in still owns the stall
// (StallMonitor's `againIn`): the Node 20 CI run lost "imports a slow CommonJS module amid its own
// work" that way once its test had ended.
/** A watchdog of the scope "the test" with `tools` in place of the defaults (nothing loading, a stack of the test's code), and its probe. */
function probed(tools: Partial<WatchdogTools<string>> = {}, guard = new Guard()): { watchdog: Watchdog<string>; probe: () => string } {
  const watchdog = new Watchdog<string>({ stacks: new Stacks(guard), guard, cpuMs: () => 0, currentScope: () => 'the test', inModuleLoading: () => false, loadingOnStack: () => false, betweenCallbacks: () => false, root: undefined, internalError: (error) => { throw error }, ...tools })
  const realm: Record<symbol, unknown> = {}
  watchdog.installProbe(realm)
  return { watchdog, probe: realm[Symbol.for('loopcop.stallProbe')] as () => string }
}

test('a probe that answers "again" keeps the scope it landed in, for the stall monitor to take once', () => {
  let loading = true
  const { watchdog, probe } = probed({ inModuleLoading: () => loading })
  expect(probe()).toBe('again')
  expect(watchdog.probes).toEqual([])
  expect(watchdog.takeAgainScope()).toBe('the test')
  expect(watchdog.takeAgainScope()).toBeUndefined()
  loading = false
  expect(probe()).toBe('ok')
  expect(watchdog.probes.map((p) => p.scope)).toEqual(['the test'])
  expect(watchdog.takeAgainScope()).toBeUndefined()
})

// A probe whose stack shows a module loading the clock does not time (an ES module evaluated by a
// test's `await import()`) answers "again" too, and says so once: only what runs after the next
// probe is surely the scope's stall (StallMonitor). Before, that one stack dropped the whole stall.
test('a probe in a module loading the clock does not time answers "again"; the next one says where it ended', () => {
  const guard = new Guard()
  let onStack = true
  let cpu = 5
  const asked: unknown[] = []
  const watchdog = new Watchdog<string>({
    stacks: new Stacks(guard),
    guard,
    cpuMs: () => (cpu += 1),
    currentScope: () => 'the test',
    inModuleLoading: () => false,
    loadingOnStack: (raw, scope) => {
      asked.push(scope, typeof raw)
      return onStack
    },
    betweenCallbacks: () => false,
    root: undefined,
    internalError: (error) => { throw error },
  })
  const realm: Record<symbol, unknown> = {}
  watchdog.installProbe(realm)
  const probe = realm[Symbol.for('loopcop.stallProbe')] as () => string
  expect(probe()).toBe('again')
  expect(asked).toEqual(['the test', 'object'])
  expect(watchdog.probes).toEqual([])
  expect(watchdog.takeAgainScope()).toBe('the test')
  expect(watchdog.takeLoadingSeen()).toBe(true)
  expect(watchdog.takeLoadingSeen()).toBe(false)
  onStack = false
  expect(probe()).toBe('ok')
  expect(watchdog.probes.map((p) => p.scope)).toEqual(['the test'])
  // Where it ended, after its own time is counted: the CPU read as it ended, loopcop's time so far (both probes').
  expect(watchdog.probes[0]?.after).toEqual({ at: expect.any(Number) as number, cpuMs: 9, ownMs: guard.blockedMs + guard.ownMs, ownCpuMs: 2 })
  expect(watchdog.takeLoadingSeen()).toBe(false)
})

// enhanced-resolve: a stall made of 10,000 chained nextTicks, probed between two of them, showed
// Node's own frames only and went unjudged one run in six. Such a probe answers "again", and says so once.
test('a probe that finds Node’s own code only (between two callbacks) answers "again"; the next one is taken', () => {
  let between = true
  const { watchdog, probe } = probed({ betweenCallbacks: () => between })
  expect(probe()).toBe('again')
  expect(watchdog.probes).toEqual([])
  expect(watchdog.takeAgainScope()).toBe('the test')
  expect(watchdog.takeAgainWhy()).toBe('between')
  expect(watchdog.takeAgainWhy()).toBeUndefined()
  expect(watchdog.takeLoadingSeen()).toBe(false)
  between = false
  expect(probe()).toBe('ok')
  expect(watchdog.probes.map((p) => p.scope)).toEqual(['the test'])
})

// jscodeshift under Jest: a Babel error's `.stack` ran Jest's source-map support for 160–250 ms, and
// the stall was charged to the line that read it. A probe served inside the runner's formatter
// (`Guard.asRunnerWork`) once it has run `RUNNER_WORK_MS` answers "again": the next one reads the
// code that goes on stalling, if any. A brief formatting (Svelte's dev mode reads stacks in a loop)
// stays the code's: its time counts, and a probe in it is taken.
test('a probe served in a long formatting answers "again", and its time is the runner\'s; a brief one stays the code\'s', () => {
  const guard = new Guard()
  let cpu = 0
  const { watchdog, probe } = probed({}, guard)
  let answer = ''
  const format = (cpuMs: number, wallMs: number): string =>
    guard.asRunnerWork(() => {
      cpu += cpuMs
      const t0 = performance.now()
      while (performance.now() - t0 < wallMs);
      answer = probe()
      return 'formatted'
    }, () => cpu)
  expect(format(200, RUNNER_WORK_MS + 2)).toBe('formatted')
  expect(answer).toBe('again')
  expect(watchdog.probes).toEqual([])
  expect(watchdog.takeAgainScope()).toBe('the test')
  expect(watchdog.takeAgainWhy()).toBe('formatter')
  expect(watchdog.takeAgainWhy()).toBeUndefined()
  // The runner's 200 ms of CPU are taken off stalls as loopcop's own time is.
  expect(guard.ownCpuMs).toBe(200)
  expect(guard.runnerDepth).toBe(0)
  // A brief formatting: the probe is taken where it lands, and the time stays the code's.
  expect(format(1, 0)).toBe('formatted')
  expect(answer).toBe('ok')
  expect(watchdog.probes.map((p) => p.scope)).toEqual(['the test'])
  expect(guard.ownCpuMs).toBe(200)
  // Inside loopcop's own work (which times itself), a formatting counts nothing more.
  guard.hold(() => format(200, 0))
  expect(guard.ownCpuMs).toBe(200)
})

// V8 serves a probe at the thread's next function call: a long native stretch holds it. Served once
// the stall it was sent for has been settled (the stall monitor has begun the next gap), it reads
// code that ran after, and would tell the next stall by it. A probe served once its thread has
// beaten since the beat it was sent for records nothing.
test('a probe served after its thread beat again records nothing ("stale"); one sent for the beat still current is taken', () => {
  const guard = new Guard()
  const { watchdog, probe } = probed({}, guard)
  const shared = new Float64Array(8)
  guard.watched = shared
  shared[LAST_BEAT] = 1_000
  shared[7] = 1_000 // the beat the worker sent it for (`SENT_FOR`)
  expect(probe()).toBe('ok')
  expect(watchdog.probes).toHaveLength(1)
  shared[LAST_BEAT] = 1_200
  expect(probe()).toBe('stale')
  expect(watchdog.probes).toHaveLength(1)
  expect(watchdog.takeAgainScope()).toBeUndefined()
  // A worker that says nothing of it (another loopcop version's): taken as before.
  shared[7] = 0
  expect(probe()).toBe('ok')
  expect(watchdog.probes).toHaveLength(2)
})

// Jest, under load: a probe held across the end of a 2 s source-map parse (or by the collection of
// its garbage right after) was served in the `expect(` that had taken the stack, and the test's
// 300 ms loop that came next was charged to that line. A runner's work that took `RUNNER_WORK_MS`
// of CPU ends with a new beat for the watchdog, so such a probe is stale, and the next one comes a
// threshold on. One long in wall time only (descheduled on a loaded machine) leaves the beat: code
// formatting stacks in a loop there would put the watchdog off again and again.
test("a runner's work that took CPU ends with a new beat for the watchdog; a brief one, or one long in wall time only, leaves the beat", () => {
  const guard = new Guard()
  const shared = new Float64Array(8)
  guard.watched = shared
  shared[LAST_BEAT] = 1
  let cpu = 0
  const spin = (ms: number, cpuMs: number): void => {
    const t0 = performance.now()
    while (performance.now() - t0 < ms);
    cpu += cpuMs
  }
  guard.asRunnerWork(() => spin(0, 0), () => cpu)
  expect(shared[LAST_BEAT]).toBe(1)
  guard.asRunnerWork(() => spin(RUNNER_WORK_MS + 2, 1), () => cpu)
  expect(shared[LAST_BEAT]).toBe(1)
  const before = monotonicNow()
  guard.asRunnerWork(() => spin(0, RUNNER_WORK_MS + 2), () => cpu)
  expect(shared[LAST_BEAT]).toBeGreaterThanOrEqual(before)
  expect(shared[LAST_BEAT]).toBeLessThanOrEqual(monotonicNow())
})
