// How deep a kept call's stack is captured (src/accounting/calls.ts, Settings.shallowDepth): the
// first `traceDepth` frames when no rule looks past the caller frame and they show it, else
// `traceDepth` + 10. What is judged and reported must not change with it.
import fs from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, test, vi } from 'vitest'
import { builtinRules, builtinsDecideFirst, compileRule, testCodeRule } from '../../src/accounting/allow.js'
import { detect, type SyncIoFinding } from '../../src/index.js'
import { defaultsWithoutStalls, outcomeOf, revokedProxy, tempDir } from './support.js'

defaultsWithoutStalls()
const thisFile = fileURLToPath(import.meta.url)
const dir = tempDir('loopcop-depth-')
const write = (file: string, text: string): void => {
  fs.mkdirSync(join(dir, file, '..'), { recursive: true })
  fs.writeFileSync(join(dir, file), text)
}
// A dependency that blocks 12 frames deep inside itself, one that calls back 12 frames deep, and
// one that calls that one.
write('node_modules/deepdep/index.cjs', "const fs = require('node:fs')\nfunction down(n) { return n === 0 ? fs.existsSync(__filename) : down(n - 1) }\nexports.load = () => down(12)\n")
write('node_modules/rec/index.cjs', 'function down(n, fn) { return n === 0 ? fn() : down(n - 1, fn) }\nexports.run = (fn) => down(12, fn)\n')
write('node_modules/outer/index.cjs', "const rec = require('../rec/index.cjs')\nexports.run = (fn) => rec.run(fn)\n")
// A package a built-in rule allows (the "mocha" rule: the runner's own machinery) blocking 12 frames
// deep inside itself: its first `traceDepth` frames show no caller frame.
write('node_modules/mocha/index.cjs', "const fs = require('node:fs')\nfunction down(n, path = __filename) { return n === 0 ? fs.existsSync(path) : down(n - 1, path) }\nexports.load = () => down(12)\nexports.exists = (path) => down(12, path)\n")
const load = createRequire(thisFile)
const deepdep = load(join(dir, 'node_modules/deepdep/index.cjs')) as { load: () => boolean }
const outer = load(join(dir, 'node_modules/outer/index.cjs')) as { run: (fn: () => unknown) => unknown }
const runner = load(join(dir, 'node_modules/mocha/index.cjs')) as { load: () => boolean; exists: (path: unknown) => boolean }

function site(): boolean {
  return fs.existsSync(dir)
}

const only = (findings: readonly unknown[]): SyncIoFinding => {
  expect(findings).toHaveLength(1)
  return findings[0] as SyncIoFinding
}

describe('capture depth', () => {
  test("a call a dependency makes deep inside itself still names the user's frame, past traceDepth", async () => {
    const f = only((await detect(() => deepdep.load())).findings)
    expect(f.location?.file).toBe(thisFile)
    expect(f.offender?.package).toBe('deepdep')
    expect(f.frames).toHaveLength(11) // traceDepth 10, and the caller
  })

  test('a `within` rule still sees a frame deeper than traceDepth when the caller frame is on top', async () => {
    const allowed = only((await detect(() => outer.run(site), { allow: [{ within: '**/node_modules/outer/**' }] })).findings)
    expect(allowed.allowed).toBe(true)
    expect(allowed.allowedBy).toBe('{"within":"**/node_modules/outer/**"}')
    const byPackage = only((await detect(() => outer.run(site), { allow: [{ package: 'outer' }] })).findings)
    expect(byPackage.allowed).toBe(true)
    // Each shows the frame its rule matched, 15 frames down, after its first ten (the caller first among them).
    const outerFrame = join(dir, 'node_modules/outer/index.cjs')
    for (const f of [allowed, byPackage]) {
      expect(f.frames).toHaveLength(11)
      expect(f.frames[0]?.fn).toBe('site')
      expect(f.frames.slice(1, 10).map((frame) => frame.fn)).toEqual(Array(9).fill('down'))
      expect(f.frames[10]?.file).toBe(outerFrame)
    }
    // Without a rule, the same call shows its first ten frames only.
    expect(only((await detect(() => outer.run(site))).findings).frames.map((frame) => frame.file)).not.toContain(outerFrame)
  })

  test('an allowed call shows the frame its rule matched past traceDepth, in stack order before a deeper caller frame', async () => {
    // traceDepth 5: the capture (traceDepth + 10 frames) reaches `load` and the caller frame, 14 and 15 frames down.
    for (const rule of [{ within: '**/node_modules/deepdep/**', function: '*load' }, { package: 'deepdep' }]) {
      const f = only((await detect(() => deepdep.load(), { traceDepth: 5, allow: [rule] })).findings)
      expect(f.allowedBy).toBe(JSON.stringify(rule))
      // `down` 13 times, then `load`, then the caller: the package rule matches the nearest frame, the first `down`, already shown.
      const fns = f.frames.slice(0, -1).map((frame) => frame.fn)
      const first = Array(5).fill('down')
      expect(fns).toEqual('function' in rule ? [...first, 'Object.exports.load'] : first)
      expect(f.frames.at(-1)?.file).toBe(thisFile)
    }
  })

  test('with no rule looking past the caller, findings name the same caller and offender as with the deep capture, and its first frames', async () => {
    // A rule that never matches but looks at every frame forces the deep capture.
    const deep = { allow: [{ within: '**/nowhere/**' }] }
    const inPromise = (): Promise<boolean> => new Promise((resolve) => resolve(site())) // a positionless frame among the first
    for (const traceDepth of [3, 10]) {
      for (const call of [() => outer.run(site), inPromise, () => deepdep.load()]) {
        // Both from one line, so that the frames below detect() are the same too.
        const found: SyncIoFinding[] = []
        for (const options of [{ traceDepth }, { traceDepth, ...deep }]) found.push(only((await detect(call, options)).findings))
        const [shallow, full] = found as [SyncIoFinding, SyncIoFinding]
        // The first traceDepth frames captured, loopcop's own and positionless ones left out: at most as many.
        expect(shallow.frames.length).toBeLessThanOrEqual(full.frames.length)
        expect(shallow.frames.length).toBeGreaterThanOrEqual(Math.min(2, full.frames.length))
        expect(full.frames.slice(0, shallow.frames.length)).toEqual(shallow.frames)
        expect(shallow.location).toEqual(full.location)
        expect(shallow.offender).toEqual(full.offender)
        expect(shallow.allowed).toBe(false)
      }
    }
  })
})

