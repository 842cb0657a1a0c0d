// Lines in TypeScript that no source map reaches, said in the run summary (docs/architecture.md,
// "stack"): a module loader that compiles TypeScript in hooks off the main thread (`--loader
// ts-node/esm`, Node 20+) leaves the main thread no source-map support, and Node keeps no source
// maps unless asked (`--enable-source-maps`). Every line shown in those files, loopcop's and the
// runner's own, is then the compiled JavaScript's. loopcop cannot map them itself; it says so.
import fs from 'node:fs'
import type { Finding } from '../model/finding.js'
import { displayPath, isDependency } from '../stack/frames.js'
import { nodeMapsStacks } from '../stack/sourcemaps.js'
import { givenFlags, nodeFlags } from '../runtime/node-flags.js'
import { type LinesOf, TYPESCRIPT, unmappedLinesNote } from './unmapped-lines.js'

/**
 * The module loaders this process's command line and NODE_OPTIONS give Node (`--loader`,
 * `--experimental-loader`, or an `--import` that registers ts-node's hooks), in their order: on
 * Node 20 and later their hooks run off the main thread.
 */
export function moduleLoaders(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): string[] {
  const loaders: string[] = []
  for (const { name, value } of givenFlags(nodeFlags(execArgv, nodeOptions), ['--loader', '--experimental-loader', '--import'])) {
    if (name !== '--import') loaders.push(value)
    else if (value.includes('ts-node/esm')) loaders.push(value.startsWith('data:') ? 'ts-node/esm' : value)
  }
  return loaders.filter((l) => l !== '')
}

/** What the note is decided from: where the findings are, the loaders given, whether Node maps stacks. */
export interface LoaderLinesContext {
  readonly loaders: readonly string[]
  /** `process.sourceMapsEnabled`: Node keeps source maps (`--enable-source-maps`, `process.setSourceMapsEnabled`). */
  readonly sourceMaps: boolean
  readonly cwd?: string | undefined
  /** Whether a JavaScript file names its source map (a built one: a bundle, compiled TypeScript). @default `namesSourceMap` */
  readonly mapped?: (file: string) => boolean
  /** The process runs under nyc, instrumenting the code under test as it loads (`nycInstruments`). */
  readonly nyc?: boolean
  /**
   * Whether nyc instrumented a file in this process: its coverage object has the file (a file nyc's
   * `exclude` leaves out keeps its lines; jsonwebtoken's tests). @default `nycInstrumented`
   */
  readonly instrumented?: (file: string) => boolean
  /** Reads a TypeScript file's lines (`unmappedLinesNote`). @default reads the file */
  readonly linesOf?: LinesOf
}

/** The context of this process. */
export function loaderLinesContext(cwd?: string): LoaderLinesContext {
  return { loaders: moduleLoaders(), sourceMaps: nodeMapsStacks(), cwd, nyc: nycInstruments(process.env.NYC_CONFIG) }
}

/**
 * Whether nyc instrumented a file in this process: its coverage object (`__coverage__`, or nyc's
 * `coverageVariable`) has an entry for the file. Without a coverage object, taken as instrumented.
 */
export function nycInstrumented(file: string, config = process.env.NYC_CONFIG): boolean {
  let variable = '__coverage__'
  try {
    const name: unknown = config === undefined ? undefined : (JSON.parse(config) as { coverageVariable?: unknown }).coverageVariable
    if (typeof name === 'string' && name !== '') variable = name
  } catch {
    // nyc's default variable
  }
  const coverage: unknown = (globalThis as Record<string, unknown>)[variable]
  // No coverage object here (the file was loaded in a `--parallel` worker): taken as instrumented, as before.
  return typeof coverage !== 'object' || coverage === null || Object.hasOwn(coverage, file)
}

/**
 * Whether nyc instruments the code under test as it loads, from `NYC_CONFIG` (nyc's options as
 * JSON, which it gives the processes it runs): it does unless they say `instrument: false`, as
 * nunjucks' do, whose Babel plugin instruments instead and whose `@babel/register` maps the lines
 * back. Options that cannot be read are taken to instrument (nyc's default).
 */
export function nycInstruments(config: string | undefined): boolean {
  if (config === undefined || config === '') return false
  try {
    const options: unknown = JSON.parse(config)
    return !(typeof options === 'object' && options !== null && (options as { instrument?: unknown }).instrument === false)
  } catch {
    return true
  }
}

// Taken as loopcop loads, before its interceptors wrap them (reading a file here is loopcop's own).
const { openSync, readSync, closeSync, fstatSync } = fs

/**
 * How much of a file's end is read for its `sourceMappingURL` comment: a bundle's names its map
 * file (marked's `//# sourceMappingURL=marked.esm.js.map`). An inline map is longer (babel's, 25 KB
 * for handlebars' precompiler): when this part is all base64 with no line break, the last line's
 * start is looked for further back (`lineStart`), at most `INLINE_MAX` bytes back.
 */
const TAIL = 1024
const INLINE_MAX = 16 * 1024 * 1024
/** The end of an inline source map: base64 only (and the line break after it). */
const BASE64_END = /^[A-Za-z0-9+/=]+\s*$/

