import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import type { SyncIoFinding } from '../../src/model/finding.js'
import { loaderLinesNote, moduleLoaders, namesSourceMap, nycInstrumented, nycInstruments } from '../../src/report/loader-lines.js'

const cwd = process.cwd()

function at(file: string): SyncIoFinding {
  return { kind: 'sync-io', id: 'x', operation: 'fs.readFileSync', category: 'fs', hint: 'use fs.promises.readFile', durationMs: 1, maxMs: 1, calls: 1, allowed: false, leak: false, unstacked: false, location: { file: join(cwd, file), line: 7, column: 10 }, frames: [] } as unknown as SyncIoFinding
}

describe('moduleLoaders', () => {
  test('reads --loader and --experimental-loader in both forms, from the command line and NODE_OPTIONS', () => {
    expect(moduleLoaders(['--loader=ts-node/esm/transpile-only', '--no-warnings'], '')).toEqual(['ts-node/esm/transpile-only'])
    expect(moduleLoaders(['--experimental-loader', './loader.mjs'], '')).toEqual(['./loader.mjs'])
    expect(moduleLoaders([], '--max-old-space-size=4096 --loader ts-node/esm')).toEqual(['ts-node/esm'])
  })

  test("an --import that registers ts-node's hooks (ts-node's advice for Node 20) is a loader; other imports are not", () => {
    const register = 'data:text/javascript,import { register } from "node:module"; import { pathToFileURL } from "node:url"; register("ts-node/esm", pathToFileURL("./"));'
    expect(moduleLoaders(['--import', register], '')).toEqual(['ts-node/esm'])
    expect(moduleLoaders(['--import=loopcop/node-test', '--require', 'ts-node/register'], '')).toEqual([])
  })
})

describe('loaderLinesNote', () => {
  const context = { loaders: ['ts-node/esm'], sourceMaps: false, cwd }

  test('names a finding in a TypeScript file and the loader, and how to see TypeScript lines', () => {
    expect(loaderLinesNote([at('src/a.js'), at('src/b.mts')], context)).toBe(
      "loopcop: the lines shown in TypeScript files (src/b.mts:7, …) may be the compiled JavaScript's, not yours: a module loader compiles them off the main thread (--loader ts-node/esm), and Node keeps no source maps unless asked (your own stack traces show the same lines). Run with NODE_OPTIONS=--enable-source-maps to see TypeScript lines.",
    )
  })

  test('says nothing where Node keeps source maps, where no loader is given, or where no finding is in TypeScript', () => {
    const none = { mapped: () => false }
    expect(loaderLinesNote([at('src/a.ts')], { ...context, ...none, sourceMaps: true })).toBeUndefined()
    expect(loaderLinesNote([at('src/a.ts')], { ...context, ...none, loaders: [] })).toBeUndefined()
    expect(loaderLinesNote([at('src/a.js')], { ...context, ...none })).toBeUndefined()
  })
})

