// What a code position stands for (src/stack/capture.ts, `Stacks.#position`): stacks are keyed and
// their frames remembered by position, so a position must fix everything a frame says — its file,
// line and column, and the function name V8 gives, which also depends on the call's receiver and
// on `new`. And a file of the user's own compiled again from a changed source under the same name
// (Mocha's and Jest's watch modes rerun in the same process after an edit) is another script.
import fs from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { runInThisContext } from 'node:vm'
import { describe, expect, test } from 'vitest'
import { detectSync, type SyncIoFinding } from '../../src/index.js'
import { defaultsWithoutStalls, syncIo, tempDir } from './support.js'

defaultsWithoutStalls()
const require = createRequire(import.meta.url)
const dir = tempDir('loopcop-positions-')

/** The one sync-io finding of a `detectSync` run. */
function only(fn: () => unknown, options?: Parameters<typeof detectSync>[1]): SyncIoFinding {
  const found = syncIo(detectSync(fn, options).findings)
  expect(found).toHaveLength(1)
  return found[0] as SyncIoFinding
}

/** The frame V8 itself writes for the first call below `fn`'s throw (its `stack` line, trimmed). */
function v8Line(fn: (thrower: { statSync(): never }) => unknown): string {
  try {
    fn({
      statSync() {
        throw new Error('probe')
      },
    })
  } catch (error) {
    return ((error as Error).stack ?? '').split('\n')[2]?.trim() ?? ''
  }
  throw new Error('the probe did not throw')
}

// One inherited method, called on instances of two classes: V8 names it by the receiver's class.
class Base {
  load(): fs.Stats {
    return fs.statSync(dir)
  }
}
class Legacy extends Base {}
class Modern extends Base {}

describe('a position is named as V8 names each call', () => {
  for (const order of [
    [Legacy, Modern],
    [Modern, Legacy],
  ] as const) {
    test(`an inherited method called on two classes' instances (${order[0].name} first): each call its own name, and a \`function\` rule tells them apart`, () => {
      const rule = { allow: [{ function: 'Legacy.load' }] }
      const seen = order.map((C) => only(() => new C().load(), rule))
      for (const [i, C] of order.entries()) {
        const f = seen[i] as SyncIoFinding
        expect(f.location?.function).toBe(`${C.name}.load`)
        expect(f.allowed).toBe(C === Legacy)
      }
    })
  }

  test('one function called with and without `new`: `new Fn` and `Fn`, as V8 writes them', () => {
    const make = runInThisContext('(function (fs, dir) { return function Widget() { fs.statSync(dir) } })', { filename: join(dir, 'widget.js') }) as (f: typeof fs, d: string) => new () => unknown
    const Widget = make(fs, dir)
    const constructed = only(() => new Widget())
    const called = only(() => (Widget as unknown as () => void)())
    expect(constructed.location?.function).toBe('new Widget')
    expect(called.location?.function).toBe('Widget')
    expect(called.location?.line).toBe(constructed.location?.line)
  })
  for (const first of ['existsSync', 'statSync']) {
    test(`closures of one function's code named apart (sinon's proxies: Object.defineProperty(fn, 'name', …); ${first} first): each call its own name, as V8 writes it, and a \`function\` rule tells them apart`, () => {
      // One line of the user's own code, two closures of it named for what they stand in for.
      const make = runInThisContext('(function (fs, dir) { return function (name) { const proxy = function () { return fs.statSync(dir) }; Object.defineProperty(proxy, "name", { value: name }); return proxy } })', {
        filename: join(dir, `proxies-${first}.js`),
      }) as (f: unknown, d: string) => (name: string) => () => unknown
      const named = make(fs, dir)
      const proxies = { existsSync: named('existsSync'), statSync: named('statSync') }
      const order = first === 'existsSync' ? (['existsSync', 'statSync'] as const) : (['statSync', 'existsSync'] as const)
      for (const name of [...order, ...order]) {
        const f = only(() => proxies[name](), { allow: [{ function: 'Object.statSync' }] })
        const asV8 = v8Line((thrower) => ({ [name]: make(thrower, dir)(name) })[name]?.())
        expect(`at ${f.location?.function} (${f.location?.file}:${f.location?.line}:${f.location?.column})`).toBe(asV8)
        expect(f.location?.function).toBe(`Object.${name}`)
        expect(f.allowed).toBe(name === 'statSync')
      }
    })
  }
})

