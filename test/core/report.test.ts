import fs from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { afterEach, describe, expect, test } from 'vitest'
import { BlockingIOError, configure, detect, type Finding, type StallFinding, type SyncIoFinding } from '../../src/index.js'
import { RunCollector, failureMessage, formatSummary, jsonReport, reportRun } from '../../src/integration.js'
import { mergeReports } from '../../src/cli/reports.js'
import { markdownSummary } from '../../src/report/markdown.js'
import { type JsonReport, jsonReportText } from '../../src/report/json.js'
import { STALL_HINT, describeFinding, formatMs, leakMessage, newSiteWarning, plural, warnSiteKey } from '../../src/report/messages.js'
import { SPOOL_ENV, closeSpool, finishRun, firstWarning, githubAnnotations, openSpool, readSpool, spoolFindings, startRun, writeJsonReport } from '../helpers/detector.js'
import { WARNED_ENV, claimWarning, closeWarned, openWarned } from '../../src/report/warned.js'
import { defaultsWithoutStalls, tempDir } from './support.js'

defaultsWithoutStalls()
const cwd = process.cwd()
const dir = tempDir()
let ids = 0

function syncFinding(over: Partial<SyncIoFinding> = {}): SyncIoFinding {
  return {
    kind: 'sync-io',
    id: `test-${++ids}`,
    operation: 'fs.readFileSync',
    category: 'fs',
    hint: 'use fs.promises.readFile',
    args: 'config/users.json',
    durationMs: 3.1,
    maxMs: 3.1,
    calls: 1,
    allowed: false,
    leak: false,
    raised: false,
    unstacked: false,
    test: { name: 'GET /users returns 200', file: join(cwd, 'test/users.test.ts') },
    location: { file: join(cwd, 'src/users.ts'), line: 14, column: 18 },
    frames: [
      { fn: 'readFileSync', file: 'node:fs', line: 453, column: 20 },
      { fn: 'loadUsers', file: join(cwd, 'src/users.ts'), line: 14, column: 18 },
      { fn: 'handler', file: join(cwd, 'src/server.ts'), line: 40, column: 9 },
    ],
    ...over,
  }
}

function stallFinding(over: Partial<StallFinding> = {}): StallFinding {
  return {
    kind: 'stall',
    id: `test-${++ids}`,
    thresholdMs: 100,
    durationMs: 182,
    maxMs: 182,
    calls: 1,
    allowed: false,
    leak: false,
    test: { name: 'GET /users returns 200', file: join(cwd, 'test/users.test.ts') },
    location: { file: join(cwd, 'src/csv.ts'), line: 8, column: 12 },
    frames: [{ fn: 'parseCsv', file: join(cwd, 'src/csv.ts'), line: 8, column: 12 }],
    ...over,
  }
}

