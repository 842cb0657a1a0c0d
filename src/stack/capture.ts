// Capturing stacks cheaply and reading them late (docs/architecture.md, "stack"): a call keeps V8's
// unformatted capture, and it is formatted (through the runner's source maps) only when needed.
import { sep } from 'node:path'
import type { Frame } from '../model/finding.js'
import type { Guard } from '../runtime/guard.js'
import { parseStack } from './frames.js'

/** A stack captured by V8 but not yet formatted: formatting costs as much as capturing, so it waits. */
export interface RawStack {
  stack?: unknown
}

/** The function name exactly as V8's own formatter writes it (`Type.fn [as method]`, `new Fn`). */
function v8Name(site: NodeJS.CallSite): string | undefined {
  const fn = site.getFunctionName() ?? undefined
  if (site.isConstructor()) return `new ${fn ?? '<anonymous>'}`
  if (site.isToplevel()) return fn
  const type = site.getTypeName() ?? undefined
  const method = site.getMethodName() ?? undefined
  if (fn === undefined) return `${type ?? '<anonymous>'}.${method ?? '<anonymous>'}`
  let name = type !== undefined && !fn.startsWith(`${type}.`) ? `${type}.${fn}` : fn
  if (method !== undefined && fn !== method && !fn.endsWith(`.${method}`)) name += ` [as ${method}]`
  return name
}

function withV8Names(frames: Frame[], names: (string | undefined)[] | undefined): Frame[] {
  // Only when the runner kept one text frame per call site (frames without a position excepted).
  if (names === undefined || names.length !== frames.length) return frames
  return frames.map((f, i) => ({ ...f, fn: names[i] }))
}

/**
 * Captures and reads stacks for one detector: knows loopcop's own folders (whose frames never
 * appear in findings) and keeps the parsed frames of each stack text (calls from one site format
 * to the same text, so each site is parsed once).
 */
export class Stacks {
  readonly #guard: Guard
  /** Directories holding loopcop's own code (the built package, or the sources in this repository). */
  readonly #ownRoots: string[] = []
  /** Parsed frames by stack text (bounded). */
  readonly #parsed = new Map<string, Frame[]>()
  /**
   * Function names as V8 knows them, for stacks a runner formatted. source-map-support (which Jest
   * installs) renames each frame after the identifier at its mapped position — the function being
   * called there (`readFileSync`), not the one calling (`listUsers`). Positions stay the runner's.
   */
  readonly #v8Names = new WeakMap<RawStack, (string | undefined)[]>()

  constructor(guard: Guard) {
    this.#guard = guard
  }

  /** Registers a directory as loopcop's own: frames in it never appear in findings. */
  addOwnRoot(dir: string): void {
    const withSep = dir.endsWith(sep) ? dir : dir + sep
    if (this.#ownRoots.includes(withSep)) return
    this.#ownRoots.push(withSep)
    this.#parsed.clear()
  }

  /**
   * Captures the current stack into a holder, cutting every frame from `above` upwards (so
   * loopcop's wrapper never shows). `Error.stackTraceLimit` is lowered only for the capture.
   */
  capture(depth: number, above: Function): RawStack {
    const holder: RawStack = {}
    const limit = Error.stackTraceLimit
    Error.stackTraceLimit = depth
    // With an `Error.prepareStackTrace` installed (Vitest's, source-map-support's), Node formats the
    // stack right here, not on first read: the guard is up for the same reason as in `text`.
    this.#guard.depth++
    try {
      Error.captureStackTrace(holder, above)
    } finally {
      this.#guard.depth--
      Error.stackTraceLimit = limit
    }
    return holder
  }

  /**
   * The text of a captured stack, formatted on first read. Formatting runs the installed
   * `Error.prepareStackTrace`, and a source-mapping one may read files synchronously
   * (source-map-support does): the depth guard is up meanwhile, so loopcop formatting a stack is
   * never itself a finding — nor, in `throw` mode, a `BlockingIOError` thrown out of the formatting.
   */
  text(raw: RawStack): unknown {
    this.#guard.depth++
    // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with the `this` V8 gives it
    const prepare = Error.prepareStackTrace
    // A runner's formatter runs on the first read: hear V8's own names on the way (see #v8Names).
    if (typeof prepare === 'function' && !this.#v8Names.has(raw)) {
      const names = this.#v8Names
      Error.prepareStackTrace = function (this: unknown, error: Error, sites: NodeJS.CallSite[]) {
        try {
          names.set(raw, sites.filter((site) => site.getLineNumber() !== null).map(v8Name))
        } catch {
          // names stay the runner's
        }
        return prepare.call(this, error, sites) as unknown
      }
    }
    try {
      return raw.stack
    } finally {
      Error.prepareStackTrace = prepare
      this.#guard.depth--
    }
  }

  /**
   * Formats a captured holder into frames, through whatever `Error.prepareStackTrace` is installed
   * (Node's `--enable-source-maps`, Vite's or source-map-support's), so positions are source-mapped
   * where the runner maps them. A `prepareStackTrace` that returns a non-string leaves no frames.
   */
  read(raw: RawStack): Frame[] {
    const text = this.text(raw)
    if (typeof text !== 'string') return []
    let frames = this.#parsed.get(text)
    if (frames === undefined) {
      frames = withV8Names(parseStack(text), this.#v8Names.get(raw)).filter((f) => !this.#isOwnFile(f.file))
      if (this.#parsed.size > 5_000) this.#parsed.clear()
      this.#parsed.set(text, frames)
    }
    return frames
  }

  /** Frames that are not loopcop's own (for frames that did not come through `read`). */
  withoutOwnFrames(frames: readonly Frame[]): Frame[] {
    return frames.filter((f) => !this.#isOwnFile(f.file))
  }

  #isOwnFile(file: string): boolean {
    for (const root of this.#ownRoots) if (file.startsWith(root)) return true
    return false
  }
}