describe('a file compiled again from another source is another script', () => {
  test('the same file name, two sources: each finding has its own line, column and function, as V8 says', () => {
    const file = join(dir, 'helper.js')
    // The blocking call at the same offset in both, on another line and in another function.
    const first = runInThisContext('(function first(fs, dir) {\nreturn fs.statSync(dir) })', { filename: file }) as (f: unknown, d: string) => unknown
    const second = runInThisContext('(function again(fs, dir) { return fs.statSync(dir) })', { filename: file }) as (f: unknown, d: string) => unknown
    for (const fn of [first, second, first]) {
      expect(fn.toString().indexOf('fs.statSync')).toBe(first.toString().indexOf('fs.statSync'))
      const f = only(() => fn(fs, dir))
      const expected = v8Line((thrower) => fn(thrower, dir))
      expect(`at ${f.location?.function} (${f.location?.file}:${f.location?.line}:${f.location?.column})`).toBe(expected)
    }
  })

  test('a module loaded again after an edit (a watch mode clearing the require cache): its findings name the edited lines', () => {
    const file = join(dir, 'lib.cjs')
    // Written and let go of before each detect(): loading it again inside is module loading (a built-in rule).
    const edit = (source: string): void => {
      fs.writeFileSync(file, `const fs = require('node:fs')\nexports.run = ${source}\n`)
      delete require.cache[file]
    }
    const run = (): unknown => (require(file) as { run: () => unknown }).run()
    const call = `return fs.statSync(${JSON.stringify(dir)}) }`
    // The edit moves the call up a line, at the same offset, into a function of another name.
    const before = `function first() {\n${call}`
    const after = `function again() { ${call}`
    expect(after.indexOf('fs.statSync')).toBe(before.indexOf('fs.statSync'))
    edit(before)
    expect(only(run).location).toMatchObject({ file, line: 3, function: 'Object.first [as run]' })
    edit(after)
    expect(only(run).location).toMatchObject({ file, line: 2, function: 'Object.again [as run]' })
    edit(before)
    expect(only(run).location).toMatchObject({ file, line: 3, function: 'Object.first [as run]' })
  })
})

// Vite's module runner (Vitest) defines each export as a getter on the module's namespace object
// (`Symbol.toStringTag` "Module"): a loop calling `ns.addMinutes` had its stall caught in the getter,
// `Module.addMinutes` at a JSDoc line (date-fns). The getter is no one's frame.
describe("a module runner's export getters", () => {
  /** A namespace object as Vite's module runner makes it, with `addMinutes` behind a getter of the given kind. */
  function namespace(getter: 'anonymous' | 'get', target: () => unknown): Record<string, () => unknown> {
    const ns = Object.create(null) as Record<string, () => unknown>
    Object.defineProperty(ns, Symbol.toStringTag, { value: 'Module' })
    // Vite 7 and 8: `__vite_ssr_exportName__(name, getter)` defines it; Vite 6 wrote `get(){ … }`.
    const exportName = (name: string, get: () => unknown): void => void Object.defineProperty(ns, name, { enumerable: true, configurable: true, get })
    // Work done in the getter stands for a stall caught there (a getter only reads a binding).
    if (getter === 'anonymous')
      exportName('addMinutes', () => {
        fs.statSync(dir)
        return target
      })
    else
      Object.defineProperty(ns, 'addMinutes', {
        enumerable: true,
        configurable: true,
        get() {
          fs.statSync(dir)
          return target
        },
      })
    return ns
  }

  test.each(['anonymous', 'get'] as const)('%s: its frame is left out; the frame that read the export is where it happened', (getter) => {
    const ns = namespace(getter, () => 1)
    const reader = (): unknown => ns.addMinutes
    const f = only(() => reader())
    expect(f.frames.map((frame) => frame.fn)).not.toContain('Module.addMinutes')
    expect(f.frames.some((frame) => frame.fn?.startsWith('Module.get') === true)).toBe(false)
    expect(f.location?.function).toBe('reader')
  })

  test("a function called through a namespace (`ns.readPackageJson()`) keeps its frame: only the getters are left out", () => {
    const ns = namespace('anonymous', () => 1)
    Object.defineProperty(ns, 'readConfig', { enumerable: true, value: function readConfig() { return fs.statSync(dir) } })
    const f = only(() => ns.readConfig?.())
    expect(f.location?.function).toBe('Module.readConfig')
  })
})