describe('the failure message', () => {
  // pino-pretty: `fs.writeSync("fd 24")` read as a file named "fd 24".
  test('a file descriptor is shown as one, unquoted; a path is quoted', () => {
    expect(describeFinding(syncFinding({ operation: 'fs.writeSync', args: 'fd 24' }))).toBe('fs.writeSync(fd 24) blocked 3.1 ms — use fs.promises.readFile')
    expect(describeFinding(syncFinding())).toBe('fs.readFileSync("config/users.json") blocked 3.1 ms — use fs.promises.readFile')
  })

  test("a stall in a dependency's code is in the package, from the user's line (a stall is not a call)", () => {
    const frames = [
      { fn: 'parse', file: join(cwd, 'node_modules/assume/index.js'), line: 257, column: 3 },
      { fn: 'check', file: join(cwd, 'src/log.ts'), line: 2, column: 5 },
    ]
    const stall = stallFinding({ frames, location: { file: join(cwd, 'src/log.ts'), line: 2, column: 5 }, offender: { package: 'assume', file: join(cwd, 'node_modules/assume/index.js'), line: 257, column: 3 } })
    expect(failureMessage([stall])).toContain('\n       in the package assume from src/log.ts:2\n')
  })

  test('a stall barely over its threshold shows the tenths that put it over', () => {
    expect(describeFinding(stallFinding({ maxMs: 100.2, durationMs: 100.2 }))).toBe('event loop stalled 100.2 ms (threshold 100 ms)')
    expect(describeFinding(stallFinding({ maxMs: 100.03, durationMs: 100.03 }))).toBe('event loop stalled 100.03 ms (threshold 100 ms)')
    expect(describeFinding(stallFinding({ maxMs: 100.6, durationMs: 100.6 }))).toBe('event loop stalled 101 ms (threshold 100 ms)')
    expect(describeFinding(stallFinding({ maxMs: 182.4, durationMs: 182.4 }))).toBe('event loop stalled 182 ms (threshold 100 ms)')
  })

  test("a stall whose wall time was markedly longer says both, so that its length (its thread's CPU time) is not read as the time the test waited", () => {
    const short = stallFinding({ maxMs: 163.2, durationMs: 163.2, wallMs: 309.4 })
    expect(describeFinding(short)).toBe('event loop stalled 163 ms of CPU time (309 ms of wall time) (threshold 100 ms)')
    expect(failureMessage([short], 'a').split('\n')[1]).toBe('  1) event loop stalled 163 ms of CPU time (309 ms of wall time) (threshold 100 ms) — break the work into chunks that yield to the event loop (await new Promise(setImmediate) between them; an await alone does not yield) or move it to a worker thread')
    expect(jsonReport([short], { cwd }).findings[0]).toMatchObject({ maxMs: 163.2, wallMs: 309.4 })
    expect(jsonReport([stallFinding()], { cwd }).findings[0]).not.toHaveProperty('wallMs')
    // The run summary: a site of one stall, and of several (the longest's).
    const one = formatSummary([short], cwd).split('\n')
    expect(one.some((l) => l.trim() === `163 ms of CPU time (309 ms of wall time), threshold 100 ms — ${STALL_HINT}`)).toBe(true)
    const several = formatSummary([stallFinding({ test: { name: 'b' } }), short], cwd).split('\n')
    expect(several.some((l) => l.trim() === `longest 182 ms, threshold 100 ms — ${STALL_HINT}`)).toBe(true)
    const longer = formatSummary([stallFinding({ test: { name: 'b' }, maxMs: 120, durationMs: 120 }), short], cwd).split('\n')
    expect(longer.some((l) => l.trim() === `longest 163 ms of CPU time (309 ms of wall time), threshold 100 ms — ${STALL_HINT}`)).toBe(true)
  })

  test('as designed', () => {
    const findings = [syncFinding(), stallFinding()]
    const expected = [
      '2 blocking operations on the event loop during "GET /users returns 200"',
      '  1) fs.readFileSync("config/users.json") blocked 3.1 ms — use fs.promises.readFile',
      '       at loadUsers (src/users.ts:14:18)',
      '       at handler (src/server.ts:40:9)',
      '  2) event loop stalled 182 ms (threshold 100 ms) — break the work into chunks that yield to the event loop (await new Promise(setImmediate) between them; an await alone does not yield) or move it to a worker thread',
      '       at parseCsv (src/csv.ts:8:12)',
      'Allow it with allowBlocking() in the test or an `allow` rule in loopcop\'s options; accept what the code blocks on today with a baseline (LOOPCOP_UPDATE_BASELINE=1).',
    ].join('\n')
    expect(failureMessage(findings, 'GET /users returns 200')).toBe(expected)
    const error = new BlockingIOError(findings, 'GET /users returns 200')
    expect(error.message).toBe(expected)
    expect(error.findings).toBe(findings)
    // Not a property of the error's own: runners print those (Vitest's "Serialized Error:", Mocha's json reporter).
    expect(Object.getOwnPropertyNames(error)).not.toContain('findings')
    expect(Object.keys(JSON.parse(JSON.stringify(error)) as object).sort()).toEqual(['message', 'name', 'stack'])
    // The stack is the culprit's, in V8's form with absolute paths, so runners show that line.
    expect(error.stack).toBe(
      [
        `BlockingIOError: ${expected}`,
        '    at readFileSync (node:fs:453:20)',
        `    at loadUsers (${join(cwd, 'src/users.ts')}:14:18)`,
        `    at handler (${join(cwd, 'src/server.ts')}:40:9)`,
      ].join('\n'),
    )
  })

  test("a blocking call from a test helper (a test folder's file that is not a test file: tsup's test/utils.ts) is advised the `caller` rule that allows it", () => {
    const helper = join(cwd, 'test/utils.ts')
    const message = failureMessage([syncFinding({ location: { file: helper, line: 71, column: 17 }, frames: [{ fn: 'get output', file: helper, line: 71, column: 17 }] })], 'a')
    expect(message.split('\n').at(-1)).toBe("Allow it with allowBlocking() in the test or an `allow` rule in loopcop's options (`{ caller: 'test/utils.ts' }` allows what that test helper calls); accept what the code blocks on today with a baseline (LOOPCOP_UPDATE_BASELINE=1).")
    // The code under test, or a test file's own call, is no helper's.
    expect(failureMessage([syncFinding()], 'a')).not.toContain('caller:')
    const inTest = join(cwd, 'test/users.test.ts')
    expect(failureMessage([syncFinding({ testCode: true, location: { file: inTest, line: 5, column: 3 }, frames: [{ fn: 'fixture', file: inTest, line: 5, column: 3 }] })], 'a')).not.toContain('caller:')
    // Nor is a file named as a test where the run did not say it is one (a detect() scope).
    expect(failureMessage([syncFinding({ location: { file: inTest, line: 5, column: 3 }, frames: [{ fn: 'fixture', file: inTest, line: 5, column: 3 }] })], 'a')).not.toContain('caller:')
    // A monorepo's package of test helpers beside the project (simple-git's): named as a `caller` glob matches it, with `..`.
    const sibling = join(cwd, '..', 'packages/test-utils/src/create-test-context.ts')
    expect(failureMessage([syncFinding({ location: { file: sibling, line: 32, column: 24 }, frames: [{ fn: 'createTestContext', file: sibling, line: 32, column: 24 }] })], 'a')).toContain("`{ caller: '../packages/test-utils/src/create-test-context.ts' }` allows what that test helper calls")
  })

  test('repeated, sampled, leaked, allowed and dependency calls: the code under test first, then test code, then calls not judged', () => {
    const dep = (fn: string, line: number) => ({ fn, file: join(cwd, 'node_modules/exsolve/dist/index.mjs'), line, column: 3 })
    const message = failureMessage([
      syncFinding({ calls: 3, durationMs: 9.3, args: undefined, operation: 'fs.statSync', hint: 'use fs.promises.stat' }),
      syncFinding({ testCode: true, location: { file: join(cwd, 'test/users.test.ts'), line: 5, column: 3 }, frames: [{ fn: 'fixture', file: join(cwd, 'test/users.test.ts'), line: 5, column: 3 }] }),
      syncFinding({ calls: 99_900, durationMs: 120.5, unstacked: true, frames: [], args: undefined, operation: 'fs.existsSync', hint: 'use fs.promises.access' }),
      syncFinding({ leak: true }),
      syncFinding({
        offender: { package: 'exsolve', file: join(cwd, 'node_modules/exsolve/dist/index.mjs'), line: 10, column: 3 },
        location: { file: join(cwd, 'src/loader.ts'), line: 446, column: 12 },
        // Deeper than traceDepth: the user's frame kept after the first ones (reportedFrames).
        frames: [dep('readPackageJSON', 10), dep('findUp', 20), dep('resolveModule', 30), dep('tryResolve', 40), { fn: 'load', file: join(cwd, 'src/loader.ts'), line: 446, column: 12 }],
      }),
      syncFinding({
        offender: { package: 'pino', file: join(cwd, 'node_modules/pino/lib/tools.js'), line: 7, column: 3 },
        location: { file: join(cwd, 'src/log.ts'), line: 2, column: 1 },
        frames: [
          { fn: 'write', file: join(cwd, 'node_modules/pino/lib/tools.js'), line: 7, column: 3 },
          { fn: 'log', file: join(cwd, 'src/log.ts'), line: 2, column: 1 },
          { fn: undefined, file: join(cwd, 'src/a.ts'), line: 3, column: 1 },
          { fn: 'b', file: join(cwd, 'src/b.ts'), line: 4, column: 1 },
        ],
      }),
    ])
    expect(message.split('\n')).toEqual([
      '7 blocking operations on the event loop (and 99,900 blocking calls not judged)',
      '  1) fs.statSync ×3 blocked 9.3 ms in total — use fs.promises.stat',
      '       at loadUsers (src/users.ts:14:18)',
      '       at handler (src/server.ts:40:9)',
      '  2) after its test ended: fs.readFileSync("config/users.json") blocked 3.1 ms — use fs.promises.readFile',
      '       at loadUsers (src/users.ts:14:18)',
      '       at handler (src/server.ts:40:9)',
      '  3) fs.readFileSync("config/users.json") blocked 3.1 ms — use fs.promises.readFile',
      '       called by the package exsolve from src/loader.ts:446',
      '       at readPackageJSON (node_modules/exsolve/dist/index.mjs:10:3)',
      '       at findUp (node_modules/exsolve/dist/index.mjs:20:3)',
      // The frames between (resolveModule, tryResolve) left out, and said so.
      '       …',
      '       at load (src/loader.ts:446:12)',
      '  4) fs.readFileSync("config/users.json") blocked 3.1 ms — use fs.promises.readFile',
      '       called by the package pino from src/log.ts:2',
      '       at write (node_modules/pino/lib/tools.js:7:3)',
      '       at log (src/log.ts:2:1)',
      '       at src/a.ts:3:1',
      '  5) fs.readFileSync("config/users.json") blocked 3.1 ms — use fs.promises.readFile',
      '       at fixture (test/users.test.ts:5:3)',
      '       (in test code)',
      '  6) fs.existsSync ×99,900 more calls, not judged, blocked 121 ms in total — use fs.promises.access',
      '       (no stack of their own: past the first 100 calls of an operation in a test, once one of them is not allowed by a rule (calls a baseline knows are not), later calls are counted and timed only; rules that need a stack could not judge them)',
      // Dependencies' calls: the rule for each package is named.
      'Allow it with allowBlocking() in the test or an `allow` rule in loopcop\'s options (`{ package: \'exsolve\' }` and `{ package: \'pino\' }` allow what each package calls); accept what the code blocks on today with a baseline (LOOPCOP_UPDATE_BASELINE=1).',
    ])
  })

  test('a message of findings none of which was judged says so in its headline, never "0 blocking operations"', () => {
    const unjudged = stallFinding({ unjudged: 'the stall ended before the watchdog looked', location: undefined, frames: [] })
    const lines = failureMessage([unjudged], 'a').split('\n')
    expect(lines[0]).toBe('1 event loop stall, not judged, during "a"')
    expect(lines[2]).toContain('(not judged: the stall ended before the watchdog looked)')
    const unstacked = syncFinding({ unstacked: true, calls: 3, frames: [], location: undefined })
    expect(failureMessage([unstacked, unjudged]).split('\n')[0]).toBe('3 blocking calls and 1 event loop stall, not judged')
    // One judged finding: the headline counts the judged, the rest are listed under it.
    expect(failureMessage([unjudged, syncFinding()]).split('\n')[0]).toBe('1 blocking operation on the event loop (and 1 event loop stall not judged)')
    expect(failureMessage([unjudged, unjudged, stallFinding()]).split('\n')[0]).toBe('1 event loop stall (and 2 event loop stalls not judged)')
    // Nothing judged, nothing fails: no advice on allowing it.
    expect(failureMessage([unjudged], 'a')).not.toContain('Allow it')
    expect(failureMessage([unjudged, syncFinding()])).toContain('Allow it with allowBlocking()')
  })

  // interceptors: base64id's randomBytes and ws's randomFillSync failed one test; the message named
  // only base64id's rule, and with it alone the test still failed.
  test('a failure of calls from several packages names the rule for each, up to four', () => {
    const from = (pkg: string): SyncIoFinding => syncFinding({ offender: { file: join(cwd, `node_modules/${pkg}/index.js`), line: 1, column: 1, package: pkg } })
    const last = (findings: SyncIoFinding[]): string | undefined => failureMessage(findings, 'a').split('\n').at(-1)
    expect(last([from('base64id'), from('ws'), from('ws'), syncFinding()])).toBe("Allow it with allowBlocking() in the test or an `allow` rule in loopcop's options (`{ package: 'base64id' }` and `{ package: 'ws' }` allow what each package calls); accept what the code blocks on today with a baseline (LOOPCOP_UPDATE_BASELINE=1).")
    expect(last(['a', 'b', 'c', 'd', 'e'].map(from))).toContain("(`{ package: 'a' }`, `{ package: 'b' }`, `{ package: 'c' }` and one such rule for each of the 2 other packages above allow what each package calls)")
    // Four are named whole: "and the like for the 1 other package above" read as garbled (unplugin-auto-import).
    expect(last(['a', 'b', 'c', 'd'].map(from))).toContain("(`{ package: 'a' }`, `{ package: 'b' }`, `{ package: 'c' }` and `{ package: 'd' }` allow what each package calls)")
  })

  // rxjs: a leak's message said to call allowBlocking() in the test, whose allowance ends with it.
  test("a leak's advice is to stop the work or allow it by rule; a message with a test's own finding keeps allowBlocking()", () => {
    const leak = syncFinding({ leak: true })
    const stop = "Stop that work before its test ends (clear its timer, close what it opened), or allow it with an `allow` rule in loopcop's options (an allowBlocking() ends with its test); accept what the code blocks on today with a baseline (LOOPCOP_UPDATE_BASELINE=1)."
    expect(failureMessage([leak], 'a').split('\n').at(-1)).toBe(stop)
    expect(leakMessage(leak, 'reported').split('\n').at(-1)).toBe(stop)
    expect(failureMessage([leak, syncFinding()], 'a').split('\n').at(-1)).toMatch(/^Allow it with allowBlocking\(\) in the test/)
  })

  // jscodeshift: one test's six operations past their first 100 calls said why they had no stack six times.
  test('a message with calls of several operations that kept no stack says why once', () => {
    const unstacked = (operation: string): SyncIoFinding => syncFinding({ calls: 20, unstacked: true, frames: [], args: undefined, operation, hint: 'use fs.promises.stat' })
    const message = failureMessage([syncFinding(), unstacked('fs.statSync'), unstacked('fs.lstatSync')], 'a')
    expect(message.split('past the first 100 calls of an operation')).toHaveLength(2)
    expect(message).toContain('(no stack of their own, for the reason given with the first such calls; rules that need a stack could not judge them)')
  })

  // tsconfck: nine calls a test left running, all after it ended, were headed "during" it.
  test("a message of work a test left running says it blocked after the test ended; one with the test's own calls too says during and after", () => {
    const leak = syncFinding({ leak: true })
    expect(failureMessage([leak], 'a').split('\n')[0]).toBe('1 blocking operation on the event loop after "a" ended')
    expect(failureMessage([leak, stallFinding({ leak: true })], 'a').split('\n')[0]).toBe('2 blocking operations on the event loop after "a" ended')
    expect(failureMessage([leak, syncFinding()], 'a').split('\n')[0]).toBe('2 blocking operations on the event loop during and after "a"')
    expect(failureMessage([syncFinding()], 'a').split('\n')[0]).toBe('1 blocking operation on the event loop during "a"')
  })

  // thread-stream's suite: `(in "worker has default name \"thread-stream\"" …`.
  test('a test name with double quotes is single-quoted in messages, unescaped; one with more to escape keeps JSON escapes', () => {
    const name = 'worker has default name "thread-stream"'
    expect(failureMessage([syncFinding()], name).split('\n')[0]).toBe(`1 blocking operation on the event loop during 'worker has default name "thread-stream"'`)
    expect(newSiteWarning(syncFinding(), name)).toContain(`(in 'worker has default name "thread-stream"'; `)
    expect(formatSummary([syncFinding({ test: { name } })], cwd).split('\n')[1]).toContain(`1 test: 'worker has default name "thread-stream"'`)
    expect(failureMessage([syncFinding()], `it's "x"`).split('\n')[0]).toBe(`1 blocking operation on the event loop during "it's \\"x\\""`)
    expect(failureMessage([syncFinding()], 'plain').split('\n')[0]).toBe('1 blocking operation on the event loop during "plain"')
  })

  test('a message of stalls alone counts stalls, not blocking operations; with a blocking call, both are blocking operations (DESIGN.md)', () => {
    expect(failureMessage([stallFinding()], 'a').split('\n')[0]).toBe('1 event loop stall during "a"')
    expect(failureMessage([stallFinding(), stallFinding()], 'a').split('\n')[0]).toBe('2 event loop stalls during "a"')
    expect(failureMessage([stallFinding(), syncFinding()], 'a').split('\n')[0]).toBe('2 blocking operations on the event loop during "a"')
  })

  test('a dependency call with no frame of the user’s own captured says so, and why that can be, in the message, the warning and the summary', () => {
    const pino = { package: 'pino', file: join(cwd, 'node_modules/pino/lib/tools.js'), line: 7, column: 3 }
    // Its stack went on past the frames shown (`stackCut`, which accounting sets when they fill traceDepth).
    const alone = syncFinding({ offender: pino, location: { file: pino.file, line: 7, column: 3 }, frames: [{ fn: 'write', file: pino.file, line: 7, column: 3 }], stackCut: true })
    expect(failureMessage([alone])).toContain('called by the package pino (no frame of your own code among the 1 frame captured, nor in the first 110 of its stack: the package made the call on its own (in a callback, or after an await), or your frame lies deeper still)')
    // The whole stack, with no loop entry at its end: a continuation run at a microtask checkpoint after a native callback (mlly's pkg-types).
    const resumed = syncFinding({ offender: pino, location: { file: pino.file, line: 7, column: 3 }, frames: [{ fn: 'write', file: pino.file, line: 7, column: 3 }, { fn: 'findFile', file: pino.file, line: 12, column: 11 }] })
    expect(failureMessage([resumed])).toContain('called by the package pino (no frame of your own code among the 2 frames captured: the package made the call on its own (in a callback, or after an await))\n')
    expect(formatSummary([resumed], cwd).split('\n')[1]).toContain('(in the package pino, no frame of your own code found): 1 call')
    // typedoc: the warning and the summary said "no frame of your own code found" where the message said the frame may lie deeper.
    expect(newSiteWarning(alone, 'a')).toContain('(in "a"; in the package pino, no frame of your own code in the first 110 frames of its stack; later calls')
    // A stack that ends where Node's event loop runs a continuation was captured whole: no deeper frame to look for.
    const afterAwait = syncFinding({ offender: pino, location: { file: pino.file, line: 7, column: 3 }, frames: [{ fn: 'write', file: pino.file, line: 7, column: 3 }, { fn: 'process.processTicksAndRejections', file: 'node:internal/process/task_queues', line: 105, column: 5 }] })
    expect(failureMessage([afterAwait])).toContain('called by the package pino (no frame of your own code among the 2 frames captured: the package made the call on its own (in a callback, or after an await))\n')
    // So does one that ends where Node runs a native callback (smtp-server's connection handler, under nodemailer's tests).
    const onConnection = syncFinding({ offender: pino, location: { file: pino.file, line: 7, column: 3 }, frames: [{ fn: 'write', file: pino.file, line: 7, column: 3 }, { fn: 'TCP.onconnection', file: 'node:net', line: 2227, column: 8 }, { fn: 'TCP.callbackTrampoline', file: 'node:internal/async_hooks', line: 130, column: 17 }] })
    expect(failureMessage([onConnection])).not.toContain('or your frame lies deeper still')
    expect(newSiteWarning(afterAwait, 'a')).toContain('(in "a"; in the package pino, no frame of your own code found; later calls')
    expect(formatSummary([afterAwait], cwd).split('\n')[1]).toContain('(in the package pino, no frame of your own code found): 1 call')
    // One the test runner called itself, as a hook (pino's `t.after(transport.end.bind(transport))`):
    // below the package is the runner, never the user's code.
    const asAHook = syncFinding({ offender: pino, location: { file: pino.file, line: 7, column: 3 }, frames: [{ fn: 'end', file: pino.file, line: 7, column: 3 }, { fn: 'Test.runInAsyncScope', file: 'node:async_hooks', line: 227, column: 14 }, { fn: 'TestHook.run', file: 'node:internal/test_runner/test', line: 1402, column: 25 }] })
    expect(failureMessage([asAHook])).toContain("called by the package pino (no frame of your own code among the 3 frames captured: node:test called the package's function itself (a test or hook that is the package's function, as `t.after(stream.end.bind(stream))` is))\n")
    const underMocha = syncFinding({ offender: pino, location: { file: pino.file, line: 7, column: 3 }, frames: [{ fn: 'end', file: pino.file, line: 7, column: 3 }, { fn: 'Hook.Runnable.run', file: join(cwd, 'node_modules/mocha/lib/runnable.js'), line: 389, column: 7 }] })
    expect(failureMessage([underMocha])).toContain("Mocha called the package's function itself")
    expect(failureMessage([underMocha])).not.toContain('or your frame lies deeper still')
    expect(newSiteWarning(underMocha, 'a')).toContain("(in \"a\"; in the package pino, no frame of your own code: Mocha called the package's function itself; later calls")
    expect(formatSummary([alone], cwd).split('\n')[1]).toBe('  fs.readFileSync at node_modules/pino/lib/tools.js:7:3 (in the package pino, no frame of your own code in the first 110 frames of its stack): 1 call, 3.1 ms — 1 test: "GET /users returns 200"')
    // A site some of whose calls were captured whole and some cut: a larger traceDepth may find the user's frame for those.
    expect(formatSummary([afterAwait, { ...alone, id: 'x' }], cwd).split('\n')[1]).toContain('(in the package pino, no frame of your own code in the first 110 frames of its stack)')
    // A stall is no call: its sampled frames show the package's code running.
    const stallIn = stallFinding({ offender: pino, location: { file: pino.file, line: 7, column: 3 }, frames: [{ fn: 'write', file: pino.file, line: 7, column: 3 }] })
    expect(failureMessage([stallIn])).toContain("in the package pino (no frame of your own code among the 1 frame sampled: the package's own code was running (in a callback, or after an await))")
    // A stall sampled in a package, below the user's frame (ajv's compiling, once in fast-uri): no
    // package rule is advised, as the next run's probe may land elsewhere; a call's package still is.
    const sampledIn = stallFinding({ offender: pino, frames: [{ fn: 'write', file: pino.file, line: 7, column: 3 }, { fn: 'loadUsers', file: join(cwd, 'src/users.ts'), line: 14, column: 18 }] })
    expect(failureMessage([sampledIn])).not.toContain("{ package: 'pino' }")
    expect(failureMessage([sampledIn, syncFinding({ offender: pino })])).toContain("(`{ package: 'pino' }` allows what pino calls)")
    // Made for the user's line: called by the package.
    const forUser = syncFinding({ offender: pino })
    expect(newSiteWarning(forUser, 'a')).toContain('(in "a"; called by the package pino; later calls')
    expect(formatSummary([forUser], cwd).split('\n')[1]).toContain('fs.readFileSync at src/users.ts:14:18 (called by the package pino): 1 call')
    // A line that also makes the call itself: the label says how many of its calls the package made.
    const direct = syncFinding({ calls: 3, test: { name: 'b' } })
    expect(formatSummary([forUser, direct], cwd).split('\n')[1]).toContain('fs.readFileSync at src/users.ts:14:18 (called by the package pino: 1 of the 4 calls): 4 calls')
  })

  test('a dependency call made in its own callback, run by Node’s event loop, was captured whole: no hint that the user’s frame lies deeper', async () => {
    const fakepkg = createRequire(import.meta.url)('../fixtures/core/node_modules/fakepkg') as { statLater(path: string): Promise<fs.Stats> }
    const { findings } = await detect(() => fakepkg.statLater('.'), { mode: 'warn', stallMs: 0 })
    expect(findings).toHaveLength(1)
    const message = failureMessage(findings)
    expect(message).toMatch(/called by the package fakepkg \(no frame of your own code among the \d frames captured: the package made the call on its own \(in a callback, or after an await\)\)\n/)
    expect(message).not.toContain('or your frame lies deeper still')
  })

  test('a dependency call after a native await is its whole stack, said so; one at the bottom of a recursion deeper than the search is cut, said so (mlly)', async () => {
    const fakepkg = createRequire(import.meta.url)('../fixtures/core/node_modules/fakepkg') as { statAfterAwait(path: string): Promise<fs.Stats>; statDeep(depth: number, path: string): fs.Stats; statDeepLater(depth: number, path: string): Promise<fs.Stats> }
    const resumed = (await detect(() => fakepkg.statAfterAwait('.'), { mode: 'warn', stallMs: 0 })).findings
    expect(resumed.map((f) => [f.kind === 'sync-io' && f.stackCut === true, f.offender?.package])).toEqual([[false, 'fakepkg']])
    expect(failureMessage(resumed)).not.toContain('or your frame lies deeper still')
    expect(newSiteWarning(resumed[0] as Finding, 'a')).not.toContain('in the first 110 frames')
    const deep = (await detect(() => fakepkg.statDeep(150, '.'), { mode: 'warn', stallMs: 0 })).findings
    expect(deep.map((f) => [f.kind === 'sync-io' && f.stackCut === true, f.offender?.package, f.frames.length])).toEqual([[true, 'fakepkg', 10]])
    expect(failureMessage(deep)).toContain('nor in the first 110 of its stack')
    // More frames than a finding shows, but the whole stack, ending where Node's loop called the package (express-session, express).
    const later = (await detect(() => fakepkg.statDeepLater(20, '.'), { mode: 'warn', stallMs: 0 })).findings
    expect(later.map((f) => [f.kind === 'sync-io' && f.stackCut === true, f.offender?.package, f.frames.length])).toEqual([[false, 'fakepkg', 10]])
    expect(failureMessage(later)).toContain('the package made the call on its own (in a callback, or after an await)')
    expect(newSiteWarning(later[0] as Finding, 'a')).not.toContain('in the first 110 frames')
  })

  // enhanced-resolve: its file system is graceful-fs's, whose `statFixSync` calls fs.statSync for
  // the project's own code. It was named the package that made the call, and the message advised
  // `{ package: 'graceful-fs' }`, a rule that would allow every stat the project makes.
  test('a call through graceful-fs, a shim of Node’s fs, is its caller’s: no package made it', async () => {
    await detect(() => undefined) // loopcop's wrappers installed before graceful-fs copies fs
    const gracefulFs = createRequire(import.meta.url)('graceful-fs') as typeof fs
    const found = (await detect(() => gracefulFs.statSync('.'), { mode: 'warn', stallMs: 0 })).findings
    expect(found.map((f) => [f.kind === 'sync-io' && f.operation, f.offender?.package, f.location?.file])).toEqual([['fs.statSync', undefined, expect.stringMatching(/report\.test\.ts$/)]])
    expect(failureMessage(found)).not.toContain('graceful-fs')
  })

  test('the JSON summary counts the findings known from the baseline as the console does: calls not judged once, with their kind', () => {
    const known = syncFinding({ baselined: true })
    const knownUnstacked = syncFinding({ baselined: true, unstacked: true, calls: 7, frames: [], location: undefined })
    const knownUnjudged = stallFinding({ baselined: true, unjudged: 'the stall ended before the watchdog looked', frames: [], location: undefined })
    const report = jsonReport([known, knownUnstacked, knownUnjudged], { cwd })
    expect(report.summary).toMatchObject({ baselined: 1, unstackedCalls: 7, unjudgedStalls: 1 })
    expect(formatSummary([known, knownUnstacked, knownUnjudged], cwd)).toContain('1 call site in 1 test')
  })

  test('a site where some calls leaked past their test says how many, not that all did', () => {
    const leak = syncFinding({ leak: true, calls: 2, test: { name: 'a' } })
    const inTest = syncFinding({ test: { name: 'b' } })
    expect(formatSummary([leak, inTest], cwd).split('\n')[1]).toMatch(/: 3 calls, [\d.]+ ms \(2 of them leaked past their test\)/)
    expect(formatSummary([leak], cwd).split('\n')[1]).toMatch(/: 2 calls, [\d.]+ ms \(leaked past its test\)/)
  })

  test('where some sites failed their tests and others only warned (a stall under stallMode warn, a leak), those are marked; a run of one kind marks none', () => {
    const failed = syncFinding({ mode: 'fail', test: { name: 'a' } })
    const stall = stallFinding({ mode: 'warn', test: { name: 'b' } })
    const leak = syncFinding({ mode: 'warn', leak: true, operation: 'fs.existsSync', location: { file: join(cwd, 'src/other.ts'), line: 3, column: 1 }, test: { name: 'c' } })
    const lines = formatSummary([failed, stall, leak], cwd).split('\n')
    const row = (what: string): string => lines.find((line) => line.startsWith(`  ${what} at `)) ?? ''
    expect(row('fs.readFileSync')).not.toContain('failed no test')
    expect(row('event loop stall')).toMatch(/: 1 stall, [\d.]+ ms \(warned: failed no test\) — 1 test: "b"$/)
    expect(row('fs.existsSync')).toMatch(/\(leaked past its test; warned: failed no test\) — 1 test: "c"$/)
    // All failed, or all warned: nothing to tell apart.
    expect(formatSummary([failed, syncFinding({ mode: 'fail', test: { name: 'd' } })], cwd)).not.toContain('failed no test')
    expect(formatSummary([stall, leak], cwd)).not.toContain('failed no test')
    // The Markdown summary (GitHub's step summary, `loopcop summary`) marks them alike.
    const markdown = markdownSummary(jsonReport([failed, stall, leak], { cwd })).split('\n')
    expect(markdown.find((line) => line.startsWith('| fs.readFileSync '))).toMatch(/^\| fs\.readFileSync \| src\/users\.ts:14 \|/)
    expect(markdown.find((line) => line.startsWith('| event loop stall'))).toMatch(/^\| event loop stall \(warned: failed no test\) \| src\/csv\.ts:8 \|/)
    expect(markdown.find((line) => line.startsWith('| fs.existsSync'))).toMatch(/^\| fs\.existsSync \(warned: failed no test\) \|/)
    expect(markdownSummary(jsonReport([stall, leak], { cwd }))).not.toContain('failed no test')
  })

  test('tests of the same name in two files are told apart by their file; one of a name by its name alone', () => {
    const a = syncFinding({ test: { name: 'console.warn spy sees nothing', file: join(cwd, 'tests/capture.test.js') } })
    const b = syncFinding({ test: { name: 'console.warn spy sees nothing', file: join(cwd, 'tests/capture2.test.js') } })
    const c = syncFinding({ test: { name: 'reads', file: join(cwd, 'tests/capture2.test.js') } })
    expect(formatSummary([a, b, c], cwd).split('\n')[1]).toMatch(
      / — 3 tests: "console\.warn spy sees nothing" \(tests\/capture\.test\.js\), "console\.warn spy sees nothing" \(tests\/capture2\.test\.js\), "reads"$/,
    )
  })

  test('milliseconds as people read them', () => {
    expect([0.042, 3.14, 9.96, 182.4, 1234.5].map(formatMs)).toEqual(['0.04 ms', '3.1 ms', '10 ms', '182 ms', '1235 ms'])
    // A 4 µs call is not "0.00 ms" (jiti), and a figure reads the same on either side of a form's edge.
    expect([0.004, 0.0096, 0.0996, 0.1, 9.94].map(formatMs)).toEqual(['0.004 ms', '0.01 ms', '0.1 ms', '0.1 ms', '9.9 ms'])
    // Calls `throw` mode refused never ran: nothing blocked, said as such (express: "0.000 ms blocked in total").
    expect(formatMs(0)).toBe('0 ms')
  })

  test('counts as en-US writes them, with thousands separators', () => {
    for (const n of [0, 1, 999, 1000, 20_440, 1_234_567, -4200, 2.5]) expect(plural(n, 'call')).toBe(`${n.toLocaleString('en-US')} ${n === 1 ? 'call' : 'calls'}`)
  })
})