/** A line that names a source map, as Node reads it (`//# sourceMappingURL=…`, or in a block comment); not one inside a string. */
const SOURCE_MAP_COMMENT = /(?:^|\n)[ \t]*\/[/*][#@][ \t]+sourceMappingURL=[^\s'"`]+/

/** Whether a file's last lines name its source map (`//# sourceMappingURL=…`): built code. */
export function namesSourceMap(file: string): boolean {
  let fd = -1
  try {
    fd = openSync(file, 'r')
    const size = fstatSync(fd).size
    const buf = Buffer.allocUnsafe(Math.min(TAIL, size))
    const n = readSync(fd, buf, 0, buf.length, size - buf.length)
    const tail = buf.toString('utf8', 0, n)
    if (SOURCE_MAP_COMMENT.test(tail)) return true
    if (n < size && BASE64_END.test(tail)) {
      // Within an inline map's data: its line, from its start.
      const start = lineStart(fd, size - n)
      if (start === undefined) return false
      const head = Buffer.allocUnsafe(Math.min(TAIL, size - start))
      return SOURCE_MAP_COMMENT.test(head.toString('utf8', 0, readSync(fd, head, 0, head.length, start)))
    }
    return false
  } catch {
    return false
  } finally {
    if (fd >= 0) closeSync(fd)
  }
}

/** Where the line that goes on at byte `before` of an open file starts, looking back at most `INLINE_MAX` bytes. */
function lineStart(fd: number, before: number): number | undefined {
  const chunk = Buffer.allocUnsafe(64 * 1024)
  for (let end = before; end > 0 && before - end < INLINE_MAX; ) {
    const from = Math.max(0, end - chunk.length)
    const n = readSync(fd, chunk, 0, end - from, from)
    const at = chunk.subarray(0, n).lastIndexOf(0x0a)
    if (at >= 0) return from + at
    end = from
  }
  return before >= INLINE_MAX ? undefined : 0
}

/**
 * How many of the findings' files (the user's JavaScript) `builtLinesNote` looks into at most: the
 * first few say whether the code under test is built.
 */
const FILES_LOOKED_AT = 5

/**
 * The note a run summary ends with when a finding is in a TypeScript file that a module loader
 * compiled and no source map reaches: its lines are the compiled JavaScript's. Else the note on the
 * user's built or instrumented JavaScript (`builtLinesNote`), if any, where Node maps no stacks;
 * else the note on TypeScript lines that do not fit their source (`unmappedLinesNote`).
 */
export function loaderLinesNote(all: readonly Finding[], context: LoaderLinesContext = loaderLinesContext()): string | undefined {
  // The lines a run shows: an allowed call's are in the JSON report alone.
  const findings = all.filter((f) => !f.allowed)
  if (context.sourceMaps) return unmappedLinesNote(findings, context.cwd, context.linesOf)
  const site = context.loaders.length === 0 ? undefined : findings.find((f) => f.location !== undefined && TYPESCRIPT.test(f.location.file))?.location
  if (site === undefined) return builtLinesNote(findings, context) ?? unmappedLinesNote(findings, context.cwd, context.linesOf)
  const where = `${displayPath(site.file, context.cwd)}:${site.line}`
  return `loopcop: the lines shown in TypeScript files (${where}, …) may be the compiled JavaScript's, not yours: a module loader compiles them off the main thread (--loader ${context.loaders[0] ?? ''}), and Node keeps no source maps unless asked (your own stack traces show the same lines). Run with NODE_OPTIONS=--enable-source-maps to see TypeScript lines.`
}

/**
 * The note a run summary ends with when a finding is in the user's JavaScript that names a source
 * map (a bundle or compiled code: marked's tests run its built `lib/marked.esm.js`, whose whole
 * Tokenizer is line 44) and Node keeps none: its lines are the built file's. Undefined otherwise.
 */
function builtLinesNote(findings: readonly Finding[], context: LoaderLinesContext): string | undefined {
  const mapped = context.mapped ?? namesSourceMap
  // Each file once: a run's findings are mostly at a few files' sites. Testing each finding's path
  // against both patterns, and reading 20 files' last 4 KB, cost Mocha's `kept` run (2,000 findings)
  // 5.5 M instructions at its end; this, 1.8 M (bench/README.md, "Fifty-ninth pass").
  const files = new Set<string>()
  let looked = 0
  for (const f of findings) {
    const file = f.location?.file
    if (file === undefined || files.has(file)) continue
    files.add(file)
    if (TYPESCRIPT.test(file) || isDependency(file)) continue
    // multer's `test-ci` (nyc): `storage/disk.js:2:967` for its line 20, without a word.
    if (context.nyc === true && (context.instrumented ?? nycInstrumented)(file)) {
      const where = `${displayPath(file, context.cwd)}:${f.location?.line ?? ''}`
      return `loopcop: the lines shown in your JavaScript (${where}, …) are those of the code nyc instrumented, not yours: Node keeps no source maps unless asked (your own stack traces show the same lines). Run with NODE_OPTIONS=--enable-source-maps to see your lines.`
    }
    if (mapped(file)) {
      const where = `${displayPath(file, context.cwd)}:${f.location?.line ?? ''}`
      return `loopcop: the lines shown in built files (${where}, …) are the built code's: the file names a source map, and Node keeps none unless asked (your own stack traces show the same lines). Run with NODE_OPTIONS=--enable-source-maps to see source lines.`
    }
    if (++looked >= FILES_LOOKED_AT) return undefined
  }
  return undefined
}