// marked's specs run its built bundle (`lib/marked.esm.js`, the whole Tokenizer on line 44), whose
// source map Node reads only with --enable-source-maps: the summary grouped three functions as one line.
describe('built files', () => {
  const plain = { loaders: [], sourceMaps: false, cwd }

  test("names a finding in the user's JavaScript that names a source map, and how to see source lines", () => {
    const mapped = (file: string): boolean => file.endsWith('lib/marked.esm.js')
    expect(loaderLinesNote([at('node_modules/dep/index.js'), at('src/plain.js'), at('lib/marked.esm.js')], { ...plain, mapped })).toBe(
      "loopcop: the lines shown in built files (lib/marked.esm.js:7, …) are the built code's: the file names a source map, and Node keeps none unless asked (your own stack traces show the same lines). Run with NODE_OPTIONS=--enable-source-maps to see source lines.",
    )
    // Node maps them, or only a dependency's file is built: nothing to say.
    expect(loaderLinesNote([at('lib/marked.esm.js')], { ...plain, mapped, sourceMaps: true })).toBeUndefined()
    expect(loaderLinesNote([at('node_modules/dep/marked.esm.js')], { ...plain, mapped: () => true })).toBeUndefined()
  })

  test("nyc instruments unless its options (NYC_CONFIG) say instrument: false (nunjucks: Babel's istanbul plugin does, and its register hook maps the lines)", () => {
    expect(nycInstruments(JSON.stringify({ _: ['mocha'], instrument: true, sourceMap: true }))).toBe(true)
    expect(nycInstruments(JSON.stringify({ _: ['mocha'] }))).toBe(true)
    expect(nycInstruments(JSON.stringify({ _: ['mocha'], require: ['babel-register'], sourceMap: false, instrument: false }))).toBe(false)
    expect(nycInstruments('not json')).toBe(true)
    expect(nycInstruments('')).toBe(false)
    expect(nycInstruments(undefined)).toBe(false)
  })

  test("under nyc (multer's test-ci), names a finding in the user's JavaScript: its lines are the instrumented code's", () => {
    expect(loaderLinesNote([at('node_modules/dep/index.js'), at('storage/disk.js')], { ...plain, mapped: () => false, nyc: true })).toBe(
      "loopcop: the lines shown in your JavaScript (storage/disk.js:7, …) are those of the code nyc instrumented, not yours: Node keeps no source maps unless asked (your own stack traces show the same lines). Run with NODE_OPTIONS=--enable-source-maps to see your lines.",
    )
    expect(loaderLinesNote([at('storage/disk.js')], { ...plain, mapped: () => false, nyc: true, sourceMaps: true })).toBeUndefined()
    expect(loaderLinesNote([at('node_modules/dep/index.js')], { ...plain, mapped: () => false, nyc: true })).toBeUndefined()
  })

  // jsonwebtoken: nyc's `exclude` left its test files as written, and the note named one anyway; it
  // was printed too in runs whose every finding was allowed, whose lines no output shows.
  test('under nyc, a file nyc did not instrument (its coverage object lacks it) and allowed calls bring no note', () => {
    const instrumented = (file: string): boolean => file !== join(cwd, 'test/async_sign.tests.js')
    expect(loaderLinesNote([at('test/async_sign.tests.js')], { ...plain, mapped: () => false, nyc: true, instrumented })).toBeUndefined()
    expect(loaderLinesNote([at('test/async_sign.tests.js'), at('lib/sign.js')], { ...plain, mapped: () => false, nyc: true, instrumented })).toContain('(lib/sign.js:7, …)')
    expect(loaderLinesNote([{ ...at('lib/sign.js'), allowed: true }], { ...plain, mapped: () => false, nyc: true, instrumented })).toBeUndefined()
  })

  test("whether nyc instrumented a file is read from its coverage object, under nyc's coverageVariable if it names one", () => {
    const global = globalThis as Record<string, unknown>
    const file = join(cwd, 'lib/sign.js')
    expect(nycInstrumented(file, JSON.stringify({ coverageVariable: '__loopcopTestCoverage__' }))).toBe(true) // no coverage object: as before
    global.__loopcopTestCoverage__ = { [file]: {} }
    try {
      expect(nycInstrumented(file, JSON.stringify({ coverageVariable: '__loopcopTestCoverage__' }))).toBe(true)
      expect(nycInstrumented(join(cwd, 'test/a.js'), JSON.stringify({ coverageVariable: '__loopcopTestCoverage__' }))).toBe(false)
    } finally {
      delete global.__loopcopTestCoverage__
    }
  })

  test("reads a file's last line for its sourceMappingURL comment, a data URL's too", () => {
    const dir = mkdtempSync(join(tmpdir(), 'loopcop-built-'))
    try {
      const file = (name: string, text: string): string => {
        writeFileSync(join(dir, name), text)
        return join(dir, name)
      }
      expect(namesSourceMap(file('bundle.js', `${'x;'.repeat(10_000)}\n//# sourceMappingURL=bundle.js.map\n`))).toBe(true)
      // An inline map longer than the end read first (babel's, 25 KB: handlebars' precompiler), its line read from its start.
      expect(namesSourceMap(file('long-inline.js', `x\n//# sourceMappingURL=data:application/json;base64,${'A'.repeat(200_000)}\n`))).toBe(true)
      expect(namesSourceMap(file('only-inline.js', `//# sourceMappingURL=data:application/json;base64,${'A'.repeat(5000)}`))).toBe(true)
      // A last line of base64 that is no map comment: a data string, a minified file's end.
      expect(namesSourceMap(file('base64-data.js', `x\nconst data = "\n${'A'.repeat(5000)}\n`))).toBe(false)
      expect(namesSourceMap(file('minified.js', `${'x;'.repeat(10_000)}\n`))).toBe(false)
      expect(namesSourceMap(file('inline.js', 'x\n//# sourceMappingURL=data:application/json;base64,eyJ2ZXJzaW9uIjozfQ==\n'))).toBe(true)
      expect(namesSourceMap(file('plain.js', 'export const x = "//# sourceMappingURL="\n'))).toBe(false)
      expect(namesSourceMap(file('empty.js', ''))).toBe(false)
      expect(namesSourceMap(join(dir, 'missing.js'))).toBe(false)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