describe('the warn line (one a new call site)', () => {
  test('names the call site, the call, the time it blocked and the alternative', () => {
    expect(newSiteWarning(syncFinding({ calls: 3, durationMs: 9.3 }), 'GET /users returns 200')).toBe(
      'new call site src/users.ts:14:18 fs.readFileSync("config/users.json") ×3 blocked 9.3 ms in total — use fs.promises.readFile (in "GET /users returns 200"; later calls from here are counted in the run summary and JSON report)',
    )
  })

  test('says where later calls go only when asked (the run’s first line): the same for every site', () => {
    expect(newSiteWarning(syncFinding(), 'builds', true, false)).toBe('new call site src/users.ts:14:18 fs.readFileSync("config/users.json") blocked 3.1 ms — use fs.promises.readFile (in "builds")')
    expect(newSiteWarning(syncFinding(), undefined, true, false)).toBe('new call site src/users.ts:14:18 fs.readFileSync("config/users.json") blocked 3.1 ms — use fs.promises.readFile')
  })

  test('names the package that made the call for the user’s line, when a dependency did', () => {
    const offender = { package: 'vite', file: join(cwd, 'node_modules/vite/dist/node/chunks/node.js'), line: 2012, column: 13 }
    expect(newSiteWarning(syncFinding({ offender }), 'builds')).toBe(
      'new call site src/users.ts:14:18 fs.readFileSync("config/users.json") blocked 3.1 ms — use fs.promises.readFile (in "builds"; called by the package vite; later calls from here are counted in the run summary and JSON report)',
    )
  })

  test('calls with no stack of their own have no call site: it says what they are and why', () => {
    const { location: _, args: __, ...rest } = syncFinding()
    const unstacked: SyncIoFinding = { ...rest, unstacked: true, frames: [], calls: 34, durationMs: 0.4, maxMs: 0.1 }
    expect(newSiteWarning(unstacked, 'load config')).toBe(
      'fs.readFileSync ×34 more calls, not judged, blocked 0.4 ms in total — use fs.promises.readFile (in "load config"; no stack of their own: past the first 100 calls of an operation in a test, once one of them is not allowed by a rule (calls a baseline knows are not), later calls are counted and timed only; the run summary and JSON report count them)',
    )
  })
})

