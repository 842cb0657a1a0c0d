// Source-mapping the frames loopcop reports (docs/architecture.md, "stack"): a generated position
// is mapped through the formatter the runner installed (Vitest's, Jest's source-map-support) or
// Node's own source maps (`--enable-source-maps`, tsx), so the user sees TypeScript lines while the
// per-call path never runs a runner's formatter. One path for both kinds of frames loopcop has: a
// captured stack's V8 call sites, and frames the sampling profiler gave (a stall's), which are
// handed to the formatter as call sites of the same shape (`FrameCallSite`).
import { findSourceMap } from 'node:module'
import type { Frame } from '../model/finding.js'
import type { Guard } from '../runtime/guard.js'
import { parseStack } from './frames.js'
import { nodeFlags } from '../runtime/node-flags.js'
import { packageOf } from '../runtime/packages.js'
import { toPath } from './callsites.js'

/** Where a generated position maps to, and the function name the formatter wrote there (`undefined`: it maps to itself). */
type Mapped = { readonly file: string; readonly line: number; readonly column: number; readonly fn: string | undefined } | undefined

/** The error a runner's formatter is given: it only reads `name` and `message` for the header. */
const HEADER = { name: 'Error', message: '' } as Error

/**
 * A V8 call site made from a frame that did not come with one (the sampling profiler's): what a
 * source-mapping `Error.prepareStackTrace` reads of a call site.
 */
export class FrameCallSite implements NodeJS.CallSite {
  readonly #frame: Frame

  constructor(frame: Frame) {
    this.#frame = frame
  }

  getThis(): undefined {
    return undefined
  }
  getTypeName(): null {
    return null
  }
  getFunction(): undefined {
    return undefined
  }
  getFunctionName(): string | null {
    return this.#frame.fn ?? null
  }
  getMethodName(): null {
    return null
  }
  getFileName(): string {
    return this.#frame.file
  }
  getLineNumber(): number {
    return this.#frame.line
  }
  getColumnNumber(): number {
    return this.#frame.column
  }
  getEvalOrigin(): undefined {
    return undefined
  }
  getScriptNameOrSourceURL(): string {
    return this.#frame.file
  }
  getScriptHash(): string {
    return ''
  }
  getEnclosingColumnNumber(): number {
    return this.#frame.column
  }
  getEnclosingLineNumber(): number {
    return this.#frame.line
  }
  getPosition(): number {
    return 0
  }
  getPromiseIndex(): null {
    return null
  }
  isToplevel(): boolean {
    return true
  }
  isEval(): boolean {
    return false
  }
  isNative(): boolean {
    return false
  }
  isConstructor(): boolean {
    return false
  }
  isAsync(): boolean {
    return false
  }
  isPromiseAll(): boolean {
    return false
  }
  toString(): string {
    const where = `${this.#frame.file}:${this.#frame.line}:${this.#frame.column}`
    return this.#frame.fn === undefined ? where : `${this.#frame.fn} (${where})`
  }
}

/** The frame the runner's formatter writes for one call site, read back from its text. */
function throughFormatter(prepare: (error: Error, sites: NodeJS.CallSite[]) => unknown, site: NodeJS.CallSite): Mapped | null {
  const text = prepare.call(Error, HEADER, [site])
  if (typeof text !== 'string') return null
  const [frame] = parseStack(text)
  if (frame === undefined || frame.unparsed === true) return null
  return { file: frame.file, line: frame.line, column: frame.column, fn: frame.fn }
}

/**
 * Whether Node maps stacks itself (`--enable-source-maps`, `process.setSourceMapsEnabled(true)`, as
 * tsx does). Only then does Node keep source maps to find, and `findSourceMap` of a path costs
 * ~15 µs even when there is none.
 */
export function nodeMapsStacks(): boolean {
  const enabled = (process as { sourceMapsEnabled?: boolean }).sourceMapsEnabled
  // Before Node 20.7, no property: the flag is the only way to tell.
  return enabled ?? nodeFlags().includes('--enable-source-maps')
}

/** The position through Node's own source maps. */
function throughNode(site: NodeJS.CallSite, line: number, column: number): Mapped {
  const script = site.getFileName()
  // V8 gives `undefined` (not the typed `null`) for eval code.
  if (typeof script !== 'string' || script.startsWith('node:') || !nodeMapsStacks()) return undefined
  // Node 20 gives `{}` for a position with no mapping.
  const entry: Partial<{ originalSource: string; originalLine: number; originalColumn: number }> | undefined = findSourceMap(script)?.findEntry(line - 1, column - 1)
  if (entry?.originalSource === undefined || entry.originalLine === undefined || entry.originalColumn === undefined) return undefined
  return { file: toPath(entry.originalSource), line: entry.originalLine + 1, column: entry.originalColumn + 1, fn: undefined }
}

