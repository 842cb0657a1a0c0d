// Reading captured stacks (src/stack): loopcop's own formatter is swapped in for the read only and
// put back whatever happens; positions are source-mapped through the formatter installed, each once.
import vm from 'node:vm'
import { afterEach, describe, expect, test } from 'vitest'
import { readCallSites } from '../../src/stack/callsites.js'
import { Stacks } from '../../src/stack/capture.js'
import { Guard } from '../../src/runtime/guard.js'
import { throughPrepareStackTrace } from '../../src/stall/call-sites.js'

const installed = Error.prepareStackTrace
afterEach(() => {
  Error.prepareStackTrace = installed
})

function here(stacks: Stacks): ReturnType<Stacks['capture']> {
  return stacks.capture(10, stacks.capture)
}

describe('readCallSites()', () => {
  test('gives V8 call sites, and leaves the installed Error.prepareStackTrace in place', () => {
    const mine = (): string => 'mine'
    Error.prepareStackTrace = mine
    const holder = {}
    Error.captureStackTrace(holder)
    const sites = readCallSites(holder)
    expect(Array.isArray(sites)).toBe(true)
    expect((sites as NodeJS.CallSite[])[0]?.getFileName()).toContain('stack-read.test.ts')
    expect(Error.prepareStackTrace).toBe(mine)
  })

  test('puts the installed Error.prepareStackTrace back when reading the stack throws', () => {
    const mine = (): string => 'mine'
    Error.prepareStackTrace = mine
    const holder = {
      get stack(): never {
        throw new Error('a stack that cannot be read')
      },
    }
    expect(() => readCallSites(holder)).toThrow('a stack that cannot be read')
    expect(Error.prepareStackTrace).toBe(mine)
  })

  test('gives the text of a holder formatted before (read by someone else first)', () => {
    const holder = {}
    Error.captureStackTrace(holder)
    const text = (holder as { stack: unknown }).stack
    expect(readCallSites(holder)).toBe(text)
  })
})

describe('Stacks', () => {
  test('a script with an empty name (what the inspector evaluates, like the stall probe) is named by its sourceURL, as V8 prints it, whatever the formatter', () => {
    // Node's own formatter is bypassed for mapping (it maps through nothing but Node's source maps):
    // the frame must still carry the name V8's formatter shows, or the stall probe's frame would pass
    // for the stalled code's.
    const probe = vm.runInThisContext('(function probe(s) { return s.capture(10, s.capture) })\n//# sourceURL=loopcop:a-probe', { filename: '' }) as (s: Stacks) => ReturnType<Stacks['capture']>
    for (const formatter of [undefined, (error: Error, sites: NodeJS.CallSite[]): string => `${error.name}\n${sites.map((s) => `    at ${String(s)}`).join('\n')}`]) {
      if (formatter === undefined) Reflect.deleteProperty(Error, 'prepareStackTrace')
      else Error.prepareStackTrace = formatter
      const stacks = new Stacks(new Guard())
      const raw = probe(stacks)
      expect(stacks.rawFrames(raw)[0]).toMatchObject({ fn: 'probe', file: 'loopcop:a-probe' })
      expect(stacks.read(raw)[0]).toMatchObject({ fn: 'probe', file: 'loopcop:a-probe', line: 1 })
    }
  })

  test("the runner's formatter runs once per position, on that call site alone, never per call; its mapped positions are what is read", () => {
    let runs = 0
    const siteCounts: number[] = []
    Error.prepareStackTrace = (error: Error, sites: NodeJS.CallSite[]): string => {
      runs++
      siteCounts.push(sites.length)
      // A "source map" that moves every position 1,000 lines down.
      return `${error.name}: ${error.message}\n${sites.map((s) => `    at ${s.getFunctionName() ?? 'x'} (${s.getFileName()}:${(s.getLineNumber() ?? 0) + 1000}:${s.getColumnNumber()})`).join('\n')}`
    }
    const stacks = new Stacks(new Guard())
    const raws = Array.from({ length: 50 }, () => here(stacks))
    const keys = new Set(raws.map((r) => stacks.key(r)))
    expect(runs).toBe(0) // keys need no formatting
    expect(keys.size).toBe(1)
    const first = stacks.read(raws[0]!)
    const perStack = runs
    // Every other holder of the same stack: no formatting at all.
    const frames = [first, ...raws.slice(1).map((r) => stacks.read(r))]
    Error.prepareStackTrace = installed
    expect(perStack).toBeGreaterThan(0)
    expect(siteCounts.every((n) => n === 1)).toBe(true)
    expect(frames[0]?.[0]).toMatchObject({ fn: 'here', line: expect.any(Number) as number })
    expect(frames[0]?.[0]?.line).toBeGreaterThan(1000)
    expect(runs).toBe(perStack)
    expect(frames.every((f) => f === frames[0])).toBe(true)
  })

  test('a formatter that throws on a lone call site leaves the generated position, and stays installed', () => {
    const failing = (): never => {
      throw new Error('formatter failed')
    }
    Error.prepareStackTrace = failing
    const stacks = new Stacks(new Guard())
    const frames = stacks.read(here(stacks))
    const after = Error.prepareStackTrace
    Error.prepareStackTrace = installed
    expect(after).toBe(failing)
    expect(frames[0]?.fn).toBe('here')
    expect(frames[0]?.file).toContain('stack-read.test.ts')
  })
})