describe('the JSON report, version 1', () => {
  test('the JSON shape, with paths relative to the working directory', () => {
    const allowed = syncFinding({ allowed: true, allowedBy: 'fs.readFileSync', durationMs: 1 })
    const report = jsonReport([syncFinding(), stallFinding(), allowed], { cwd })
    expect(report.version).toBe(1)
    expect(report.findings[0]).toEqual({
      id: expect.any(String),
      kind: 'sync-io',
      operation: 'fs.readFileSync',
      category: 'fs',
      hint: 'use fs.promises.readFile',
      args: 'config/users.json',
      unstacked: false,
      durationMs: 3.1,
      maxMs: 3.1,
      calls: 1,
      allowed: false,
      leak: false,
      test: { name: 'GET /users returns 200', file: 'test/users.test.ts' },
      location: { file: 'src/users.ts', line: 14, column: 18 },
      stack: ['readFileSync (node:fs:453:20)', 'loadUsers (src/users.ts:14:18)', 'handler (src/server.ts:40:9)'],
    })
    expect(report.findings[1]).toMatchObject({ kind: 'stall', thresholdMs: 100, durationMs: 182, stack: ['parseCsv (src/csv.ts:8:12)'] })
    expect(report.findings[1]).not.toHaveProperty('operation')
    expect(report.findings[2]).toMatchObject({ allowed: true, allowedBy: 'fs.readFileSync' })
    expect(report.summary).toEqual({ findings: 2, tests: 1, blockedMs: 185.1, calls: 2, stalls: 1, allowed: 1, testCodeCalls: 0, baselined: 0, assertions: 0, unstackedCalls: 0, unjudgedStalls: 0 })
    // Plain JSON: survives a round trip unchanged.
    expect(JSON.parse(JSON.stringify(report))).toEqual(report)
  })

  test('counts its summary from the durations it writes, as the CLI counts a report it reads back', () => {
    // Three calls of 0.4 µs: written as 0 ms each. Summed before rounding they were 0.001 ms, and the
    // run's summary (its step summary on GitHub Actions) disagreed with `npx loopcop summary` of its report.
    const report = jsonReport([0.0004, 0.0004, 0.0004].map((ms) => syncFinding({ durationMs: ms, maxMs: ms })), { cwd })
    expect(report.findings.map((f) => f.durationMs)).toEqual([0, 0, 0])
    expect(report.summary).toMatchObject({ findings: 3, calls: 3, blockedMs: 0 })
    expect(mergeReports([JSON.parse(JSON.stringify(report)) as typeof report]).summary).toEqual(report.summary)
  })

  test('of real findings, written outside every scope (writing it is not a finding)', async () => {
    const { findings } = await detect(() => fs.existsSync(dir))
    const path = join(dir, 'reports', 'loopcop.json')
    const written = await detect(() => writeJsonReport(path, findings, { cwd }))
    expect(written.findings).toEqual([])
    expect(written.value).toBe(path)
    const report = JSON.parse(fs.readFileSync(path, 'utf8')) as ReturnType<typeof jsonReport>
    expect(report.version).toBe(1)
    expect(report.findings).toHaveLength(1)
    expect(report.findings[0]).toMatchObject({ kind: 'sync-io', operation: 'fs.existsSync', args: dir, location: { file: 'test/core/report.test.ts' } })
    expect(report.findings[0]!.stack[0]).toMatch(/test\/core\/report\.test\.ts:\d+:\d+\)?$/)
  })

  test('is written in pieces, to the byte the text of the whole report at once', () => {
    const many = Array.from({ length: 2000 }, (_, i) =>
      i % 7 === 0 ? stallFinding({ candidates: [{ name: `t${i}`, file: join(cwd, 'test/a.test.ts') }], unjudged: 'several tests could own it' }) : syncFinding({ args: `line\nbreak "${i}" ünïcode`, allowed: i % 3 === 0, ...(i % 3 === 0 && { allowedBy: 'test code' }) }),
    )
    const baseline = { path: 'loopcop-baseline.json', known: 0, complete: false, partial: '--grep', fixed: [], written: false }
    const pieces = [...jsonReportText(many, { cwd, lost: 2, baseline })]
    expect(pieces.length).toBeGreaterThan(10)
    expect(pieces.join('')).toBe(JSON.stringify(jsonReport(many, { cwd, lost: 2, baseline }), null, 2) + '\n')
    expect([...jsonReportText([], { cwd })].join('')).toBe(JSON.stringify(jsonReport([], { cwd }), null, 2) + '\n')
    const path = join(dir, 'pieces', 'loopcop.json')
    writeJsonReport(path, many, { cwd, lost: 2 })
    expect(fs.readFileSync(path, 'utf8')).toBe(JSON.stringify(jsonReport(many, { cwd, lost: 2 }), null, 2) + '\n')
  })

  test('a report that cannot be made to its end leaves no part of it behind, and the earlier report in place', () => {
    const path = join(dir, 'halfway', 'loopcop.json')
    writeJsonReport(path, [syncFinding()], { cwd })
    const before = fs.readFileSync(path, 'utf8')
    // Findings past the first piece, the last one broken: the report fails after pieces were written.
    const broken = [...Array.from({ length: 500 }, () => syncFinding()), { ...syncFinding(), frames: undefined } as unknown as Finding]
    expect(() => writeJsonReport(path, broken, { cwd })).toThrow(TypeError)
    expect(fs.readFileSync(path, 'utf8')).toBe(before)
    expect(fs.readdirSync(join(dir, 'halfway'))).toEqual(['loopcop.json'])
  })

  test('replaces a symbolic link at its path instead of writing through it, atomically (no temporary file left)', () => {
    const folder = join(dir, 'linked')
    fs.mkdirSync(folder)
    const victim = join(folder, 'victim.txt')
    fs.writeFileSync(victim, 'keep me\n')
    const path = join(folder, 'loopcop.json')
    fs.symlinkSync(victim, path)
    writeJsonReport(path, [], { cwd })
    expect(fs.readFileSync(victim, 'utf8')).toBe('keep me\n')
    expect(fs.lstatSync(path).isSymbolicLink()).toBe(false)
    expect(JSON.parse(fs.readFileSync(path, 'utf8'))).toMatchObject({ version: 1, findings: [] })
    // Written again over the report of an earlier run.
    writeJsonReport(path, [syncFinding()], { cwd })
    expect(JSON.parse(fs.readFileSync(path, 'utf8'))).toMatchObject({ summary: { findings: 1 } })
    expect(fs.readdirSync(folder).sort()).toEqual(['loopcop.json', 'victim.txt'])
  })

  test('a folder at its path is an error that says so, and leaves nothing behind', () => {
    const folder = join(dir, 'in-the-way')
    fs.mkdirSync(join(folder, 'loopcop.json'), { recursive: true })
    expect(() => writeJsonReport(join(folder, 'loopcop.json'), [], { cwd })).toThrow('there is a folder at that path')
    expect(fs.readdirSync(folder)).toEqual(['loopcop.json'])
    const result = reportRun([], { json: join(folder, 'loopcop.json'), cwd, write: () => {} })
    expect(result.error?.message).toBe(`loopcop: could not write the JSON report to ${join(folder, 'loopcop.json')} (report.json / LOOPCOP_REPORT): there is a folder at that path`)
  })
})