/**
 * The runners' own packages: they ship built JavaScript with no source maps (Vitest 3–5 and its
 * `@vitest/*`, Vite's module runner, Jest 28–30's `jest-*` and `@jest/*`, Mocha 10–12, tinypool),
 * so their frames map to themselves. Asking the runner's formatter anyway costs ~0.2–0.3 ms a new
 * position (it reads the whole script and scans it for a `sourceMappingURL`), a finding shows
 * several of them, and under Vitest every test file is a fresh process that asks again.
 */
const UNMAPPED_PACKAGES = /^(?:vitest|@vitest\/.+|vite|vite-node|tinypool|jest|jest-.+|@jest\/.+|mocha)$/

/** Whether a file may have a source map: not Node's own code, not a runner's own package. */
function mayBeMapped(file: string): boolean {
  if (file.startsWith('node:')) return false
  const pkg = packageOf(file)
  return pkg === undefined || !UNMAPPED_PACKAGES.test(pkg)
}

/**
 * Which function name a mapped frame gets. `'v8'`: the one V8 gave (a captured stack's call site):
 * source-map-support names a frame after the identifier at its mapped position (the function being
 * called there, not the one calling). `'mapped'`: the formatter's, where it wrote one (a sampled
 * frame: the profiler knows only the bare name, the runner's map may know the source's).
 */
export type NameSource = 'v8' | 'mapped'

/**
 * A frame at its source position, read through whatever maps stacks in this process now (callers
 * keep the result per position: see `Stacks`). `site` is the frame's V8 call site, or a
 * `FrameCallSite` made from it. A formatter that fails leaves the generated position, and so does a
 * frame of Node's own code or of a runner's own package (`mayBeMapped`), never handed to it.
 */
export function sourceFrame(frame: Frame, site: NodeJS.CallSite = new FrameCallSite(frame), names: NameSource = 'v8'): Frame {
  if (!mayBeMapped(frame.file)) return frame
  const to = lookUp(site, frame)
  if (to === undefined) return frame
  const fn = names === 'mapped' ? (to.fn ?? frame.fn) : frame.fn
  return to.file === frame.file && to.line === frame.line && to.column === frame.column && fn === frame.fn ? frame : { fn, file: to.file, line: to.line, column: to.column }
}

// Taken when loopcop loads: a patched `toString` would not change what the check below reads.
// eslint-disable-next-line @typescript-eslint/unbound-method -- called with the function as `this`
const functionText = Function.prototype.toString

/** The formatter last found to be Node's own (see `isNodesOwnFormatter`). */
let nodesOwn: unknown

/**
 * Whether a formatter is Node's own default, which Node 20–26 install as `Error.prepareStackTrace`
 * (`function ErrorPrepareStackTrace(error, trace) { return internalPrepareStackTrace(error, trace) }`):
 * it maps only through Node's source maps, which `throughNode` reads directly, without formatting a
 * stack line and parsing it back (~30 µs a new position, cold, under `--enable-source-maps`).
 */
function isNodesOwnFormatter(prepare: Function): boolean {
  if (prepare === nodesOwn) return true
  if (prepare.name !== 'ErrorPrepareStackTrace' || !functionText.call(prepare).includes('return internalPrepareStackTrace(')) return false
  nodesOwn = prepare
  return true
}

function lookUp(site: NodeJS.CallSite, frame: Frame): Mapped {
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called with `Error` as `this`, as V8 does
  const prepare = Error.prepareStackTrace
  try {
    if (typeof prepare === 'function' && !isNodesOwnFormatter(prepare)) {
      const viaRunner = throughFormatter(prepare, site)
      // A formatter that leaves the position as it is may not know the file's map where Node does:
      // ts-node's source-map-support maps only what ts-node compiled, and ajv's specs under
      // `-r ts-node/register` run its built `dist`, whose maps `--enable-source-maps` keeps.
      if (viaRunner === null) return throughNode(site, frame.line, frame.column)
      const itself = viaRunner !== undefined && viaRunner.file === frame.file && viaRunner.line === frame.line && viaRunner.column === frame.column
      return itself ? (throughNode(site, frame.line, frame.column) ?? viaRunner) : viaRunner
    }
    return throughNode(site, frame.line, frame.column)
  } catch {
    // A formatter that fails on a lone call site: the generated position is still right.
    return undefined
  }
}

/**
 * Frames that came without call sites (the sampling profiler's), each read through the runner's
 * formatter or Node's source maps as `sourceFrame` reads a captured one, with the formatter's
 * function names where it writes one. Run with the guard up: a source-mapping formatter may read
 * files synchronously, which is loopcop's work, never a finding.
 */
export function sourceFrames(frames: readonly Frame[], guard: Guard): Frame[] {
  if (frames.length === 0) return []
  return guard.hold(() => frames.map((f) => (f.unparsed === true ? f : sourceFrame(f, new FrameCallSite(f), 'mapped'))))
}