describe('generated positions, for telling whose code a frame is', () => {
  test("rawFrames() and holdsCaller() never run the runner's formatter nor ask a line; caller() maps the caller's position alone", () => {
    const mapped: string[] = []
    Error.prepareStackTrace = (error: Error, sites: NodeJS.CallSite[]): string => {
      mapped.push(...sites.map((s) => `${s.getFunctionName() ?? '?'}:${s.getLineNumber()}`))
      return `${error.name}: ${error.message}\n${sites.map((s) => `    at ${s.getFunctionName() ?? 'x'} (${s.getFileName()}:${(s.getLineNumber() ?? 0) + 1000}:${s.getColumnNumber()})`).join('\n')}`
    }
    const stacks = new Stacks(new Guard())
    const raw = here(stacks)
    const frames = stacks.rawFrames(raw)
    const holds = stacks.holdsCaller(raw, 10)
    const afterRaw = mapped.length
    const caller = stacks.caller(raw)
    const afterCaller = [...mapped]
    Error.prepareStackTrace = installed
    // Whose code each frame is: file and function, no line (V8 would scan the script for line ends).
    expect(frames[0]).toMatchObject({ fn: 'here', line: 0, column: 0 })
    expect(frames[0]!.file).toContain('stack-read.test.ts')
    expect(holds).toBe(true)
    expect(afterRaw).toBe(0)
    // This test file is the user's code: the caller is its first frame, mapped, and only it was.
    expect(caller).toMatchObject({ fn: 'here', file: frames[0]!.file })
    expect(caller!.line).toBeGreaterThan(1000)
    expect(afterCaller).toEqual([`here:${caller!.line - 1000}`])
  })

  test('reported() of a recursive stack (one position several times) shows what read() shows, each position mapped', () => {
    Error.prepareStackTrace = (error: Error, sites: NodeJS.CallSite[]): string =>
      `${error.name}: ${error.message}\n${sites.map((s) => `    at ${s.getFunctionName() ?? 'x'} (${s.getFileName()}:${(s.getLineNumber() ?? 0) + 1000}:${s.getColumnNumber()})`).join('\n')}`
    // Two detectors' worth of stacks: each reads its own capture, so no cache of one serves the other.
    const partly = new Stacks(new Guard())
    const fully = new Stacks(new Guard())
    const recurse = (n: number, stacks: Stacks): ReturnType<Stacks['capture']> => (n === 0 ? stacks.capture(20, stacks.capture) : recurse(n - 1, stacks))
    const shownRaw = recurse(15, partly)
    const readRaw = recurse(15, fully)
    const shown = partly.reported(shownRaw, 10)
    const caller = partly.caller(shownRaw)
    const all = fully.read(readRaw)
    Error.prepareStackTrace = installed
    // 20 frames captured, 10 shown: the part that is mapped position by position, not the whole read.
    expect(all).toHaveLength(20)
    expect(shown).toEqual(all.slice(0, 10))
    // The call was made at one position, the recursion at another, repeated: each mapped (+1000 lines).
    expect(shown[0]!.line).toBeGreaterThan(1000)
    expect(new Set(shown.slice(1).map((f) => `${f.line}:${f.column}`)).size).toBe(1)
    expect(`${shown[1]!.line}:${shown[1]!.column}`).not.toBe(`${shown[0]!.line}:${shown[0]!.column}`)
    expect(caller).toEqual(shown[0])
  })
})