describe('a run loopcop checked no test file of', () => {
  test('its JSON report and Markdown summary say why, not only that nothing was found (an empty report read as a clean one)', () => {
    const json = join(dir, 'unchecked.json')
    const printed: string[] = []
    const unchecked = "no test file was checked: add 'loopcop/vitest' to `setupFiles` in the Vitest config"
    reportRun([], { json, cwd, unchecked, write: (t) => printed.push(t) })
    const report = JSON.parse(fs.readFileSync(json, 'utf8')) as JsonReport
    expect(report.summary.unchecked).toBe(unchecked)
    expect(printed.join('\n')).toContain(`loopcop: ${unchecked}`)
    const markdown = markdownSummary(report)
    expect(markdown).toContain("**Not checked**: no test file was checked: add 'loopcop/vitest' to \\`setupFiles\\` in the Vitest config")
    expect(markdown).not.toContain('No blocking of the event loop found')
    // A checked run's report has no such field.
    reportRun([], { json, cwd, write: () => {} })
    const checked = JSON.parse(fs.readFileSync(json, 'utf8')) as JsonReport
    expect(checked.summary).not.toHaveProperty('unchecked')
    // Merged (`npx loopcop merge`, shards): a part that checked nothing is said, with how many parts.
    expect(mergeReports([report, checked]).summary.unchecked).toBe(`1 of 2 merged reports: ${unchecked}`)
    expect(mergeReports([report, report]).summary.unchecked).toBe(unchecked)
    expect(mergeReports([checked, checked]).summary).not.toHaveProperty('unchecked')
  })
})