/** The depths loopcop captured `existsSync`'s stack at while `fn` ran (its wrapper keeps the name). */
async function capturedDepths(fn: () => unknown, options?: Parameters<typeof detect>[1]): Promise<{ depths: number[]; findings: readonly unknown[] }> {
  const capture = Error.captureStackTrace
  const depths: number[] = []
  Error.captureStackTrace = function (target: object, above?: Function) {
    if (above?.name === 'existsSync') depths.push(Error.stackTraceLimit)
    capture.call(Error, target, above)
  }
  try {
    const { findings } = await detect(fn, options)
    return { depths, findings }
  } finally {
    Error.captureStackTrace = capture
  }
}

describe('a call a built-in rule allows from its first frames', () => {
  test('is captured once, `traceDepth` deep, when those frames show no caller: it is never reported, whatever lies deeper', async () => {
    const { depths, findings } = await capturedDepths(() => runner.load())
    expect(depths).toEqual([10])
    expect(findings).toEqual([])
  })

  test('is captured once too where a user rule that looks at the stack would allow it: the built-in rules decide first', async () => {
    // A `caller` rule matching this file: before built-in rules were tried first, it came first and
    // could decide from the caller frame, so the call was captured deeper and reported as allowed by it.
    const { depths, findings } = await capturedDepths(() => runner.load(), { allow: [{ caller: '**/capture-depth.test.ts' }] })
    expect(depths).toEqual([10])
    expect(findings).toEqual([])
  })

  test('a call no built-in rule allows is still captured deeper, to find its caller frame', async () => {
    const { depths, findings } = await capturedDepths(() => deepdep.load())
    expect(depths).toEqual([10, 20])
    expect(only(findings).location?.file).toBe(thisFile)
  })

  test('an argument loopcop cannot summarize: the call keeps its own outcome, and loopcop says nothing', async () => {
    // A revoked proxy as the path: reading it throws, here in Node's own check and in loopcop's summary.
    const proxy = revokedProxy()
    const bare = outcomeOf(() => runner.exists(proxy))
    let inside: unknown
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    try {
      await detect(() => {
        inside = outcomeOf(() => runner.exists(proxy))
      })
      // The argument is the caller's to pass: not loopcop's failure, nothing to report.
      expect(err.mock.calls.map(([chunk]) => String(chunk)).join('')).not.toContain('loopcop: internal error')
    } finally {
      err.mockRestore()
    }
    expect(inside).toEqual(bare)
  })

  test('which rule lists let the built-in rules decide first: every list that has them (they are tried first)', () => {
    const builtins = builtinRules(false)
    const testCode = testCodeRule(() => false)
    expect(builtinsDecideFirst([...builtins, testCode])).toBe(true)
    expect(builtinsDecideFirst([compileRule('fs.readFileSync'), compileRule({ path: '**/*.json' }), ...builtins, testCode])).toBe(true)
    for (const rule of [{ caller: 'src/**' }, { within: '**/lib/**' }, { package: 'pino' }, { function: 'load*' }]) expect(builtinsDecideFirst([compileRule(rule), ...builtins, testCode])).toBe(true)
    expect(builtinsDecideFirst([testCode])).toBe(false)
  })
})

// The scope's own `AsyncLocalStorage.run` (Node's frame, called by loopcop) is never a frame of a
// finding. A capture cut at its depth right below it has no caller frame to tell whose run it is:
// it is taken for the scope's.
describe("the scope's AsyncLocalStorage.run at the end of a capture cut at its depth", () => {
  for (const traceDepth of [2, 3, 4]) {
    test(`traceDepth ${traceDepth}: no frame of it`, async () => {
      const { findings } = await detect(() => site(), { mode: 'warn', traceDepth })
      const stack = only(findings).frames.map((frame) => `${frame.fn ?? ''} (${frame.file})`)
      expect(stack[0]).toMatch(/^site \(/)
      expect(stack.filter((frame) => frame.includes('AsyncLocalStorage'))).toEqual([])
    })
  }
})
