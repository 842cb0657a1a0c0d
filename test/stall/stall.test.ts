import { AsyncResource } from 'node:async_hooks'
import { execSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { runInNewContext } from 'node:vm'
import { afterEach, describe, expect, test, vi } from 'vitest'
import { allowBlocking, detect, type Finding, type StallFinding } from '../../src/index.js'
import { hideOwnFramesIn } from '../../src/integration.js'
import { PROBE_FRAMES } from '../../src/model/finding.js'
import { DEEPEST_SEARCH } from '../../src/model/options.js'
import { describeFinding, failureMessage } from '../../src/report/messages.js'
import { Guard } from '../../src/runtime/guard.js'
import { ThreadClock } from '../../src/runtime/thread-clock.js'
import { betweenCallbacks, stallStacksAvailable } from '../helpers/detector.js'
import { countingFormatter } from '../helpers/formatter.js'
import { instrumentedSpin, spinCpu, spinFile } from '../helpers/spin.js'

const require = createRequire(import.meta.url)

/** `Atomics.wait` as Node gave it, taken before any test installs loopcop's wrappers: a wait loopcop does not see. */
const nativeWait = Atomics.wait.bind(Atomics)

/** Busy-waits `ms` of wall time: a short synchronous stretch, far under any stall threshold. */
function busyWall(ms: number): void {
  const t0 = performance.now()
  while (performance.now() - t0 < ms);
}

const stalls = (findings: readonly Finding[]): StallFinding[] => findings.filter((f): f is StallFinding => f.kind === 'stall')

describe('stall detection', () => {
  test('the watchdog can read stacks in this process (vitest forks: a main thread)', () => {
    expect(stallStacksAvailable()).toBe(true)
  })

  // pino's transport tests: thread-stream's flushSync waits on Atomics.wait for up to 10 s. V8 serves
  // the probe's interrupt inside the wait; the probe answered "again" (inside a blocking call), and
  // the watchdog asked again a few ms later, for as long as the wait lasted: ~90 probes a second,
  // ~250 ms of CPU for one 10 s wait. A thread inside a wrapped call is not probed now; the stall
  // right after the wait still is, while it runs, and is judged at its line.
  test('a 2 s Atomics.wait in a watched scope is not probed while it waits; a stall right after it is found at its line', async () => {
    const key = Symbol.for('loopcop.stallProbe')
    let probes = 0
    let probesInWait = -1
    const { findings } = await detect(() => {
      const home = (typeof (globalThis as Record<symbol, unknown>)[key] === 'function' ? globalThis : process) as unknown as Record<symbol, (...args: unknown[]) => unknown>
      const original = home[key]!
      home[key] = (...args) => {
        probes++
        return original(...args)
      }
      try {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2000)
      } finally {
        home[key] = original
      }
      probesInWait = probes
      // The probe as loopcop made it again (the counting one above is a frame of this file's).
      spinCpu(300)
    })
    expect(findings.map((f) => [f.kind, f.kind === 'stall' ? undefined : f.operation])).toEqual([
      ['sync-io', 'Atomics.wait'],
      ['stall', undefined],
    ])
    // At most a probe sent before the wait began (184 before the fix, for the wait alone).
    expect(probesInWait).toBeLessThan(3)
    // The stall after it was probed while it ran: its stack names the loop.
    expect(stalls(findings)[0]!.location?.file, JSON.stringify(stalls(findings)[0])).toBe(spinFile)
  })

  // jscodeshift under Jest: reading a Babel parse error's `.stack` ran Jest's source-map support,
  // which parsed @babel/parser's source map (160–250 ms), and the probe, served only once the read
  // returned, charged the stall to the test's line with a "break the work into chunks" hint. A
  // runner's formatter, once loopcop wraps it (`hideOwnFramesIn`, as the Jest and Vitest
  // integrations do), is the runner's time: no stall. A formatter loopcop has not wrapped still is one.
  test("a runner's stack formatter that loopcop wraps is not a stall of the code that read the stack; one it does not wrap is", async () => {
    const context = {}
    const RealmError = runInNewContext('Error', context) as ErrorConstructor & { prepareStackTrace?: unknown }
    let formatted = 0
    RealmError.prepareStackTrace = function sourceMapSupport(error: Error): string {
      formatted++
      spinCpu(300)
      return `${String(error)}\n    at formatted`
    }
    const readStack = (): unknown => runInNewContext("new Error('parse error').stack", context, { filename: 'reader.js' })
    // Not wrapped: the 300 ms are a stall.
    const before = stalls((await detect(() => readStack())).findings)
    expect(before.map((f) => f.durationMs >= 250), JSON.stringify(before)).toEqual([true])
    const show = hideOwnFramesIn(RealmError)
    try {
      let stack: unknown
      const after = await detect(() => {
        stack = readStack()
      })
      expect(stack).toBe('Error: parse error\n    at formatted')
      expect(stalls(after.findings), JSON.stringify(after.findings)).toEqual([])
      // The work after the read is still the code's own.
      const spun = stalls(
        (
          await detect(() => {
            readStack()
            spinCpu(300)
          })
        ).findings,
      )
      expect(spun.map((f) => f.location?.file), JSON.stringify(spun)).toEqual([spinFile])
      expect(formatted).toBe(3)
    } finally {
      show()
    }
  })

  // unstorage: a package's timer callback worked 300 ms, and the test's own loop ran right after it,
  // in the same turn of the loop: one stall, whose one probe saw the package alone. It went unjudged
  // "in the package", and the test's loop was never named (`stallMode: 'fail'` passed the test). A
  // stall that goes on is probed again (at 2, 4… thresholds late), and a probe that shows the
  // user's code tells it.
  test("a package's timer callback and the test's own loop right after it: one stall, judged at the test's loop", async () => {
    const fakepkg = require('../fixtures/core/node_modules/fakepkg') as { workLater(cpuMs: number): Promise<number> }
    const found = stalls(
      (
        await detect(async () => {
          await fakepkg.workLater(300)
          spinCpu(300)
        })
      ).findings,
    )
    expect(found.map((f) => [f.location?.file, f.unjudged]), JSON.stringify(found)).toEqual([[spinFile, undefined]])
  })

  // rollup's test parsing es6-shim: acorn's recursion, over a hundred calls deep, stalled the loop.
  // The probe read its first 100 (now 110) frames, all acorn's, and the message said the package ran on its own
  // (in a callback, or after an await), though the test had called it.
  test("a stall deep in a dependency's recursion, its caller below the frames a probe reads, is not judged, and the message says why", async () => {
    const fakepkg = require('../fixtures/core/node_modules/fakepkg') as { deepWork(depth: number, cpuMs: number): number }
    const deep = stalls((await detect(() => fakepkg.deepWork(150, 300))).findings)
    // Located at the package's own frame, as a call with no frame of the user's is.
    // (At `deepWork`, or at the clock it reads, an arrow function of the package's: where the probe landed.)
    expect(deep.map((f) => [f.stackCut, f.offender?.package, f.location?.file]), JSON.stringify(deep)).toEqual([[true, 'fakepkg', require.resolve('../fixtures/core/node_modules/fakepkg')]])
    // As deep as a call's stack is searched, so a stall and a call of one recursion say one number.
    expect(PROBE_FRAMES).toBe(DEEPEST_SEARCH)
    expect(deep[0]!.unjudged).toBe("no frame of the user's code in the first 110 frames of the stack, which went on below them (a deep recursion in a dependency, a parser's)")
    // Said once, in the "not judged" line (unstorage: the line under it said it again, in other words).
    expect(failureMessage(deep)).toMatch(/\n\s+in the package fakepkg\n\s+\(not judged: no frame of the user's code in the first 110 frames of the stack, which went on below them \(a deep recursion in a dependency, a parser's\)\)\n/)
    // copy-webpack-plugin: the same deep in ajv's schema compiler, which recurses through `map` (V8's
    // built-ins have no file): the frames kept were fewer than those read, and the reason given was
    // "only Node's or dependencies'" frames, though the caller lay below them.
    const evalDeep = stalls((await detect(() => (fakepkg as unknown as { deepMappedWork(depth: number, cpuMs: number): number }).deepMappedWork(150, 300))).findings)
    expect(evalDeep.map((f) => [f.stackCut, f.unjudged]), JSON.stringify(evalDeep)).toEqual([[true, "no frame of the user's code in the first 110 frames of the stack, which went on below them (a deep recursion in a dependency, a parser's)"]])
    // Shallow, the same work shows the caller: judged, at this file's line.
    const shallow = stalls((await detect(() => fakepkg.deepWork(5, 300))).findings)
    expect(shallow.map((f) => [f.stackCut, f.unjudged, f.location?.file]), JSON.stringify(shallow)).toEqual([[undefined, undefined, expect.stringContaining('stall.test.ts')]])
  })

  // tsdown: TypeScript parsing in rolldown's plugin hooks, which rolldown runs with no async context
  // (as a native addon's callbacks are): every such stall said "the stall had ended before it could
  // read its stack", which was not so.
  test('a stall in code run outside every async context (a native callback) is not judged; the reason says what the probe found, and its frames are shown', async () => {
    // Made outside every scope, as a native addon's callbacks are: what runs in it has no test's context.
    const outside = new AsyncResource('native-callback')
    const found = stalls((await detect(() => outside.runInAsyncScope(() => spinCpu(300)))).findings)
    expect(found.map((f) => [f.unjudged, f.allowed]), JSON.stringify(found)).toEqual([
      [
        "the probe found code running outside every test's context: a callback a native addon ran without it (a bundler's plugin hook), the runner's own code, or code that ran after the stall ended; which of them stalled cannot be told, and the frames shown are what the probe found running",
        false,
      ],
    ])
    // What the probe read, source-mapped: the loop (before, no frame at all, so no clue to where it ran).
    expect(found[0]!.frames.find((f) => !f.file.startsWith('node:'))?.fn).toBe('spinCpu')
    expect(found[0]!.location?.file).toBe(spinFile)
    expect(failureMessage(found)).toMatch(/not judged: the probe found code running outside[^\n]*\n\s+at spinCpu \(/)
  })

  // enhanced-resolve: 10,000 chained nextTicks, one stall. A probe landing between two of them saw
  // Node's own frames only, and the stall went unjudged ("no frame of the user's code"): one run in
  // six, so `stallMode: 'fail'` failed the test at random. Such a probe now looks again.
  test('a stall made of a long chain of nextTicks is judged at the chain’s code each time, never lost between two callbacks', async () => {
    const verdicts: unknown[] = []
    for (let run = 0; run < 8; run++) {
      const { findings } = await detect(
        () =>
          new Promise<void>((resolve) => {
            // 300 ms of this thread's CPU time, and of wall time (a stall's length is its CPU time).
            const clock = new ThreadClock(new Guard())
            const start = clock.ms()
            const t0 = performance.now()
            let n = 0
            const tick = (): void => {
              // the chain's own code: next to nothing, as enhanced-resolve's (Node's own code between two ticks is then much of the stall)
              if (++n % 64 !== 0 || clock.ms() - start < 300 || performance.now() - t0 < 300) process.nextTick(tick)
              else resolve()
            }
            process.nextTick(tick)
          }),
      )
      verdicts.push(...stalls(findings).map((f) => [f.unjudged, f.location?.file === import.meta.filename]))
    }
    expect(verdicts.length).toBeGreaterThanOrEqual(8)
    // A watchdog starved of CPU (a loaded host) may look too late, or not again before the stall
    // ends: said so. What may not happen is a probe's stack between two ticks taken as the stall's.
    const starved = ['the stall ended before the watchdog looked', "the probe landed in Node's own code between two callbacks, and the stall had ended before it could look again"]
    const judged = verdicts.filter((v) => JSON.stringify(v) === JSON.stringify([undefined, true]))
    expect(verdicts.filter((v) => !judged.includes(v) && !starved.includes((v as [string])[0])), JSON.stringify(verdicts)).toEqual([])
    expect(judged.length, JSON.stringify(verdicts)).toBeGreaterThanOrEqual(verdicts.length / 2)
  })

  test("a probe's stack of Node's own code only (the loop between two ticks) is told apart from one with a callback's code on it", async () => {
    const [between, inCallback] = await new Promise<[object, object]>((resolve) => {
      process.nextTick(function tick() {
        // What a probe reads between two ticks: everything above the callback left out.
        const outside = {}
        Error.captureStackTrace(outside, tick)
        const inside = {}
        Error.captureStackTrace(inside)
        resolve([outside, inside])
      })
    })
    expect(betweenCallbacks(between)).toBe(true)
    expect(betweenCallbacks(inCallback)).toBe(false)
  })

  test('a 200 ms CPU loop in a named function is one stall of ≥ 150 ms naming that function, file and line', async () => {
    const { findings } = await detect(() => spinCpu(200))
    const found = stalls(findings)
    expect(found).toHaveLength(1)
    const stall = found[0]!
    // The probe's own time (reading the stack, source-mapping it) runs inside spinCpu's CPU budget and is left out.
    expect(stall.durationMs).toBeGreaterThanOrEqual(150)
    expect(stall.thresholdMs).toBe(100)
    // Above it, maybe Node's own frames (the clock read that spinCpu makes).
    expect(stall.frames.find((f) => !f.file.startsWith('node:'))?.fn).toBe('spinCpu')
    expect(stall.location?.file).toBe(spinFile)
    // The loop's lines, or the clock read in it (source-mapped to the TypeScript file).
    expect(stall.location?.line).toBeGreaterThanOrEqual(18)
    expect(stall.location?.line).toBeLessThanOrEqual(21)
    expect(findings.filter((f) => f.kind === 'sync-io')).toHaveLength(0)
  })

  test("a stall caught inside istanbul's coverage counter (`cov_…`, Jest --coverage, nyc) is where the instrumented statement called it", async () => {
    const { findings } = await detect(() => instrumentedSpin(200))
    const found = stalls(findings)
    expect(found).toHaveLength(1)
    expect(found[0]?.frames.some((f) => f.fn?.startsWith('cov_') === true)).toBe(false)
    expect(found[0]?.frames.find((f) => !f.file.startsWith('node:'))?.fn).toBe('instrumentedSpin')
    expect(found[0]?.location?.function).toBe('instrumentedSpin')
  })

  test('a loop right after a blocking call that slept, with no await between, is still a stall: the sleep is taken off the wall bound, not off the CPU bound', async () => {
    const { findings } = await detect(() => {
      execSync('sleep 0.3')
      spinCpu(200)
    })
    expect(findings.filter((f) => f.kind === 'sync-io').map((f) => f.kind === 'sync-io' && f.operation)).toEqual(['child_process.execSync'])
    const found = stalls(findings)
    expect(found).toHaveLength(1)
    expect(found[0]!.durationMs).toBeGreaterThanOrEqual(150)
    // The 300 ms the call slept are its own finding, not the stall's.
    expect(found[0]!.durationMs).toBeLessThan(300)
  })

  test("back-to-back short scopes read this thread's CPU time about once a reuse window, not at each start and end; a stall right after is found whole", async () => {
    // Every clock the detector reads stalls with (spinCpu's own too, read after the count).
    const reads = vi.spyOn(ThreadClock.prototype, 'ms')
    try {
      const scopes = 100
      for (let i = 0; i < scopes; i++) await detect(() => busyWall(1))
      // Each scope's end comes 1 ms or more after its start: a reading served 1 ms at most, and every
      // end read the clock again. Now a reading serves a gap the wall bound rules out for half the
      // heartbeat's interval (10 ms at stallMs 100), so a few scopes share one.
      expect(reads.mock.calls.length).toBeGreaterThan(0)
      expect(reads.mock.calls.length).toBeLessThan(scopes / 2)
      const found = stalls((await detect(() => spinCpu(200))).findings)
      expect(found).toHaveLength(1)
      expect(found[0]?.durationMs).toBeGreaterThanOrEqual(150)
    } finally {
      reads.mockRestore()
    }
  })

  test('a 20 ms loop is not a stall with stallMs 100', async () => {
    const { findings } = await detect(() => spinCpu(20))
    expect(stalls(findings)).toHaveLength(0)
  })

  test('an async function that blocks only after its first await is caught', async () => {
    async function handler(): Promise<void> {
      await new Promise((resolve) => setTimeout(resolve, 5))
      spinCpu(200)
    }
    const { findings } = await detect(handler)
    const found = stalls(findings)
    expect(found).toHaveLength(1)
    expect(found[0]!.frames.map((f) => f.fn)).toContain('spinCpu')
    expect(found[0]!.frames.map((f) => f.fn)).toContain('handler')
  })

  test('JSON.parse of a large payload is a stall with the calling function on the stack', async () => {
    const payload = JSON.stringify(Array.from({ length: 400_000 }, (_, i) => ({ i, name: `item ${i}`, tags: ['a', 'b', 'c'] })))
    const count = (rows: unknown[]): number => rows.length
    function parsePayload(): number {
      // V8 services the watchdog's pause at the next JS call after the native parse returns
      // (here `count`), so the stack is the parse's caller.
      return count(JSON.parse(payload) as unknown[])
    }
    const { findings, value } = await detect(parsePayload, { stallMs: 50 })
    expect(value).toBe(400_000)
    const found = stalls(findings)
    expect(found).toHaveLength(1)
    expect(found[0]!.frames.map((f) => f.fn)).toContain('parsePayload')
  })

  test('stallMs per call: a 60 ms loop is a stall with { stallMs: 20 }', async () => {
    const { findings } = await detect(() => spinCpu(60), { stallMs: 20 })
    const found = stalls(findings)
    expect(found).toHaveLength(1)
    expect(found[0]!.thresholdMs).toBe(20)
  })

  test('stallMs: 0 and stallMode: off disable it', async () => {
    expect(stalls((await detect(() => spinCpu(150), { stallMs: 0 })).findings)).toHaveLength(0)
    expect(stalls((await detect(() => spinCpu(150), { stallMode: 'off' })).findings)).toHaveLength(0)
  })

  test('allowBlocking() silences stalls, both forms', async () => {
    const rest = await detect(() => {
      allowBlocking()
      spinCpu(150)
    })
    expect(stalls(rest.findings)).toHaveLength(0)
    const inside = await detect(() => allowBlocking(() => spinCpu(150)))
    expect(stalls(inside.findings)).toHaveLength(0)
  })

  // Mocha's and Vitest's CI, under load: the test's own code before an `allowBlocking(fn)` and the
  // stall inside it were one gap, told by a probe that landed before the stretch, and the allowed
  // stall was charged to the test (576 ms at its line). The stretch's start ends the gap: what
  // came before is the test's, what runs inside is allowed.
  test("allowBlocking(fn) covers the stall inside it, not the test's own stall right before it", async () => {
    const { findings } = await detect(() => {
      spinCpu(150)
      allowBlocking(() => spinCpu(400))
    })
    const found = stalls(findings)
    expect(found.map((f) => f.location?.file), JSON.stringify(found)).toEqual([spinFile])
    // The test's 150 ms, without the 400 allowed right after it (as measured: this thread's CPU time).
    expect(found[0]!.durationMs, JSON.stringify(found)).toBeLessThan(400)
  })

  test("an allow rule 'stall' keeps the stall as an allowed finding", async () => {
    const { findings, blocking } = await detect(() => spinCpu(150), { allow: ['stall'] })
    expect(blocking).toHaveLength(0)
    expect(stalls(findings)).toHaveLength(1)
    expect(stalls(findings)[0]!.allowedBy).toBe('stall')
  })

  test('a stall allowed by a rule that matched a frame past traceDepth shows that frame', async () => {
    // The loop runs 12 frames below `stallsDeep`, which the rule names.
    const down = (n: number): number => (n === 0 ? spinCpu(150) : down(n - 1))
    function stallsDeep(): void {
      down(11)
    }
    const { findings, blocking } = await detect(() => stallsDeep(), { traceDepth: 3, allow: [{ function: 'stallsDeep' }] })
    expect(blocking).toHaveLength(0)
    const [stall] = stalls(findings)
    expect(stall?.allowedBy).toBe('{"function":"stallsDeep"}')
    const frames = stall?.frames ?? []
    const said = JSON.stringify(frames.map((f) => `${f.fn ?? ''} ${f.file}:${f.line}`))
    const fns = frames.filter((f) => !f.file.startsWith('node:')).map((f) => f.fn)
    expect(fns.at(-1), said).toBe('stallsDeep')
    expect(fns.slice(0, -1), said).not.toContain('stallsDeep')
    // Past the first traceDepth (3) frames: the frame the rule matched, and before it the user's own
    // frame only when the probe landed in Node's code (the loop's clock reading /proc) all 3 deep.
    const beyond = frames.slice(3)
    if (beyond.length === 2) {
      expect(frames.slice(0, 3).every((f) => f.file.startsWith('node:')), said).toBe(true)
      expect(beyond[0]!.file.startsWith('node:'), said).toBe(false)
    } else expect(beyond, said).toHaveLength(1)
  })

  test("a stall whose thread was kept from running (here: an Atomics.wait loopcop did not wrap) keeps its wall time beside its length, the thread's CPU time", async () => {
    expect(nativeWait.toString()).toContain('[native code]')
    const cell = new Int32Array(new SharedArrayBuffer(4))
    const { findings } = await detect(() => {
      spinCpu(200)
      nativeWait(cell, 0, 0, 300)
    })
    const found = stalls(findings)
    expect(found).toHaveLength(1)
    const stall = found[0]!
    expect(stall.maxMs).toBeGreaterThanOrEqual(150)
    expect(stall.wallMs).toBeGreaterThanOrEqual(stall.maxMs + 250)
    expect(describeFinding(stall)).toMatch(/^event loop stalled \d+ ms of CPU time \(\d+ ms of wall time\) \(threshold 100 ms\)$/)
  })

  test('time inside a wrapped blocking call is a sync-io finding, not also a stall', async () => {
    const cell = new Int32Array(new SharedArrayBuffer(4))
    const { findings } = await detect(() => Atomics.wait(cell, 0, 0, 150))
    expect(findings.map((f) => (f.kind === 'sync-io' ? f.operation : f.kind))).toEqual(['Atomics.wait'])
    expect(findings[0]!.durationMs).toBeGreaterThanOrEqual(140)
  })

  test('evaluating a module inside a scope is not a stall by default, and is with moduleLoading: true', async () => {
    const path = join(import.meta.dirname, '..', 'fixtures', 'stall', 'slow-module.cjs')
    const quiet = await detect(() => require(path))
    expect(stalls(quiet.findings)).toHaveLength(0)
    delete require.cache[path]
    const counted = await detect(() => require(path), { moduleLoading: true })
    expect(stalls(counted.findings)).toHaveLength(1)
    expect(stalls(counted.findings)[0]!.location?.file).toBe(path)
    delete require.cache[path]
  })

  describe("a require inside a stretch of the scope's own work: the loading is left out, the rest judged at its own line", () => {
    const path = join(import.meta.dirname, '..', 'fixtures', 'stall', 'loading-work.cjs')
    const g = globalThis as { __loopcopLoadingWork?: () => unknown }
    const loadingFor = (ms: number) => {
      g.__loopcopLoadingWork = () => spinCpu(ms)
      delete require.cache[path]
    }
    afterEach(() => {
      delete g.__loopcopLoadingWork
      delete require.cache[path]
    })

    test('own work, a 150 ms require, more own work: one stall, judged at the own work (before: dropped whenever the one stack read fell in the require)', async () => {
      loadingFor(150)
      const { findings } = await detect(() => {
        spinCpu(50)
        require(path)
        return spinCpu(250)
      })
      const found = stalls(findings)
      expect(found).toHaveLength(1)
      expect(found[0]!.unjudged).toBeUndefined()
      expect(found[0]!.durationMs).toBeGreaterThanOrEqual(150)
      expect(found[0]!.location?.file).toBe(spinFile)
      expect(found[0]!.frames.some((f) => f.file === path || f.file.startsWith('node:internal/modules/'))).toBe(false)
    })

    test('a 60 ms require, then 70 ms of own work: no stall (before: a 130 ms stall whenever the stack read fell after the require)', async () => {
      loadingFor(60)
      const { findings } = await detect(() => {
        require(path)
        return spinCpu(70)
      })
      expect(stalls(findings)).toEqual([])
    })

    test('with moduleLoading: true the loading counts: the same 60 ms require and 70 ms of work are one stall', async () => {
      loadingFor(60)
      const work = () => {
        require(path)
        return spinCpu(70)
      }
      expect(stalls((await detect(work, { moduleLoading: true })).findings)).toHaveLength(1)
    })

    test("Module._load, timed by loopcop, keeps Node's shape, and require its results and errors", async () => {
      const { default: Module } = await import('node:module')
      const current = (Module as unknown as { _load: Function })._load
      expect(current.toString()).toContain('.enter()') // loopcop's wrapper, not Node's function
      // Node's own: an anonymous function of three parameters.
      expect({ name: current.name, length: current.length }).toEqual({ name: '', length: 3 })
      expect(require('node:path')).toBe(await import('node:path').then((m) => m.default))
      expect(() => require('./no-such-module-here')).toThrow(expect.objectContaining({ code: 'MODULE_NOT_FOUND' }) as Error)
    })
  })

  test("a detect() at a module's top level whose function stalls: the loader below the module is the caller's, the stall the scope's own", async () => {
    const path = join(import.meta.dirname, '..', 'fixtures', 'stall', 'detect-at-top.cjs')
    const g = globalThis as { __loopcopDetectAtTop?: () => unknown }
    g.__loopcopDetectAtTop = () => detect(() => spinCpu(200))
    try {
      const result = (await require(path)) as { findings: readonly Finding[] }
      const found = stalls(result.findings)
      expect(found).toHaveLength(1)
      expect(found[0]!.unjudged).toBeUndefined()
      expect(found[0]!.frames.some((f) => f.file.startsWith('node:internal/modules/'))).toBe(false)
    } finally {
      delete g.__loopcopDetectAtTop
      delete require.cache[path]
    }
  })

  test("a module loading's stall, not reported, costs no source-mapping: the runner's formatter never runs for it", async () => {
    const path = join(import.meta.dirname, '..', 'fixtures', 'stall', 'slow-module.cjs')
    const formatter = countingFormatter()
    try {
      const quiet = await detect(() => require(path))
      const afterQuiet = formatter.runs
      delete require.cache[path]
      const counted = await detect(() => require(path), { moduleLoading: true })
      formatter.restore()
      expect(stalls(quiet.findings)).toHaveLength(0)
      expect(afterQuiet).toBe(0)
      expect(stalls(counted.findings)).toHaveLength(1)
      expect(formatter.runs).toBeGreaterThan(0)
    } finally {
      formatter.restore()
      delete require.cache[path]
    }
  })

  test('a stall in a timer the scope started after it ended is a leak of that scope', async () => {
    const outer = await detect(async () => {
      await detect(() => {
        setTimeout(() => spinCpu(150), 1)
      })
      await new Promise((resolve) => setTimeout(resolve, 250))
    })
    const found = stalls(outer.findings)
    expect(found).toHaveLength(1)
    expect(found[0]!.leak).toBe(true)
  })
})