describe('RunCollector', () => {
  test('counts a finding seen twice (same id) once, in arrival order', () => {
    const a = syncFinding()
    const b = stallFinding()
    const collector = new RunCollector()
    expect(collector.add([a, b])).toBe(2)
    expect(collector.add([a])).toBe(0)
    // The same finding come back from another worker as JSON is the same finding.
    expect(collector.add(JSON.parse(JSON.stringify([b, a])) as Finding[])).toBe(0)
    const c = syncFinding()
    expect(collector.add([c, c])).toBe(1)
    expect(collector.findings.map((f) => f.id)).toEqual([a.id, b.id, c.id])
  })

  test('real findings have ids unique across scopes', async () => {
    const first = await detect(() => fs.existsSync(dir))
    const second = await detect(() => fs.existsSync(dir))
    const collector = new RunCollector()
    expect(collector.add([...first.findings, ...second.findings])).toBe(2)
    expect(first.findings[0]!.id).toMatch(new RegExp(`^${process.pid}-`))
  })
})

describe('GitHub annotations', () => {
  test('one per call site, at the user line, with data and properties escaped', () => {
    const odd = join(cwd, 'src/a,b:c.ts')
    const f = syncFinding({ args: '100%\r\ndone', location: { file: odd, line: 3, column: 5 }, frames: [{ fn: 'x', file: odd, line: 3, column: 5 }] })
    expect(githubAnnotations([f], 'error', cwd)).toEqual([
      '::error file=src/a%2Cb%3Ac.ts,line=3,col=5,title=loopcop%3A fs.readFileSync::fs.readFileSync("100%25\\r\\ndone") blocked 3.1 ms — use fs.promises.readFile',
    ])
    // A message with real line breaks (a hint, say) is escaped too.
    const multi = syncFinding({ hint: 'line one\nline two 50%' })
    expect(githubAnnotations([multi], 'warning', cwd)[0]).toBe(
      '::warning file=src/users.ts,line=14,col=18,title=loopcop%3A fs.readFileSync::fs.readFileSync("config/users.json") blocked 3.1 ms — line one%0Aline two 50%25',
    )
  })

  test("a dependency's call names the package, at the user's line it was made for (node-fetch: form-data's randomBytes at `form.append`)", () => {
    const formData = { package: 'form-data', file: join(cwd, 'node_modules/form-data/lib/form_data.js'), line: 361, column: 17 }
    const f = syncFinding({ operation: 'crypto.randomBytes', args: '12', hint: 'pass a callback to crypto.randomBytes', offender: formData })
    expect(githubAnnotations([f], 'warning', cwd)).toEqual([
      '::warning file=src/users.ts,line=14,col=18,title=loopcop%3A crypto.randomBytes::crypto.randomBytes("12") blocked 3.1 ms — pass a callback to crypto.randomBytes (called by the package form-data)',
    ])
    // The step summary's table too.
    expect(markdownSummary(jsonReport([f], { cwd }))).toContain('| crypto.randomBytes | src/users.ts:14 (by form-data) | 1 |')
  })

  test('without a level, what the configuration only warns about is a warning, what fails tests an error', () => {
    const levels = () => githubAnnotations([syncFinding(), stallFinding()], undefined, cwd).map((a) => a.slice(0, a.indexOf(' ')))
    // Defaults: mode 'fail', stallMode 'warn'. Sites come most blocked first (the stall).
    expect(levels()).toEqual(['::warning', '::error'])
    configure({ mode: 'warn', stallMode: 'fail' })
    try {
      expect(levels()).toEqual(['::error', '::warning'])
    } finally {
      configure.reset()
    }
  })

  test('aggregates a site across tests, skips allowed findings, and omits the position it does not know', () => {
    const inA = syncFinding({ test: { name: 'a' } })
    const inB = syncFinding({ test: { name: 'b' }, calls: 2, durationMs: 5 })
    const allowed = syncFinding({ allowed: true, allowedBy: 'fs.*', location: { file: join(cwd, 'src/other.ts'), line: 1, column: 1 } })
    const nowhere = stallFinding({ location: undefined, frames: [] })
    // Sites come most blocked first.
    expect(githubAnnotations([inA, inB, allowed, nowhere], 'error', cwd)).toEqual([
      '::error title=loopcop%3A event loop stall::event loop stalled 182 ms (threshold 100 ms)',
      '::error file=src/users.ts,line=14,col=18,title=loopcop%3A fs.readFileSync::fs.readFileSync("config/users.json") blocked 3.1 ms — use fs.promises.readFile (3 calls in 2 tests)',
    ])
  })
})