describe('positions', () => {
  test('two calls on one line are two positions, one call made twice is one', () => {
    const stacks = new Stacks(new Guard())
    const at = (): ReturnType<Stacks['capture']> => stacks.capture(1, at)
    const pair = [at(), at()] // one line, two columns
    const loop = [0, 1].map(() => at())
    expect(stacks.key(pair[0]!)).not.toBe(stacks.key(pair[1]!))
    expect(stacks.key(loop[0]!)).toBe(stacks.key(loop[1]!))
    const [a, b] = pair.map((r) => stacks.read(r)[0]!)
    expect(a!.line).toBe(b!.line)
    expect(a!.column).toBeLessThan(b!.column)
  })
})

describe('sampled frames (stall/call-sites.ts), through the same source-mapping path', () => {
  test("mapped by the runner's formatter given them as call sites, with its function names where it writes one", () => {
    const seen: string[] = []
    Error.prepareStackTrace = (_error: Error, sites: NodeJS.CallSite[]): string => {
      seen.push(...sites.map((s) => `${s.getFileName()}:${s.getLineNumber()}:${s.getColumnNumber()}`))
      return `Error\n${sites.map((s) => (s.getFunctionName() === 'anonymous' ? `    at /src/b.ts:${(s.getLineNumber() ?? 0) + 1}:1` : `    at mappedName (/src/a.ts:${(s.getLineNumber() ?? 0) + 1}:${s.getColumnNumber()})`)).join('\n')}`
    }
    const frames = throughPrepareStackTrace(
      [
        { fn: 'sampled', file: '/dist/a.js', line: 10, column: 5 },
        { fn: 'anonymous', file: '/dist/b.js', line: 3, column: 2 },
      ],
      new Guard(),
    )
    Error.prepareStackTrace = installed
    expect(seen).toEqual(['/dist/a.js:10:5', '/dist/b.js:3:2'])
    expect(frames).toEqual([
      { fn: 'mappedName', file: '/src/a.ts', line: 11, column: 5 },
      { fn: 'anonymous', file: '/src/b.ts', line: 4, column: 1 },
    ])
  })

  test('left as sampled where no formatter is installed or it fails', () => {
    const sampled = [{ fn: 'sampled', file: '/dist/a.js', line: 10, column: 5 }]
    Error.prepareStackTrace = undefined as unknown as typeof installed
    expect(throughPrepareStackTrace(sampled, new Guard())).toEqual(sampled)
    Error.prepareStackTrace = (): never => {
      throw new Error('formatter failed')
    }
    expect(throughPrepareStackTrace(sampled, new Guard())).toEqual(sampled)
  })
})

describe("frames that have no source map are never handed to the runner's formatter", () => {
  test("Node's own code and the runners' own packages keep their positions; the user's files and other dependencies are mapped", () => {
    const seen: string[] = []
    Error.prepareStackTrace = (_error: Error, sites: NodeJS.CallSite[]): string => {
      seen.push(...sites.map((s) => String(s.getFileName())))
      return `Error\n${sites.map((s) => `    at mapped (${s.getFileName()}.ts:1:1)`).join('\n')}`
    }
    const nm = '/p/node_modules'
    const runners = [
      'node:internal/modules/cjs/loader',
      `${nm}/vitest/dist/chunks/x.js`,
      `${nm}/@vitest/runner/dist/chunk-artifact.js`,
      `${nm}/vite/dist/node/module-runner.js`,
      `${nm}/jest-circus/build/run.js`,
      `${nm}/@jest/core/build/index.js`,
      `${nm}/mocha/lib/runner.js`,
      `${nm}/tinypool/dist/entry/process.js`,
    ]
    const mapped = ['/p/dist/app.js', `${nm}/some-dep/dist/index.js`, `${nm}/vitest-plugin-x/index.js`, `${nm}/@scope/jest-helper/index.js`]
    const frames = [...runners, ...mapped].map((file) => ({ fn: 'f', file, line: 3, column: 4 }))
    const out = throughPrepareStackTrace(frames, new Guard())
    Error.prepareStackTrace = installed
    expect(seen).toEqual(mapped)
    expect(out.slice(0, runners.length)).toEqual(frames.slice(0, runners.length))
    expect(out.slice(runners.length).map((f) => f.file)).toEqual(mapped.map((f) => `${f}.ts`))
  })
})