describe('the run summary', () => {
  test('all clear', () => {
    expect(formatSummary([], cwd)).toBe('loopcop: no blocking of the event loop found')
    expect(formatSummary([syncFinding({ allowed: true, allowedBy: 'x' })], cwd)).toBe('loopcop: no blocking of the event loop found (1 allowed finding)')
  })

  test('stalls not judged are not an all clear, in the console and the Markdown summary', () => {
    const unjudged = stallFinding({ unjudged: 'the probe ran outside the test’s code', location: undefined, frames: [] })
    const summary = formatSummary([unjudged], cwd).split('\n')
    expect(summary[0]).toBe('loopcop: no blocking of the event loop found, apart from 1 stall not judged')
    expect(summary[1]).toContain('  1 stall not judged (no stack showing your code could be read')
    // Where each says why: the run's JSON report when it writes one, else how to ask for one (webpack-cli).
    expect(summary[1]).toMatch(/; a JSON report says why for each: set report\.json or LOOPCOP_REPORT\)$/)
    expect(formatSummary([unjudged], cwd, 'reports/loopcop.json').split('\n')[1]).toMatch(/; each says why in the JSON report\)$/)
    // Those a baseline knows, as the JSON marks them (unstorage: "2 stalls not judged" read as new in a green baselined run).
    expect(formatSummary([{ ...unjudged, baselined: true }, unjudged], cwd, 'r.json').split('\n')[1]).toMatch(/; each says why in the JSON report; the baseline knows 1 of them\)$/)
    expect(formatSummary([{ ...unjudged, baselined: true }], cwd, 'r.json').split('\n')[1]).toMatch(/; each says why in the JSON report; the baseline knows it\)$/)
    expect(markdownSummary(jsonReport([{ ...unjudged, baselined: true }], { cwd }))).toContain('1 stall not judged (no stack showing your code could be read, or several tests could own it; each says why in the JSON report; the baseline knows it).')
    const markdown = markdownSummary(jsonReport([unjudged], { cwd }))
    expect(markdown).toContain('No blocking of the event loop found, apart from 1 stall not judged.')
    expect(markdown).toContain('1 stall not judged (no stack showing your code could be read, or several tests could own it; each says why in the JSON report).')
  })

  test('a run that checked no test file says why in place of an all clear', () => {
    expect(formatSummary([], cwd, undefined, 'no test file was checked: …')).toBe('loopcop: no test file was checked: …')
  })

  test('grouped by call site with counts, time and tests', () => {
    const summary = formatSummary([syncFinding({ test: { name: 'a' } }), syncFinding({ test: { name: 'b' } }), stallFinding({ test: { name: 'a' } })], cwd)
    expect(summary.split('\n')).toEqual([
      'loopcop: 2 blocking calls and 1 stall at 2 call sites in 2 tests, 188 ms blocked in total',
      '  event loop stall at src/csv.ts:8:12: 1 stall, 182 ms — 1 test: "a"',
      // One stall: its length is on the line above, not repeated; what to do, as for a blocking call.
      '      threshold 100 ms — break the work into chunks that yield to the event loop (await new Promise(setImmediate) between them; an await alone does not yield) or move it to a worker thread',
      '  fs.readFileSync at src/users.ts:14:18: 2 calls, 6.2 ms — 2 tests: "a", "b"',
      '      use fs.promises.readFile',
    ])
  })

  test("a site's detail line describes its longest stall, not its first", () => {
    const summary = formatSummary([stallFinding({ test: { name: 'a' }, maxMs: 193, durationMs: 193 }), stallFinding({ test: { name: 'b' }, maxMs: 1765, durationMs: 1765 })], cwd).split('\n')
    expect(summary[1]).toBe('  event loop stall at src/csv.ts:8:12: 2 stalls, 1958 ms — 2 tests: "a", "b"')
    expect(summary[2]).toBe('      longest 1765 ms, threshold 100 ms — break the work into chunks that yield to the event loop (await new Promise(setImmediate) between them; an await alone does not yield) or move it to a worker thread')
    // A site of blocking calls is still shown by its first call, not a longer one that leaked past its test.
    const [annotation] = githubAnnotations([syncFinding({ test: { name: 'a' } }), syncFinding({ test: { name: 'b' }, leak: true, maxMs: 50, durationMs: 50 })], 'error', cwd)
    expect(annotation).toContain('::fs.readFileSync(')
    expect(annotation).not.toContain('after its test ended')
  })

  test('a site of stalls counts stalls, not calls, in the violations and in what assertions found', () => {
    const stalls = [stallFinding({ test: { name: 'a' } }), stallFinding({ test: { name: 'b' }, durationMs: 105 })]
    const asserted = [stallFinding({ test: { name: 'c' }, scope: 'assertion' }), syncFinding({ test: { name: 'c' }, scope: 'assertion' })]
    const summary = formatSummary([...stalls, ...asserted], cwd).split('\n')
    expect(summary[0]).toBe('loopcop: 2 stalls at 1 call site in 2 tests, 287 ms blocked in total')
    expect(summary[1]).toBe('  event loop stall at src/csv.ts:8:12: 2 stalls, 287 ms — 2 tests: "a", "b"')
    expect(summary).toContain('  found by assertions (toBlockEventLoop, assertNoBlocking, blockEventLoop, doesNotBlock), which pass or fail their tests themselves: 1 blocking call and 1 stall at 2 call sites')
    expect(summary).toContain('    event loop stall at src/csv.ts:8:12: 1 stall, 182 ms — 1 test: "c"')
    expect(markdownSummary(jsonReport([...stalls, ...asserted], { cwd }))).toContain('Found by assertions (they pass or fail their tests themselves): 1 blocking call and 1 stall at 2 call sites.')
  })

  test('a call site is a line: an async frame’s column (its `await`) and the call’s own make one site', () => {
    // `await build()`: the calls before build's first await have the call's column, those after it the await's.
    const atCall = syncFinding({ test: { name: 'a' }, location: { file: join(cwd, 'src/users.ts'), line: 14, column: 18 } })
    const atAwait = syncFinding({ test: { name: 'a' }, location: { file: join(cwd, 'src/users.ts'), line: 14, column: 12 } })
    const elsewhere = syncFinding({ test: { name: 'a' }, location: { file: join(cwd, 'src/users.ts'), line: 15, column: 12 } })
    expect(formatSummary([atCall, atAwait, elsewhere], cwd).split('\n').filter((l) => l.startsWith('  fs.'))).toEqual([
      '  fs.readFileSync at src/users.ts:14:18: 2 calls, 6.2 ms — 1 test: "a"',
      '  fs.readFileSync at src/users.ts:15:12: 1 call, 3.1 ms — 1 test: "a"',
    ])
    expect(warnSiteKey(atAwait)).toBe(warnSiteKey(atCall))
    expect(warnSiteKey(elsewhere)).not.toBe(warnSiteKey(atCall))
  })

  test('counts tests by file and name: two files may each have a test of the same name', () => {
    const summary = formatSummary([syncFinding({ test: { name: 'works', file: 'test/a.test.ts' } }), syncFinding({ test: { name: 'works', file: 'test/b.test.ts' } })], cwd)
    expect(summary.split('\n').slice(0, 2)).toEqual([
      'loopcop: 2 blocking calls at 1 call site in 2 tests, 6.2 ms blocked in total',
      '  fs.readFileSync at src/users.ts:14:18: 2 calls, 6.2 ms — 2 tests: "works" (test/a.test.ts), "works" (test/b.test.ts)',
    ])
  })

  test('the Markdown summary counts what the console summary counts: calls kept without a stack apart', () => {
    const unstacked = syncFinding({ test: { name: 'a' }, unstacked: true, frames: [], calls: 50, durationMs: 5 })
    const markdown = markdownSummary(jsonReport([syncFinding({ test: { name: 'a' }, calls: 100 }), unstacked], { cwd }))
    expect(markdown).toMatch(/^## loopcop\n\n\*\*100 blocking calls\*\* at 1 call site in 1 test, /)
    expect(markdown).not.toContain('(no stack)')
    expect(markdown).toContain('50 more calls not judged, not counted above (no stack of their own:')
  })

  test('a site whose calls a dependency made for the user’s line names the package', () => {
    const vite = (line: number) => ({ package: 'vite', file: join(cwd, 'node_modules/vite/dist/node/chunks/node.js'), line, column: 13 })
    const summary = formatSummary([syncFinding({ test: { name: 'a' }, offender: vite(2012) }), syncFinding({ test: { name: 'b' }, offender: vite(5308) })], cwd)
    expect(summary.split('\n')[1]).toBe('  fs.readFileSync at src/users.ts:14:18 (called by the package vite): 2 calls, 6.2 ms — 2 tests: "a", "b"')
    const mixed = formatSummary([syncFinding({ offender: vite(2012) }), syncFinding({ offender: { ...vite(1), package: 'pino' } })], cwd)
    expect(mixed.split('\n')[1]).toMatch(/^ {2}fs\.readFileSync at src\/users\.ts:14:18 \(called by the packages vite, pino\): 2 calls/)
  })

  test("a site whose calls packages made advises what the user can do: the package's async API, a worker, a `{ package }` rule (mkdist's trial)", () => {
    const dep = (pkg: string) => ({ package: pkg, file: join(cwd, `node_modules/${pkg}/index.js`), line: 7, column: 3 })
    const one = formatSummary([syncFinding({ offender: dep('typescript') })], cwd).split('\n')[2]
    expect(one).toBe("      use fs.promises.readFile — in typescript's code, not yours: use an async API of typescript where there is one, or run the work in a worker thread; `{ package: 'typescript' }` allows it")
    const two = formatSummary([syncFinding({ offender: dep('typescript') }), syncFinding({ offender: dep('vue-sfc-transformer') })], cwd).split('\n')[2]
    expect(two).toBe("      use fs.promises.readFile — in the code of typescript and vue-sfc-transformer, not yours: use an async API of theirs where there is one, or run the work in a worker thread; `{ package: 'typescript' }` and `{ package: 'vue-sfc-transformer' }` allow them")
    // The line also makes the call itself: the hint is for its own calls, the rule for the package's.
    const mixed = formatSummary([syncFinding({ offender: dep('mlly') }), syncFinding({ calls: 3 })], cwd).split('\n')[2]
    expect(mixed).toBe("      use fs.promises.readFile (for the calls the package made, `{ package: 'mlly' }` allows them)")
    // The user's own calls keep the bare alternative.
    expect(formatSummary([syncFinding({})], cwd).split('\n')[2]).toBe('      use fs.promises.readFile')
  })

  test('calls by the tests’ own code and calls not judged are counted apart, never as blocking calls', () => {
    const findings = [
      syncFinding({ test: { name: 'a' } }),
      syncFinding({ test: { name: 'a' }, allowed: true, allowedBy: 'test code', testCode: true, calls: 4 }),
      syncFinding({ test: { name: 'a' }, unstacked: true, frames: [], calls: 900, durationMs: 90 }),
    ]
    expect(formatSummary(findings, cwd).split('\n')).toEqual([
      'loopcop: 1 blocking call at 1 call site in 1 test, 3.1 ms blocked in total',
      '  fs.readFileSync at src/users.ts:14:18: 1 call, 3.1 ms — 1 test: "a"',
      '      use fs.promises.readFile',
      '  900 more calls not judged, not counted above (no stack of their own: past the first 100 calls of an operation in a test, once one of them is not allowed by a rule (calls a baseline knows are not), later calls are counted and timed only)',
      '  1 allowed finding not counted above (listed in a JSON report: set report.json or LOOPCOP_REPORT), from the tests\' own code: 4 blocking calls, allowed by the rule "test code"; testCode: \'check\' counts them',
    ])
    // Some allowed findings of another rule's: the tests' own are counted among them.
    const mixed = formatSummary([...findings, syncFinding({ test: { name: 'a' }, allowed: true, allowedBy: 'fs.existsSync' })], cwd).split('\n')
    expect(mixed.at(-1)).toBe('  2 allowed findings not counted above (listed in a JSON report: set report.json or LOOPCOP_REPORT), among them 1 finding (4 blocking calls) from the tests\' own code, allowed by the rule "test code"; testCode: \'check\' counts them')
    // Nothing else found, every allowed finding the tests' own: said once, not counted twice.
    const own = [1, 2].map((calls) => syncFinding({ test: { name: 'a' }, allowed: true, allowedBy: 'test code', testCode: true, calls }))
    expect(formatSummary(own, cwd)).toBe('loopcop: no blocking of the event loop found (2 allowed findings, all from the tests\' own code: 3 blocking calls, allowed by the rule "test code"; testCode: \'check\' counts them)')
    const report = jsonReport(findings, { cwd })
    expect(report.summary).toEqual({ findings: 1, tests: 1, blockedMs: 3.1, calls: 1, allowed: 1, testCodeCalls: 4, baselined: 0, assertions: 0, unstackedCalls: 900, unjudgedStalls: 0 })
    expect(report.findings.map((f) => [f.allowedBy, f.testCode, f.judged])).toEqual([
      [undefined, undefined, undefined],
      ['test code', true, undefined],
      [undefined, undefined, false],
    ])
  })

  test('points to the JSON report the run writes, where the allowed findings are listed', () => {
    const findings = [syncFinding(), syncFinding({ allowed: true, allowedBy: '{"package":"pino"}' })]
    expect(formatSummary(findings, cwd, 'out/loopcop.json')).toContain('  1 allowed finding not counted above (listed in the JSON report, out/loopcop.json)')
    expect(formatSummary(findings, cwd, join(dir, 'r.json'))).toContain(`(listed in the JSON report, ${join(dir, 'r.json')})`)
  })

  test('reportRun prints the summary and annotations and writes the JSON report', () => {
    const printed: string[] = []
    const json = join(dir, 'run', 'report.json')
    const result = reportRun([syncFinding()], { json, github: true, cwd, write: (t) => printed.push(t) })
    expect(result.jsonPath).toBe(json)
    expect(JSON.parse(fs.readFileSync(json, 'utf8'))).toMatchObject({ version: 1, summary: { findings: 1 } })
    expect(printed[0]).toBe(result.summary)
    expect(printed[1]).toMatch(/^::error file=src\/users\.ts,line=14,col=18,/)
    expect(printed[2]).toBe(`loopcop: JSON report written to ${json}`)
  })

  test('reportRun prints and writes the same whatever order the workers’ findings arrived in: by test file, each file’s in the order found', () => {
    const inFile = (file: string, name: string, args: string): SyncIoFinding => syncFinding({ test: { name, file: join(cwd, 'test', file) }, args })
    const a1 = inFile('a.test.ts', 'a1', 'a1.json')
    const a2 = inFile('a.test.ts', 'a2', 'a2.json')
    const b1 = inFile('b.test.ts', 'b1', 'b1.json')
    const b2 = inFile('b.test.ts', 'b2', 'b2.json')
    const noTest = syncFinding({ test: undefined, args: 'none.json' })
    const run = (findings: Finding[], name: string): { printed: string[]; report: { findings: { test?: { name: string } }[] } } => {
      const printed: string[] = []
      const json = join(dir, 'order', `${name}.json`)
      reportRun(findings, { json, github: true, cwd, write: (t) => printed.push(t) })
      return { printed: printed.slice(0, -1), report: JSON.parse(fs.readFileSync(json, 'utf8')) as { findings: { test?: { name: string } }[] } }
    }
    // The order a spool read by process id gives when file b's worker had the lower id, and another.
    const first = run([noTest, b1, b2, a1, a2], 'first')
    const second = run([b1, a1, noTest, b2, a2], 'second')
    expect(first.printed).toEqual(second.printed)
    expect(first.printed[0]).toContain('4 tests: "a1", "a2", "b1", …')
    expect(first.printed.at(-1)).toContain('fs.readFileSync("a1.json")')
    expect(first.report.findings.map((f) => f.test?.name)).toEqual(['a1', 'a2', 'b1', 'b2', undefined])
    expect(second.report.findings).toEqual(first.report.findings)
  })
})

describe('the spool (findings from worker processes)', () => {
  const saved = process.env[SPOOL_ENV]
  afterEach(() => {
    if (saved === undefined) delete process.env[SPOOL_ENV]
    else process.env[SPOOL_ENV] = saved
  })

  test('round-trips findings, and its own I/O is never a finding', async () => {
    const spool = openSpool()
    expect(process.env[SPOOL_ENV]).toBe(spool)
    const findings = [syncFinding(), stallFinding()]
    const inside = await detect(() => spoolFindings(findings))
    expect(inside.value).toBe(true)
    expect(inside.findings).toEqual([])
    expect(readSpool(spool)).toEqual({ findings, damaged: 0, checked: false })
    closeSpool(spool)
    expect(fs.existsSync(spool)).toBe(false)
    expect(process.env[SPOOL_ENV]).toBeUndefined()
    expect(spoolFindings(findings)).toBe(false)
  })

  test('a damaged line (a worker stopped mid-write) is counted as lost; every other finding is kept', () => {
    const spool = openSpool()
    const findings = [syncFinding(), stallFinding()]
    spoolFindings([findings[0]!])
    fs.appendFileSync(`${spool}/other-worker.jsonl`, `${JSON.stringify(findings[1]).slice(0, 40)}\n{"not":"a finding"}\n`)
    spoolFindings([findings[1]!])
    expect(readSpool(spool)).toEqual({ findings, damaged: 2, checked: false })
    closeSpool(spool)
  })
})

describe("the run's printed call sites (warn mode says each once a run, not once a process)", () => {
  const saved = { warned: process.env[WARNED_ENV], spool: process.env[SPOOL_ENV] }
  afterEach(() => {
    for (const [name, value] of [
      [WARNED_ENV, saved.warned],
      [SPOOL_ENV, saved.spool],
    ] as const) {
      if (value === undefined) delete process.env[name]
      else process.env[name] = value
    }
  })
  let sites = 0
  const site = (): string => `fs.readFileSync\u0000src/site-${++sites}.ts:1:1`

  test('without a folder, each process says a site once', () => {
    delete process.env[WARNED_ENV]
    const s = site()
    expect(firstWarning(s)).toBe(true)
    expect(firstWarning(s)).toBe(false)
  })

  test('with the run’s folder, a site another process said is not said again; the marks are never findings', async () => {
    const dir = openWarned()
    expect(process.env[WARNED_ENV]).toBe(dir)
    const [elsewhere, fresh] = [site(), site()]
    // Another process of the run said `elsewhere` first.
    expect(claimWarning(elsewhere, { [WARNED_ENV]: dir })).toBe(true)
    const inside = await detect(() => [firstWarning(elsewhere), firstWarning(fresh), firstWarning(fresh)])
    expect(inside.value).toEqual([false, true, false])
    expect(inside.findings).toEqual([])
    expect(fs.readdirSync(dir)).toHaveLength(2)
    // The same site claimed by yet another process: already said.
    expect(claimWarning(fresh, { [WARNED_ENV]: dir })).toBe(false)
    closeWarned(dir)
    expect(fs.existsSync(dir)).toBe(false)
    expect(process.env[WARNED_ENV]).toBeUndefined()
  })

  test('a folder its run removed: the site is said (a line twice costs less than a site never said), and the folder stays removed', () => {
    const dir = openWarned()
    closeWarned(dir)
    process.env[WARNED_ENV] = dir
    expect(firstWarning(site())).toBe(true)
    expect(fs.existsSync(dir)).toBe(false)
  })

  test('recording a run makes the folder in its spool for the workers, and removes it at the end; a new run says every site again', () => {
    delete process.env[WARNED_ENV]
    const said = site()
    expect(firstWarning(said)).toBe(true)
    expect(firstWarning(said)).toBe(false)
    startRun()
    expect(firstWarning(said)).toBe(true)
    const spool = process.env[SPOOL_ENV]
    expect(spool).toBeDefined()
    expect(process.env[WARNED_ENV]).toBe(join(spool!, 'warned'))
    expect(fs.readdirSync(join(spool!, 'warned'))).toHaveLength(1)
    finishRun()
    expect(fs.existsSync(spool!)).toBe(false)
    expect(process.env[WARNED_ENV]).toBeUndefined()
    expect(process.env[SPOOL_ENV]).toBeUndefined()
  })
})
